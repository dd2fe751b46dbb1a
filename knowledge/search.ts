import pgvector from 'pgvector/pg';
import type { Queryable } from '../connectors/core/queryable.ts';
import type { Audience } from './audience.ts';
import type { Embedder } from './embedder.ts';
import { assertEmbeddings } from './embedder.ts';
import { IndexMismatchError } from './errors.ts';
import { diversify, reciprocalRankFusion } from './fusion.ts';
import { assertIndexMatches, vectorType } from './index-state.ts';
import { normalizeQuery, type PreparedQuery, prepareQuery, tokenize, type Vocabulary } from './query.ts';
import { loadVocabulary, visibleTo } from './vocabulary.ts';

/** Which retrieval method(s) a search uses. */
export type SearchMode = 'vector' | 'fulltext' | 'hybrid';

/** Options of one search. */
export interface SearchOptions {
  mode?: SearchMode;
  /** Default `public`: internal articles are only searched for `internal`. */
  audience?: Audience;
  /** Only articles carrying at least one of these tags. */
  tags?: string[];
  /** Passages returned (default 5, at most 50). */
  limit?: number;
  /** Passages of one article in the results (default 2). */
  maxPerArticle?: number;
}

/** A retrieved passage with what is needed to cite it. */
export interface Passage {
  article_slug: string;
  title: string;
  heading_path: string[];
  content: string;
  url: string | null;
  /** Rank-fusion score in hybrid mode; the method's own score otherwise. Higher is better. */
  score: number;
  /** Cosine similarity to the query, when the vector search found this passage. */
  vector_score?: number;
  /** `ts_rank_cd` of the full-text match, when the full-text search found this passage. */
  text_score?: number;
}

/** A passage candidate with the signals answer support uses. */
export interface Candidate extends Passage {
  id: string;
  /** IDF-weighted share of the query's indexed stems found in the passage (full-text candidates only). */
  coverage?: number;
  /** The query stems the passage holds (full-text candidates only). */
  matched?: string[];
}

/** A search with its intermediate results and timings (benchmarks, answer support). */
export interface SearchDetails {
  passages: Candidate[];
  query: PreparedQuery;
  vector: Candidate[];
  text: Candidate[];
  /** Query embedding time, and the rest of the search (index check, retrieval, fusion). */
  timings: { embeddingMs: number; searchMs: number };
}

/** A stored article, for `get_article`. */
export interface Article {
  slug: string;
  title: string;
  url: string | null;
  category: string | null;
  tags: string[];
  visibility: Audience;
  updated_at: string;
  body: string;
}

/** Hybrid search over the knowledge base. */
export interface KnowledgeSearch {
  readonly embedder: Embedder;
  search(query: string, options?: SearchOptions): Promise<Passage[]>;
  searchDetailed(query: string, options?: SearchOptions): Promise<SearchDetails>;
  /** The article if the audience may read it, else null (an internal article does not exist for customers). */
  getArticle(slug: string, options?: { audience?: Audience }): Promise<Article | null>;
  stats(): Promise<{ articles: number; chunks: number; model: string | null; dimensions: number | null }>;
}

/** Settings of the search. */
export interface KnowledgeSearchOptions {
  db: Queryable;
  embedder: Embedder;
  /** Candidates per method before fusion (default 40, pgvector's default `hnsw.ef_search`). */
  candidates?: number;
  /** RRF constant (default `defaultFusion.k`). */
  rrfK?: number;
  /** Weights of the vector and full-text lists in the fusion (default `defaultFusion`). */
  weights?: { vector: number; text: number };
}

/**
 * Fusion settings chosen on the training split of the labeled set (docs/knowledge.md): the
 * full-text list is the stronger one with the local encoder, and a small k lets its top ranks
 * count (k = 60 let mediocre candidates found by both methods overtake full-text top hits; on the
 * 209-question training split k = 3 gave recall@5 0.994 and MRR 0.890, k = 10 0.981 and 0.875).
 */
export const defaultFusion = { k: 3, vector: 0.5, text: 1 };

