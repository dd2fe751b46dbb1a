import type { Audience } from './audience.ts';
import { type AnswerCalibration, defaultCalibrations, textOnlyCalibration } from './calibration.ts';
import { foreignEntities } from './foreign-entities.ts';
import { type Candidate, type Passage, textRelevance, toPassage } from './passages.ts';
import type { PreparedQuery } from './query.ts';
import type { KnowledgeSearch, SearchDetails } from './search.ts';
import { loadCommonWords } from './vocabulary.ts';

/** Signals of a hybrid search that say whether the knowledge base holds an answer. */
export interface AnswerFeatures {
  /** Cosine similarity of the best passage by vector search. */
  topCosine: number;
  /** `topCosine` minus the best cosine of another article (a clear winner vs. a flat field). */
  cosineMargin: number;
  /** Cosine similarity of the top fused passage (0 when the vector search did not find it). */
  fusedCosine: number;
  /** Best IDF-weighted share of the query's terms found in one passage (0 without a full-text hit). */
  topCoverage: number;
  /** The same share for the top fused passage. */
  fusedCoverage: number;
  /** The best share among the top fused article's passages. */
  articleCoverage: number;
  /** Full-text relevance (`textRelevance`) of the best full-text passage. */
  topRelevance: number;
  /** 1 when vector and full-text search put the same article first. */
  agreement: number;
  /** Share of content words found nowhere in the index (not even as a typo). */
  unknownRatio: number;
  /** Unknown content words that are not common English words either (likely names), at most 2. */
  unknownNames: number;
  /** 1 when the question names a third-party product the index never mentions (`foreignEntities`). */
  foreignEntity: number;
}

/** Features of the shipped calibration for the local model. */
export const hybridFeatures: Array<keyof AnswerFeatures> = [
  'topCosine',
  'cosineMargin',
  'fusedCosine',
  'topCoverage',
  'fusedCoverage',
  'articleCoverage',
  'topRelevance',
  'agreement',
  'unknownRatio',
  'unknownNames',
  'foreignEntity',
];

/** Features that do not depend on the embedding model's cosine scale (fallback for any model). */
export const textFeatures: Array<keyof AnswerFeatures> = [
  'topCoverage',
  'fusedCoverage',
  'articleCoverage',
  'topRelevance',
  'unknownRatio',
  'unknownNames',
  'foreignEntity',
];

/**
 * Third-party names in the question the index does not hold, as written or as a typo: a known
 * brand is never a misspelling of one of our words ("roku" is not "role").
 */
export function foreignEntitiesOf(query: Pick<PreparedQuery, 'unknownTerms' | 'corrections'>): string[] {
  const unindexed = [...query.unknownTerms, ...query.corrections.map((correction) => correction.from)];
  return [...new Set(unindexed.filter((word) => foreignEntities.has(word)))];
}

/**
 * Computes the answerability features of a search (hybrid gives all of them). `commonWords`
 * (`loadCommonWords()`) tells everyday words from names among the unknown words.
 */
export function answerFeatures(
  details: SearchDetails,
  commonWords: ReadonlySet<string> = new Set(),
): AnswerFeatures {
  const [bestVector] = details.vector;
  const otherArticle = details.vector.find((row) => row.article_slug !== bestVector?.article_slug);
  const top = details.passages[0];
  const topText = top ? details.text.find((row) => row.id === top.id) : undefined;
  const topVector = top ? details.vector.find((row) => row.id === top.id) : undefined;
  const articleText = top ? details.text.filter((row) => row.article_slug === top.article_slug) : [];
  const bestText = details.text[0];
  const terms = details.query.terms.length;
  return {
    topCosine: bestVector?.vector_score ?? 0,
    cosineMargin: bestVector && otherArticle ? bestVector.vector_score! - otherArticle.vector_score! : 0,
    fusedCosine: topVector?.vector_score ?? 0,
    topCoverage: details.text.reduce((best, row) => Math.max(best, row.coverage ?? 0), 0),
    fusedCoverage: topText?.coverage ?? 0,
    articleCoverage: articleText.reduce((best, row) => Math.max(best, row.coverage ?? 0), 0),
    topRelevance: bestText ? textRelevance(bestText) : 0,
    agreement: bestVector && bestText && bestVector.article_slug === bestText.article_slug ? 1 : 0,
    unknownRatio: terms > 0 ? details.query.unknownTerms.length / terms : 1,
    unknownNames: Math.min(
      2,
      details.query.unknownTerms.filter((word) => !commonWords.has(word) && !/\d/.test(word)).length,
    ),
    foreignEntity: foreignEntitiesOf(details.query).length > 0 ? 1 : 0,
  };
}

