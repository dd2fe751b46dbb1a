import { type AnswerFeatures, answerFeatures } from '../../knowledge/answer.ts';
import type { KnowledgeSearch, SearchDetails, SearchMode } from '../../knowledge/search.ts';
import { loadCommonWords } from '../../knowledge/vocabulary.ts';
import type { LabeledQuestion } from './labeled-set.ts';

/** One labeled question run through one retrieval mode. */
export interface QuestionRun {
  question: LabeledQuestion;
  /** Distinct article slugs in result order (one passage per article, ten deep). */
  slugs: string[];
  /** 1-based rank of the first relevant article, null when none is in the ten. */
  rank: number | null;
  features: AnswerFeatures;
  embeddingMs: number;
  searchMs: number;
}

/** Runs every question through `mode`, in order (latencies are per query, not concurrent). */
export async function runQuestions(
  search: KnowledgeSearch,
  questions: LabeledQuestion[],
  mode: SearchMode,
): Promise<QuestionRun[]> {
  const runs: QuestionRun[] = [];
  const commonWords = await loadCommonWords();
  for (const question of questions) {
    const details: SearchDetails = await search.searchDetailed(question.q, {
      mode,
      audience: question.audience ?? 'public',
      limit: 10,
      maxPerArticle: 1,
    });
    const slugs = details.passages.map((passage) => passage.article_slug);
    const index = slugs.findIndex((slug) => question.relevant.includes(slug));
    runs.push({
      question,
      slugs,
      rank: index >= 0 ? index + 1 : null,
      features: answerFeatures(details, commonWords),
      embeddingMs: details.timings.embeddingMs,
      searchMs: details.timings.searchMs,
    });
  }
  return runs;
}

/** Retrieval quality over the answerable questions of `runs`. */
export interface RetrievalMetrics {
  questions: number;
  recallAt1: number;
  recallAt5: number;
  /** Mean reciprocal rank of the first relevant article (0 beyond rank 10). */
  mrr: number;
}

export const answerable = (run: QuestionRun): boolean => run.question.relevant.length > 0;
export const hitAt = (run: QuestionRun, k: number): boolean => run.rank !== null && run.rank <= k;

export function retrievalMetrics(runs: QuestionRun[]): RetrievalMetrics {
  const answerableRuns = runs.filter(answerable);
  const share = (predicate: (run: QuestionRun) => boolean) =>
    answerableRuns.length === 0 ? 0 : answerableRuns.filter(predicate).length / answerableRuns.length;
  return {
    questions: answerableRuns.length,
    recallAt1: share((run) => hitAt(run, 1)),
    recallAt5: share((run) => hitAt(run, 5)),
    mrr:
      answerableRuns.length === 0
        ? 0
        : answerableRuns.reduce((sum, run) => sum + (run.rank ? 1 / run.rank : 0), 0) / answerableRuns.length,
  };
}

/** Unanswerable detection by an answer rule, and what it costs answerable recall. */
export interface DetectionMetrics {
  unanswerable: number;
  /** Share of unanswerable questions the rule refuses to answer. */
  detected: number;
  /** Share of answerable questions with a relevant article in the top 5 that the rule answers. */
  recallAt5WithThreshold: number;
}

/** `answers(run)`: whether answer support would answer (confidence over the run's threshold). */
export function detectionMetrics(
  runs: QuestionRun[],
  answers: (run: QuestionRun) => boolean,
): DetectionMetrics {
  const unanswerableRuns = runs.filter((run) => !answerable(run));
  const answerableRuns = runs.filter(answerable);
  return {
    unanswerable: unanswerableRuns.length,
    detected:
      unanswerableRuns.length === 0
        ? 0
        : unanswerableRuns.filter((run) => !answers(run)).length / unanswerableRuns.length,
    recallAt5WithThreshold:
      answerableRuns.length === 0
        ? 0
        : answerableRuns.filter((run) => hitAt(run, 5) && answers(run)).length / answerableRuns.length,
  };
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
