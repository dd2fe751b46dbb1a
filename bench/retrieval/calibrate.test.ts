import { describe, expect, it } from 'vitest';
import type { AnswerFeatures } from '../../knowledge/answer.ts';
import { answersUnder, chooseL2, crossValidate, fitCalibration, l2Grid } from './calibrate.ts';
import { detectionMetrics, type QuestionRun } from './evaluate.ts';

const features = (topCoverage: number, foreignEntity = 0): AnswerFeatures => ({
  topCosine: 0.5,
  cosineMargin: 0,
  fusedCosine: 0.5,
  topCoverage,
  fusedCoverage: topCoverage,
  articleCoverage: topCoverage,
  topRelevance: topCoverage,
  agreement: 0,
  unknownRatio: 0,
  unknownNames: 0,
  foreignEntity,
});

let id = 0;
const run = (answerable: boolean, topCoverage: number, foreignEntity = 0): QuestionRun => ({
  question: { id: `q${id++}`, q: 'question', relevant: answerable ? ['article'] : [] },
  slugs: answerable ? ['article'] : ['other'],
  rank: answerable ? 1 : null,
  features: features(topCoverage, foreignEntity),
  embeddingMs: 0,
  searchMs: 0,
});

describe('fitCalibration', () => {
  const runs = [
    ...[0.6, 0.7, 0.8, 0.9, 0.95].map((coverage) => run(true, coverage)),
    ...[0.1, 0.2, 0.3, 0.55].map((coverage) => run(false, coverage)),
    // Naming a foreign product: one answerable question with low coverage, unanswerable ones above it.
    run(true, 0.35, 1),
    ...[0.2, 0.3].map((coverage) => run(false, coverage, 1)),
    ...[0.5, 0.65].map((coverage) => run(false, coverage, 1)),
  ];
  const calibration = fitCalibration(runs, ['topCoverage', 'foreignEntity'], 'test');

  it('keeps every answerable question that was retrieved, in both groups', () => {
    expect(detectionMetrics(runs, answersUnder(calibration)).recallAt5WithThreshold).toBe(1);
  });

  it('gives questions naming a foreign product their own threshold, so they do not pin the others', () => {
    expect(calibration.entityThreshold).toBeDefined();
    // The foreign answerable question (coverage 0.35) would otherwise let the 0.55 unanswerable one through.
    const metrics = detectionMetrics(runs, answersUnder(calibration));
    expect(metrics.detected).toBeGreaterThanOrEqual(6 / 8);
    const plain = fitCalibration(runs, ['topCoverage'], 'test');
    expect(plain.entityThreshold).toBeUndefined();
    expect(detectionMetrics(runs, answersUnder(plain)).detected).toBeLessThan(metrics.detected);
  });
});

describe('crossValidate', () => {
  // Coverage separates the groups cleanly, so folds fitted without a question still place it right.
  const separable = [
    ...Array.from({ length: 20 }, (_, i) => run(true, 0.6 + i * 0.015)),
    ...Array.from({ length: 10 }, (_, i) => run(false, 0.05 + i * 0.02)),
  ];
  // The same coverages with the labels of two questions swapped: no fit can place those two right.
  const overlapping = separable.map((item, index) =>
    index === 0 ? run(false, 0.6) : index === 20 ? run(true, 0.05) : item,
  );

  it('scores each fold on questions its fit never saw', () => {
    expect(crossValidate(separable, ['topCoverage'], { l2: 0.01 })).toEqual({
      l2: 0.01,
      detected: 1,
      answerableLost: 0,
    });
    const noisy = crossValidate(overlapping, ['topCoverage'], { l2: 0.01 });
    expect(noisy.detected < 1 || noisy.answerableLost > 0).toBe(true);
  });

  it('is deterministic, and chooses the penalty from the grid', () => {
    expect(crossValidate(overlapping, ['topCoverage'], { l2: 0.05 })).toEqual(
      crossValidate(overlapping, ['topCoverage'], { l2: 0.05 }),
    );
    const chosen = chooseL2(separable, ['topCoverage']);
    expect(chosen.candidates.map((candidate) => candidate.l2)).toEqual(l2Grid);
    // Every penalty separates these perfectly: the tie goes to the strongest.
    expect(chosen.l2).toBe(Math.max(...l2Grid));
  });
});