/** Creates the search over `db` with `embedder` (which must be the model the index was built with). */
export function createKnowledgeSearch(options: KnowledgeSearchOptions): KnowledgeSearch {
  const { db, embedder } = options;
  const candidates = options.candidates ?? 40;
  const vocabularies = new Map<Audience, { version: string; vocabulary: Vocabulary }>();

  async function indexState(audience: Audience) {
    const { rows } = await db.query<{ model: string; dimensions: number; version: string }>(
      `SELECT model, dimensions, updated_at::text AS version FROM kb_index WHERE id`,
    );
    const info = rows[0] ?? null;
    if (!info) return { info: null, vocabulary: null };
    const cached = vocabularies.get(audience);
    if (cached?.version === info.version) return { info, vocabulary: cached.vocabulary };
    const vocabulary = await loadVocabulary(db, audience);
    vocabularies.set(audience, { version: info.version, vocabulary });
    return { info, vocabulary };
  }

  async function searchDetailed(text: string, searchOptions: SearchOptions = {}): Promise<SearchDetails> {
    const searchStarted = performance.now();
    const mode = searchOptions.mode ?? 'hybrid';
    const audience = searchOptions.audience ?? 'public';
    const limit = Math.min(Math.max(searchOptions.limit ?? 5, 1), 50);
    const filters = {
      audience,
      visibility: visibleTo(audience),
      tags: (searchOptions.tags ?? []).map((tag) => tag.toLowerCase()),
    };
    const { info, vocabulary } = await indexState(audience);
    if (vocabulary) await learnStems(db, text, vocabulary);
    const query = prepareQuery(text, vocabulary);
    const empty: SearchDetails = {
      passages: [],
      query,
      vector: [],
      text: [],
      timings: { embeddingMs: 0, searchMs: 0 },
    };
    if (!info) {
      await assertIndexMatches(db, embedder);
      return empty;
    }
    const usesVector = mode !== 'fulltext';
    if (usesVector && (info.model !== embedder.model || info.dimensions !== embedder.dimensions)) {
      throw new IndexMismatchError(info, embedder);
    }
    let embeddingMs = 0;
    let queryVector: number[] | null = null;
    if (usesVector && query.text) {
      const started = performance.now();
      queryVector = assertEmbeddings(embedder, [query.text], await embedder.embed([query.text]))[0]!;
      embeddingMs = performance.now() - started;
    }
    const [vector, fullText] = await Promise.all([
      queryVector ? vectorCandidates(db, queryVector, info.dimensions, candidates, filters, limit) : [],
      mode !== 'vector' && query.tsquery ? textCandidates(db, query, candidates, filters) : [],
    ]);
    // Everything but the query embedding: index check, vocabulary, both retrievals, fusion.
    const searchMs = performance.now() - searchStarted - embeddingMs;
    const fused = fuse(mode, vector, fullText, options);
    const passages = diversify(
      fused,
      (passage) => passage.article_slug,
      searchOptions.maxPerArticle ?? 2,
      limit,
    );
    return { passages, query, vector, text: fullText, timings: { embeddingMs, searchMs } };
  }

  return {
    embedder,
    searchDetailed,
    async search(text, searchOptions) {
      const { passages } = await searchDetailed(text, searchOptions);
      return passages.map(toPassage);
    },
    async getArticle(slug, articleOptions = {}) {
      const { rows } = await db.query<Article>(
        `SELECT slug, title, url, category, tags, visibility, updated_at::text AS updated_at, body
         FROM kb_articles WHERE slug = $1 AND visibility = ANY($2)`,
        [slug, visibleTo(articleOptions.audience ?? 'public')],
      );
      return rows[0] ?? null;
    },
    async stats() {
      const { rows } = await db.query<{
        articles: number;
        chunks: number;
        model: string | null;
        dimensions: number | null;
      }>(
        `SELECT (SELECT count(*)::int FROM kb_articles) AS articles, (SELECT count(*)::int FROM kb_chunks) AS chunks,
                (SELECT model FROM kb_index WHERE id) AS model, (SELECT dimensions FROM kb_index WHERE id) AS dimensions`,
      );
      return rows[0]!;
    },
  };
}

