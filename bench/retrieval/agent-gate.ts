import {
  bestPassage,
  covers,
  focusQuestion,
  meaningNeedsConfidence,
  sentenceSupportThreshold,
  support,
} from '../../agent/procedures/passage-excerpt.ts';
import { createAnswerSupport } from '../../knowledge/answer.ts';
import type { Embedder } from '../../knowledge/embedder.ts';
import { withRecentTexts } from '../../knowledge/local-embedder.ts';
import type { KnowledgeSearch } from '../../knowledge/search.ts';
import { percentile } from './evaluate.ts';
import type { LabeledQuestion } from './labeled-set.ts';

/** What the agent's knowledge gate (agent/procedures/kb-question.ts) saw for one labeled question. */
export interface GateRun {
  answerable: boolean;
  /** The knowledge base's calibrated rule answers. */
  knowledge: boolean;
  /** The best passage mentions most of the question's distinctive words (`covers`). */
  lexical: boolean;
  /** The best sentence similarity of the best passage (`support`), 0 without a passage. */
  meaning: number;
  /** The same for every passage the knowledge answer gave, best first. */
  meanings: number[];
  /** The knowledge base's calibrated confidence. */
  confidence: number;
  /** Time the sentence-level support took (embedding the question and the passage's sentences). */
  supportMs: number;
}

/** Cosine similarities by the embedder, as the local reasoner computes them (`Reasoner.similarity`). */
export function similarityOf(embedder: Embedder) {
  return async (query: string, texts: string[]): Promise<number[]> => {
    const [asked, ...others] = await embedder.embed([query, ...texts]);
    return others.map((vector) => {
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let index = 0; index < vector.length; index += 1) {
        dot += asked![index]! * vector[index]!;
        a += asked![index]! ** 2;
        b += vector[index]! ** 2;
      }
      return a > 0 && b > 0 ? dot / Math.sqrt(a * b) : 0;
    });
  };
}

/** Runs every labeled question through the knowledge answer and the agent's gate. */
export async function runGate(search: KnowledgeSearch, questions: LabeledQuestion[]): Promise<GateRun[]> {
  const answers = createAnswerSupport({ search });
  // Cached as the agent's shared embedder is: a passage's sentences are embedded once.
  const similarity = similarityOf(withRecentTexts(search.embedder, 4096));
  const runs: GateRun[] = [];
  for (const labeled of questions) {
    const question = focusQuestion(labeled.q);
    const answer = await answers.answerQuestion(question, { audience: labeled.audience ?? 'public' });
    // As the knowledge connector hands passages to the agent (knowledge/connector.ts).
    const passages = answer.passages.map((passage) => ({
      ...passage,
      heading: passage.heading_path.join(' > '),
    }));
    const best = passages.length > 0 ? bestPassage(passages, question) : null;
    const started = performance.now();
    const meaning = best ? (await support(best, question, similarity)).best : 0;
    const supportMs = performance.now() - started;
    // Every passage's support (the gate may take the best of them): calibration data only.
    const meanings: number[] = [];
    for (const passage of passages) meanings.push((await support(passage, question, similarity)).best);
    runs.push({
      answerable: labeled.relevant.length > 0,
      knowledge: answer.answerable && best !== null,
      lexical: best !== null && covers(best, question),
      meaning,
      meanings,
      confidence: answer.confidence,
      supportMs,
    });
  }
  return runs;
}

/** Refusal of answerable questions and detection of unanswerable ones under one gate. */
export function gateRates(runs: GateRun[], answers: (run: GateRun) => boolean) {
  const answerable = runs.filter((run) => run.answerable);
  const unanswerable = runs.filter((run) => !run.answerable);
  return {
    refused: answerable.filter((run) => !answers(run)).length / Math.max(1, answerable.length),
    detected: unanswerable.filter((run) => !answers(run)).length / Math.max(1, unanswerable.length),
  };
}

/** The agent gate table of docs/knowledge.md: the knowledge rule alone, with words, with meaning. */
export function gateReport(runs: GateRun[]): string {
  const answerable = runs.filter((run) => run.answerable).length;
  const lines = [
    `\n### Agent answer gate (agent/procedures/kb-question.ts) — ${answerable} answerable + ${runs.length - answerable} unanswerable questions, hybrid\n`,
    '| gate | answerable refused | unanswerable detected |',
    '|---|---|---|',
  ];
  const row = (name: string, answers: (run: GateRun) => boolean) => {
    const rates = gateRates(runs, answers);
    lines.push(
      `| ${name} | ${(rates.refused * 100).toFixed(1)} % | ${(rates.detected * 100).toFixed(1)} % |`,
    );
  };
  row('knowledge rule only', (run) => run.knowledge);
  row('knowledge rule + words (`covers`, before)', (run) => run.knowledge && run.lexical);
  const strongest = (run: GateRun) => Math.max(0, ...run.meanings);
  row(
    'knowledge rule + (words or best sentence ≥ 0.55)',
    (run) => run.knowledge && (run.lexical || run.meaning >= 0.55),
  );
  row(
    `knowledge rule + (words or (any passage's best sentence ≥ ${sentenceSupportThreshold} and confidence ≥ ${meaningNeedsConfidence})) — shipped`,
    (run) =>
      run.knowledge &&
      (run.lexical ||
        (strongest(run) >= sentenceSupportThreshold && run.confidence >= meaningNeedsConfidence)),
  );
  const times = runs.filter((run) => run.meaning > 0).map((run) => run.supportMs);
  lines.push(
    `\nSentence-level support: p50 / p95 ${percentile(times, 50).toFixed(1)} / ${percentile(times, 95).toFixed(1)} ms per question (the passage's sentences embedded once, then cached).`,
  );
  return lines.join('\n');
}
