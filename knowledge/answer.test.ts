import { describe, expect, it } from 'vitest';
import {
  type AnswerFeatures,
  answerFeatures,
  confidenceOf,
  foreignEntitiesOf,
  thresholdFor,
} from './answer.ts';
import type { AnswerCalibration } from './calibration.ts';
import type { Candidate } from './passages.ts';
import { prepareQuery, type Vocabulary } from './query.ts';
import type { SearchDetails } from './search.ts';

const vocabulary: Vocabulary = {
  words: new Map([
    ['password', 12],
    ['reset', 8],
    ['role', 5],
    ['slack', 4],
    ['integration', 6],
  ]),
  stems: new Map([
    ['password', ['password']],
    ['reset', ['reset']],
    ['role', ['role']],
    ['slack', ['slack']],
    ['integration', ['integr']],
  ]),
  stemFrequency: new Map([
    ['password', 12],
    ['reset', 8],
    ['role', 5],
    ['slack', 4],
    ['integr', 6],
  ]),
  chunkCount: 40,
  commonWords: new Set(['weather']),
};

const passage = (id: string, slug: string, extra: Partial<Candidate> = {}): Candidate => ({
  id,
  article_slug: slug,
  title: slug,
  heading_path: [slug],
  content: 'text',
  url: null,
  score: 1,
  ...extra,
});

function details(question: string): SearchDetails {
  const top = passage('1', 'reset-your-password', { vector_score: 0.7, text_score: 0.4, coverage: 0.6 });
  return {
    passages: [top],
    query: prepareQuery(question, vocabulary),
    vector: [top, passage('2', 'slack-alerts', { vector_score: 0.5 })],
    text: [top],
    timings: { embeddingMs: 0, searchMs: 0 },
  };
}

describe('foreignEntitiesOf', () => {
  it('names third-party products the index does not hold, typo-corrected or not', () => {
    expect(foreignEntitiesOf(prepareQuery('how do I reset my github password', vocabulary))).toEqual([
      'github',
    ]);
    // A known product is never a typo of ours, even when the query step "corrected" it.
    const roku = prepareQuery('can I track events from a roku app', vocabulary);
    expect(foreignEntitiesOf({ unknownTerms: [], corrections: [{ from: 'roku', to: 'role' }] })).toEqual([
      'roku',
    ]);
    expect(foreignEntitiesOf(roku)).toEqual(['roku']);
  });

  it('does not count a product the help center documents', () => {
    expect(foreignEntitiesOf(prepareQuery('is there a slack integration', vocabulary))).toEqual([]);
  });
});

describe('answerFeatures', () => {
  it('counts unknown names apart from unknown everyday words and numbers', () => {
    const features = answerFeatures(
      details('reset password for mixpanel and datadog 2024 weather'),
      new Set(['weather']),
    );
    expect(features.unknownNames).toBe(2);
    expect(features.foreignEntity).toBe(1);
    expect(features.unknownRatio).toBeCloseTo(3 / 6);
    const plain = answerFeatures(details('reset password weather'), new Set(['weather']));
    expect(plain.unknownNames).toBe(0);
    expect(plain.foreignEntity).toBe(0);
  });

  it('reads the vector, full-text and agreement signals of the search', () => {
    const features = answerFeatures(details('reset password'));
    expect(features.topCosine).toBeCloseTo(0.7);
    expect(features.cosineMargin).toBeCloseTo(0.2);
    expect(features.topCoverage).toBeCloseTo(0.6);
    expect(features.agreement).toBe(1);
  });
});

describe('thresholdFor', () => {
  const calibration: AnswerCalibration = {
    model: '*',
    features: ['foreignEntity'],
    means: [0],
    scales: [1],
    weights: [-2],
    bias: 1,
    threshold: 0.3,
    entityThreshold: 0.8,
  };
  const features = (foreignEntity: number) => ({ foreignEntity }) as AnswerFeatures;

  it('asks more confidence of a question naming a foreign product', () => {
    expect(thresholdFor(features(0), calibration)).toBe(0.3);
    expect(thresholdFor(features(1), calibration)).toBe(0.8);
    expect(thresholdFor(features(1), { ...calibration, entityThreshold: undefined })).toBe(0.3);
  });

  it('turns the standardised features into a probability', () => {
    expect(confidenceOf(features(0), calibration)).toBeCloseTo(1 / (1 + Math.exp(-1)));
    expect(confidenceOf(features(1), calibration)).toBeCloseTo(1 / (1 + Math.exp(1)));
  });
});
