import type { AnswerFeatures } from './answer.ts';
import { fittedCalibrations } from './calibration-fitted.ts';

/**
 * A logistic model over standardised answer features, fitted on the training split of
 * `knowledge/eval/questions.yaml` by `npm run bench:retrieval -- --calibrate --write`
 * (see docs/knowledge.md). The confidence is P(the top passages answer the question).
 */
export interface AnswerCalibration {
  /** Embedding model the features were measured with (`*` for the text-only fallback). */
  model: string;
  features: Array<keyof AnswerFeatures>;
  means: number[];
  scales: number[];
  weights: number[];
  bias: number;
  /** L2 penalty of the fit (chosen by cross-validation on the training split). */
  l2?: number;
  /** Confidence under which a question is "not answerable from the knowledge base". */
  threshold: number;
  /**
   * The threshold for questions that name a third-party product the index never mentions
   * (`AnswerFeatures.foreignEntity`); `threshold` when absent.
   */
  entityThreshold?: number;
}

/** Calibrations shipped per embedding model. */
export const defaultCalibrations: Record<string, AnswerCalibration> = Object.fromEntries(
  fittedCalibrations
    .filter((calibration) => calibration.model !== '*')
    .map((calibration) => [calibration.model, calibration]),
);

/** Full-text features only: usable with any embedding model (cosine scales differ between models). */
export const textOnlyCalibration: AnswerCalibration = fittedCalibrations.find(
  (calibration) => calibration.model === '*',
) ?? {
  model: '*',
  features: ['topRelevance'],
  means: [0],
  scales: [1],
  weights: [1],
  bias: 0,
  threshold: 0.5,
};
