import pgvector from 'pgvector/pg';
import type { Queryable } from '../connectors/core/queryable.ts';
import type { Audience } from './audience.ts';
import { vectorType } from './index-state.ts';
import { type Candidate, textRelevance } from './passages.ts';
import type { PreparedQuery } from './query.ts';
import { visibleTo } from './vocabulary.ts';

/**
 * The two retrieval methods' SQL: nearest chunks through the HNSW indexes, and ranked full-text
 * matches. Both return candidates (`passages.ts`) for the search to fuse.
 */

/** What a search may see: the reader's audience and required tags. */
export interface Filters {
  audience: Audience;
  tags: string[];
}

const passageColumns = `c.id::text AS id, c.article_slug, a.title, a.url, c.heading_path, c.content`;
/** Filters on the chunk's copies of its article's visibility and tags (migration 0007 keeps them equal). */
const filterSql = (visibility: string, tags: string) =>
  `c.visibility = ANY(${visibility}) AND (cardinality(${tags}::text[]) = 0 OR c.tags && ${tags}::text[])`;

/**
 * Where the inner nearest-chunks query looks: only public chunks for customers, written as a
 * literal so the planner can use the partial HNSW index on exactly that predicate; staff see every
 * chunk, so the whole index serves them with nothing filtered away.
 */
const audienceSql = (audience: Audience): string =>
  audience === 'public' ? `WHERE c.visibility = 'public'` : '';

/**
 * The index-served nearest-chunks query ($1 query vector, $2 candidates, $3 tags); exported so the
 * benchmark can EXPLAIN exactly what the search runs.
 */
export function nearestChunksSql(dimensions: number, audience: Audience): string {
  const type = vectorType(dimensions);
  const distance = `c.embedding::${type} <=> $1::${type}`;
  return `SELECT ${passageColumns}, 1 - n.distance AS vector_score
     FROM (SELECT c.id, ${distance} AS distance FROM kb_chunks c ${audienceSql(audience)}
           ORDER BY ${distance} LIMIT $2) n
     JOIN kb_chunks c ON c.id = n.id JOIN kb_articles a ON a.slug = c.article_slug
     WHERE n.distance IS NOT NULL AND (cardinality($3::text[]) = 0 OR c.tags && $3::text[])
     ORDER BY n.distance, c.id`;
}

/**
 * Nearest chunks by cosine distance. The inner query orders by the exact expression the HNSW
 * indexes are built on, so an index serves it. When a tag filter leaves too few, an exact scan over
 * the filtered rows (`+ 0` keeps the planner off the index) fills in.
 */
export async function vectorCandidates(
  db: Queryable,
  vector: number[],
  dimensions: number,
  count: number,
  filters: Filters,
  limit: number,
) {
  const type = vectorType(dimensions);
  const distance = `embedding::${type} <=> $1::${type}`;
  const { rows } = await db.query<Candidate>(nearestChunksSql(dimensions, filters.audience), [
    pgvector.toSql(vector),
    count,
    filters.tags,
  ]);
  if (rows.length >= Math.min(limit * 2, count)) return rows;
  const exact = await db.query<Candidate>(
    `SELECT ${passageColumns}, 1 - (c.${distance}) AS vector_score
     FROM kb_chunks c JOIN kb_articles a ON a.slug = c.article_slug
     WHERE c.embedding IS NOT NULL AND ${filterSql('$3', '$4')}
     ORDER BY (c.${distance}) + 0, c.id LIMIT $2`,
    [pgvector.toSql(vector), count, visibleTo(filters.audience), filters.tags],
  );
  return exact.rows;
}

/**
 * Full-text candidates: chunks holding a selective term (`PreparedQuery.filterTsquery`), ranked
 * by `textRelevance` over all the query's terms, with the query stems each one holds.
 */
export async function textCandidates(
  db: Queryable,
  query: PreparedQuery,
  count: number,
  filters: Filters,
): Promise<Candidate[]> {
  const rows = await textMatches(db, query, query.filterTsquery ?? query.tsquery!, count, filters);
  const stems = [...query.stems.keys()];
  const total = stems.reduce((sum, stem) => sum + query.stems.get(stem)!, 0) + query.unknownWeight;
  const scored = rows.map((row) => ({
    ...row,
    coverage:
      total > 0 ? row.matched!.reduce((sum, stem) => sum + (query.stems.get(stem) ?? 0), 0) / total : 0,
  }));
  return scored.sort((a, b) => textRelevance(b) - textRelevance(a) || Number(a.id) - Number(b.id));
}

async function textMatches(
  db: Queryable,
  query: PreparedQuery,
  filter: string,
  count: number,
  filters: Filters,
): Promise<Candidate[]> {
  // Ranks narrow rows (id, score) first; passage text is only read for the winners. `ts_rank_cd`
  // (proximity) costs ~5x `ts_rank` per row, so the cheap rank first keeps the best 3 x `count`
  // matches and only those get the cover-density rank (at 10,000 chunks a query can match 600).
  const { rows } = await db.query<Candidate>(
    `SELECT ${passageColumns}, hit.text_score,
            ARRAY(SELECT unnest(tsvector_to_array(c.tsv)) INTERSECT SELECT unnest($5::text[])) AS matched
     FROM (SELECT pre.id, ts_rank_cd(pre.tsv, query) AS text_score
           FROM (SELECT c.id, c.tsv FROM kb_chunks c, to_tsquery('english', $1) query
                 WHERE c.tsv @@ to_tsquery('english', $6) AND ${filterSql('$3', '$4')}
                 ORDER BY ts_rank(c.tsv, query) DESC, c.id LIMIT 3 * $2) pre,
                to_tsquery('english', $1) query
           ORDER BY text_score DESC, pre.id LIMIT $2) hit
     JOIN kb_chunks c ON c.id = hit.id JOIN kb_articles a ON a.slug = c.article_slug
     ORDER BY hit.text_score DESC, c.id`,
    [query.tsquery, count, visibleTo(filters.audience), filters.tags, [...query.stems.keys()], filter],
  );
  return rows;
}
