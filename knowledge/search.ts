import type { Queryable } from '../connectors/core/queryable.ts';
import type { Audience } from './audience.ts';
import type { Embedder } from './embedder.ts';
import { assertEmbeddings } from './embedder.ts';
import { IndexMismatchError } from './errors.ts';
import { diversify } from './fusion.ts';
import { defaultFusion, rankCandidates, type SearchMode } from './hybrid-ranking.ts';
import { assertIndexMatches } from './index-state.ts';
import { type Candidate, type Passage, toPassage } from './passages.ts';
import { normalizeQuery, type PreparedQuery, prepareQuery, tokenize, type Vocabulary } from './query.ts';
import { textCandidates, vectorCandidates } from './retrieval.ts';
import { loadVocabulary, visibleTo } from './vocabulary.ts';

export type { SearchMode } from './hybrid-ranking.ts';

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
    const fused = rankCandidates(mode, vector, fullText, {
      k: options.rrfK ?? defaultFusion.k,
      vector: options.weights?.vector ?? defaultFusion.vector,
      text: options.weights?.text ?? defaultFusion.text,
    });
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
