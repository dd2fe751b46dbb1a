import { type AnswerFeatures, confidenceOf, thresholdFor } from '../../knowledge/answer.ts';
import type { AnswerCalibration } from '../../knowledge/calibration.ts';
import { answerable, detectionMetrics, hitAt, type QuestionRun, retrievalMetrics } from './evaluate.ts';
import { mulberry32 } from './random.ts';

/** How the calibration is fitted. */
export interface FitOptions {
  /** L2 penalty of the logistic regression (default `defaultL2`; `chooseL2` picks it by cross-validation). */
  l2?: number;
  /** Answerable recall@5 the threshold may cost on the training split (default 0: unchanged). */
  maxRecallLoss?: number;
}

/**
 * Fits P(the top-3 passages answer the question) as a logistic regression on standardised
 * features (label: answerable and a relevant article in the top 3), then picks the highest
 * threshold that keeps training recall@5 within `maxRecallLoss`, which maximises unanswerable
 * detection — one for questions naming a foreign product (`entityThreshold`), one for the rest, so
 * the rare answerable question that mentions one (a key leaked "to a public GitHub repo") does
 * not pin the threshold of all the others.
 */
export function fitCalibration(
  runs: QuestionRun[],
  features: Array<keyof AnswerFeatures>,
  model: string,
  options: FitOptions = {},
): AnswerCalibration {
  const rows = runs.map((run) => features.map((name) => run.features[name]));
  const labels = runs.map((run) => (answerable(run) && hitAt(run, 3) ? 1 : 0));
  const means = features.map((_, j) => mean(rows.map((row) => row[j]!)));
  const scales = features.map((_, j) => Math.sqrt(mean(rows.map((row) => (row[j]! - means[j]!) ** 2))) || 1);
  const x = rows.map((row) => row.map((value, j) => (value - means[j]!) / scales[j]!));
  const l2 = options.l2 ?? defaultL2;
  const { weights, bias } = logisticRegression(x, labels, l2);
  const calibration: AnswerCalibration = { model, features, means, scales, weights, bias, threshold: 0, l2 };
  const maxRecallLoss = options.maxRecallLoss ?? 0;
  const naming = features.includes('foreignEntity')
    ? runs.filter((run) => run.features.foreignEntity > 0)
    : [];
  const rest = runs.filter((run) => !naming.includes(run));
  calibration.threshold = chooseThreshold(rest, calibration, maxRecallLoss);
  if (naming.length > 0) calibration.entityThreshold = chooseThreshold(naming, calibration, maxRecallLoss);
  return calibration;
}

/** The L2 penalty used when none is given. */
export const defaultL2 = 0.01;

/** L2 penalties `chooseL2` tries. */
export const l2Grid = [0.003, 0.01, 0.02, 0.05, 0.1];

/** What a fitting procedure does on questions it was not fitted on (repeated k-fold cross-validation). */
export interface CrossValidation {
  l2: number;
  /** Share of held-back unanswerable questions refused. */
  detected: number;
  /** Share of held-back answerable questions retrieved in the top 5 that the threshold refuses. */
  answerableLost: number;
}

/**
 * Repeated k-fold cross-validation of `fitCalibration` on `runs` (the training split): each fold
 * is fitted on the others, thresholds included, and scored on itself. The in-sample detection of
 * a threshold chosen to lose no training question is optimistic; this says what to expect on new
 * questions. Deterministic (seeded shuffles).
 */
export function crossValidate(
  runs: QuestionRun[],
  features: Array<keyof AnswerFeatures>,
  options: { l2: number; folds?: number; repeats?: number; seed?: number },
): CrossValidation {
  const folds = options.folds ?? 5;
  const random = mulberry32(options.seed ?? 7);
  let refused = 0;
  let unanswerable = 0;
  let lost = 0;
  let retrieved = 0;
  for (let repeat = 0; repeat < (options.repeats ?? 6); repeat++) {
    const order = runs
      .map((run) => ({ run, key: random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ run }) => run);
    for (let fold = 0; fold < folds; fold++) {
      const fitted = fitCalibration(
        order.filter((_, index) => index % folds !== fold),
        features,
        'cross-validation',
        { l2: options.l2 },
      );
      const answers = answersUnder(fitted);
      for (const run of order.filter((_, index) => index % folds === fold)) {
        if (!answerable(run)) {
          unanswerable += 1;
          if (!answers(run)) refused += 1;
        } else if (hitAt(run, 5)) {
          retrieved += 1;
          if (!answers(run)) lost += 1;
        }
      }
    }
  }
  return {
    l2: options.l2,
    detected: unanswerable === 0 ? 0 : refused / unanswerable,
    answerableLost: retrieved === 0 ? 0 : lost / retrieved,
  };
}