/**
 * Adds the English stems of query words the index does not hold as written (one round trip, then
 * cached with the vocabulary): their stem may still be indexed, and it decides how common they are.
 */
async function learnStems(db: Queryable, text: string, vocabulary: Vocabulary): Promise<void> {
  const missing = [...new Set(tokenize(normalizeQuery(text)))].filter((word) => !vocabulary.stems.has(word));
  if (missing.length === 0) return;
  const { rows } = await db.query<{ word: string; stems: string[] }>(
    `SELECT word, tsvector_to_array(to_tsvector('english', word)) AS stems FROM unnest($1::text[]) AS word`,
    [missing],
  );
  for (const row of rows) vocabulary.stems.set(row.word, row.stems);
}

/** A candidate without the internal signals. */
export const toPassage = ({
  id: _id,
  coverage: _coverage,
  matched: _matched,
  ...passage
}: Candidate): Passage => passage;

interface Filters {
  audience: Audience;
  visibility: string[];
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
async function vectorCandidates(
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
    [pgvector.toSql(vector), count, filters.visibility, filters.tags],
  );
  return exact.rows;
}

/**
 * Full-text relevance: `ts_rank_cd` (term proximity and weights) times the IDF-weighted share of
 * the query's terms the chunk holds. An OR query lets a chunk rank on one frequent word; the
 * coverage factor prefers chunks holding the rare, specific terms (full-text recall@1 on the
 * training split: 0.75 with ts_rank_cd alone, 0.82 with the product).
 */
export const textRelevance = (row: Pick<Candidate, 'coverage' | 'text_score'>): number =>
  (row.coverage ?? 0) * Math.log(1 + (row.text_score ?? 0));

/**
 * Full-text candidates: chunks holding a selective term (`PreparedQuery.filterTsquery`), ranked
 * by `textRelevance` over all the query's terms, with the query stems each one holds.
 */
async function textCandidates(
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
    [query.tsquery, count, filters.visibility, filters.tags, [...query.stems.keys()], filter],
  );
  return rows;
}

/**
 * Hybrid ranking: articles are fused by reciprocal rank (each list ranks an article by its best
 * chunk), so vector and full-text evidence for one article add up even when they come from
 * different chunks; within an article, chunks are ordered by their own fused score.
 */
function fuse(
  mode: SearchMode,
  vector: Candidate[],
  text: Candidate[],
  options: KnowledgeSearchOptions,
): Candidate[] {
  if (mode === 'vector') return vector.map((row) => ({ ...row, score: row.vector_score! }));
  if (mode === 'fulltext') return text.map((row) => ({ ...row, score: textRelevance(row) }));
  const k = options.rrfK ?? defaultFusion.k;
  const weights = [
    options.weights?.vector ?? defaultFusion.vector,
    options.weights?.text ?? defaultFusion.text,
  ];
  const byId = new Map<string, Candidate>();
  for (const row of [...vector, ...text]) byId.set(row.id, { ...byId.get(row.id), ...row });
  const lists = [vector, text];
  const chunkScores = reciprocalRankFusion(
    lists.map((list, index) => ({ items: list.map((row) => row.id), weight: weights[index]! })),
    (id) => id,
    k,
  );
  const articleScores = new Map(
    reciprocalRankFusion(
      lists.map((list, index) => ({
        items: [...new Set(list.map((row) => row.article_slug))],
        weight: weights[index]!,
      })),
      (slug) => slug,
      k,
    ).map(({ item, score }) => [item, score]),
  );
  const bestChunk = new Map<string, number>();
  for (const { item, score } of chunkScores) {
    const slug = byId.get(item)!.article_slug;
    bestChunk.set(slug, Math.max(bestChunk.get(slug) ?? 0, score));
  }
  return chunkScores
    .map(({ item, score }) => {
      const row = byId.get(item)!;
      return {
        ...row,
        score: articleScores.get(row.article_slug)! * (score / bestChunk.get(row.article_slug)!),
      };
    })
    .sort((a, b) => b.score - a.score);
}