/**
 * The confidence a question needs to be answered: `entityThreshold` when it names a third-party
 * product the index never mentions (two-stage rule), `threshold` otherwise.
 */
export function thresholdFor(features: AnswerFeatures, calibration: AnswerCalibration): number {
  return features.foreignEntity > 0
    ? (calibration.entityThreshold ?? calibration.threshold)
    : calibration.threshold;
}

/** Calibrated probability (0–1) that the top passages answer the question (logistic model). */
export function confidenceOf(features: AnswerFeatures, calibration: AnswerCalibration): number {
  let logit = calibration.bias;
  for (const [index, name] of calibration.features.entries()) {
    const standardised = (features[name] - calibration.means[index]!) / calibration.scales[index]!;
    logit += calibration.weights[index]! * standardised;
  }
  return 1 / (1 + Math.exp(-logit));
}

/** What the agent's local reasoner needs to answer, or to say "I don't know" and offer a human. */
export interface AnswerSupport {
  answerable: boolean;
  confidence: number;
  /** The best 1–3 passages (empty when not answerable). */
  passages: Passage[];
  citations: Array<{ slug: string; title: string; url: string | null }>;
  features: AnswerFeatures;
}

/** Answers questions from the knowledge base, or says it cannot. */
export type AnswerSupporter = ReturnType<typeof createAnswerSupport>;

/** Options of the answer support. */
export interface AnswerSupportOptions {
  search: KnowledgeSearch;
  /** Overrides the calibration shipped for the search's embedding model. */
  calibration?: AnswerCalibration;
}

/**
 * Creates `answerQuestion`: a hybrid search, a calibrated confidence, and a threshold under which
 * the question counts as not answerable from the knowledge base (a higher one when the question
 * names a third-party product the help center never mentions).
 */
export function createAnswerSupport(options: AnswerSupportOptions) {
  // Another embedding model has another cosine scale: fall back to the text-only calibration.
  const calibration =
    options.calibration ?? defaultCalibrations[options.search.embedder.model] ?? textOnlyCalibration;
  return {
    calibration,
    async answerQuestion(
      question: string,
      answerOptions: { audience?: Audience } = {},
    ): Promise<AnswerSupport> {
      const details = await options.search.searchDetailed(question, {
        mode: 'hybrid',
        audience: answerOptions.audience ?? 'public',
        limit: 5,
        maxPerArticle: 2,
      });
      const features = answerFeatures(details, await loadCommonWords());
      const confidence = confidenceOf(features, calibration);
      const answerable = details.passages.length > 0 && confidence >= thresholdFor(features, calibration);
      const passages = answerable ? bestPassages(details.passages) : [];
      const citations = [
        ...new Map(
          passages.map((p) => [p.article_slug, { slug: p.article_slug, title: p.title, url: p.url }]),
        ).values(),
      ];
      return { answerable, confidence, passages, citations, features };
    },
  };
}

/** The top passage plus the next ones scoring within 85% of it (at most three). */
function bestPassages(passages: Candidate[]): Passage[] {
  const top = passages[0]!.score;
  return passages
    .slice(0, 3)
    .filter((passage, index) => index === 0 || passage.score >= top * 0.85)
    .map(toPassage);
}
