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

/** A candidate without the internal signals. */
export const toPassage = ({
  id: _id,
  coverage: _coverage,
  matched: _matched,
  ...passage
}: Candidate): Passage => passage;

/**
 * Full-text relevance: `ts_rank_cd` (term proximity and weights) times the IDF-weighted share of
 * the query's terms the chunk holds. An OR query lets a chunk rank on one frequent word; the
 * coverage factor prefers chunks holding the rare, specific terms (full-text recall@1 on the
 * training split: 0.75 with ts_rank_cd alone, 0.82 with the product).
 */
export const textRelevance = (row: Pick<Candidate, 'coverage' | 'text_score'>): number =>
  (row.coverage ?? 0) * Math.log(1 + (row.text_score ?? 0));