/**
 * Picks the L2 penalty from `grid` whose cross-validated detection minus answerable loss is highest
 * (ties go to the stronger penalty); returns every candidate's cross-validation too.
 */
export function chooseL2(
  runs: QuestionRun[],
  features: Array<keyof AnswerFeatures>,
  grid: number[] = l2Grid,
): { l2: number; candidates: CrossValidation[] } {
  const candidates = grid.map((l2) => crossValidate(runs, features, { l2 }));
  const score = (candidate: CrossValidation) => candidate.detected - candidate.answerableLost;
  const best = candidates.reduce((chosen, candidate) =>
    score(candidate) > score(chosen) + 1e-9 ||
    (Math.abs(score(candidate) - score(chosen)) <= 1e-9 && candidate.l2 > chosen.l2)
      ? candidate
      : chosen,
  );
  return { l2: best.l2, candidates };
}

/** Whether answer support answers the run under `calibration` (its confidence and thresholds). */
export const answersUnder =
  (calibration: AnswerCalibration) =>
  (run: QuestionRun): boolean =>
    confidenceOf(run.features, calibration) >= thresholdFor(run.features, calibration);

function chooseThreshold(runs: QuestionRun[], calibration: AnswerCalibration, maxRecallLoss: number): number {
  const confidence = (run: QuestionRun) => confidenceOf(run.features, calibration);
  const floor = retrievalMetrics(runs).recallAt5 - maxRecallLoss - 1e-9;
  const candidates = [...new Set(runs.map(confidence))].sort((a, b) => a - b);
  let best = 0;
  for (const candidate of candidates) {
    const metrics = detectionMetrics(runs, (run) => confidence(run) >= candidate);
    if (metrics.recallAt5WithThreshold >= floor) best = candidate;
    else break;
  }
  // Half-way down to the next lower confidence: a margin for questions just under the last kept one.
  const lower = candidates.filter((value) => value < best).at(-1) ?? 0;
  return (best + lower) / 2;
}

function logisticRegression(x: number[][], y: number[], l2: number): { weights: number[]; bias: number } {
  const dimensions = x[0]?.length ?? 0;
  const weights = new Array<number>(dimensions).fill(0);
  let bias = 0;
  const rate = 0.5;
  for (let iteration = 0; iteration < 4000; iteration++) {
    const gradient = new Array<number>(dimensions).fill(0);
    let biasGradient = 0;
    x.forEach((row, i) => {
      const logit = row.reduce((sum, value, j) => sum + value * weights[j]!, bias);
      const error = 1 / (1 + Math.exp(-logit)) - y[i]!;
      row.forEach((value, j) => {
        gradient[j]! += error * value;
      });
      biasGradient += error;
    });
    for (let j = 0; j < dimensions; j++) weights[j]! -= rate * (gradient[j]! / x.length + l2 * weights[j]!);
    bias -= (rate * biasGradient) / x.length;
  }
  return { weights, bias };
}

/** Brier score and expected calibration error (10 bins) of the confidence against the label. */
export function calibrationQuality(
  runs: QuestionRun[],
  calibration: AnswerCalibration,
): { brier: number; ece: number } {
  const points = runs.map((run) => ({
    p: confidenceOf(run.features, calibration),
    y: answerable(run) && hitAt(run, 3) ? 1 : 0,
  }));
  const brier = mean(points.map(({ p, y }) => (p - y) ** 2));
  let ece = 0;
  for (let bin = 0; bin < 10; bin++) {
    const inBin = points.filter(({ p }) => p >= bin / 10 && (p < (bin + 1) / 10 || (bin === 9 && p <= 1)));
    if (inBin.length === 0) continue;
    ece +=
      (inBin.length / points.length) *
      Math.abs(mean(inBin.map(({ p }) => p)) - mean(inBin.map(({ y }) => y)));
  }
  return { brier, ece };
}

const mean = (values: number[]): number =>
  values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
