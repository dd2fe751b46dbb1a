import { describe, expect, it } from 'vitest';
import type { Intent } from '../../intents.ts';
import { createIntentClassifier, wordFeatures } from './intent-classifier.ts';

/** A deterministic stand-in for the sentence model: 512 pseudo-random components per text. */
const fakeEmbedder = {
  calls: 0,
  async embed(texts: string[]): Promise<number[][]> {
    this.calls += 1;
    return texts.map((text) => {
      let seed = 0;
      for (const character of text) seed = (Math.imul(seed, 31) + character.charCodeAt(0)) >>> 0;
      // mulberry32: unrelated texts get (nearly) orthogonal vectors, so the word features decide.
      return Array.from({ length: 512 }, () => {
        seed = (seed + 0x6d2b79f5) >>> 0;
        let mixed = Math.imul(seed ^ (seed >>> 15), seed | 1);
        mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
        return (((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296 - 0.5) * 0.5;
      });
    });
  },
};

const exemplars = {
  'billing.duplicate_charge': ['I was charged twice', 'double charge on my card', 'duplicate payment'],
  'kb.question': ['how do I set up SSO', 'what are the API rate limits', 'where can I export data'],
  'ticket.status': ['status of my ticket', 'any update on my case', 'what happened to TCK-123'],
  'human.request': ['let me talk to a human', 'I want a real person'],
} as Record<Intent, string[]>;

/** The classifier as it was written before its index was split: whole vectors, one dot product each. */
function referenceScores(
  exemplarVectors: Array<{ intent: Intent; vectors: Float32Array[] }>,
  query: Float32Array,
  text: string,
  boosts: Array<[Intent, RegExp, number]>,
): Array<{ intent: Intent; score: number }> {
  const dot = (a: Float32Array, b: Float32Array) => {
    let sum = 0;
    for (let position = 0; position < a.length; position += 1) sum += a[position]! * b[position]!;
    return sum;
  };
  return exemplarVectors.map(({ intent, vectors }) => {
    const top = vectors
      .map((vector) => dot(vector, query))
      .sort((a, b) => b - a)
      .slice(0, 5);
    const mean = top.reduce((sum, value) => sum + value, 0) / Math.max(1, top.length);
    const boost = boosts.reduce(
      (sum, [target, pattern, weight]) => sum + (target === intent && pattern.test(text) ? weight : 0),
      0,
    );
    return { intent, score: mean + boost };
  });
}

function normalize(vector: number[] | Float32Array): Float32Array {
  const out = Float32Array.from(vector);
  const norm = Math.sqrt(out.reduce((sum, value) => sum + value * value, 0)) || 1;
  for (let position = 0; position < out.length; position += 1) out[position]! /= norm;
  return out;
}
const features = (embedding: number[], text: string) =>
  normalize([...normalize(embedding), ...wordFeatures(text).map((value) => value * 0.8)]);

describe('intent classifier', () => {
  it('gives the confidences of whole-vector dot products, to the bit', async () => {
    const classifier = createIntentClassifier({ embedder: fakeEmbedder, exemplars });
    const texts = ['I think I was charged twice this month', 'how do I set up SAML SSO?', 'hello', ''];
    const ranked = await classifier.classify(texts);

    const labels = Object.keys(exemplars) as Intent[];
    const index = await Promise.all(
      labels.map(async (intent) => ({
        intent,
        vectors: (await fakeEmbedder.embed(exemplars[intent])).map((vector, position) =>
          features(vector, exemplars[intent][position]!),
        ),
      })),
    );
    // The boosts that can fire on these texts (the classifier's own list is private).
    const boosts: Array<[Intent, RegExp, number]> = [
      [
        'billing.duplicate_charge',
        /\b(charged|billed|debited|hit|taken|went through|paid|charge[sd]?)\b.{0,25}\b(twice|two times|2 times|2x|double)\b|\bdouble[- ]?(charge|charged|billing|billed)\b|\bduplicate (charge|payment)/i,
        0.15,
      ],
      [
        'kb.question',
        /^(how|what|when|where|which|why|is there|are there|do you|does|can i|can we)\b/i,
        0.06,
      ],
      [
        'kb.question',
        /\b(how (long|many|much|do i|do we|does)|policy|limits?|supported|support for|work with)\b/i,
        0.05,
      ],
    ];
    const queries = await fakeEmbedder.embed(texts);
    texts.forEach((text, position) => {
      const scores = referenceScores(index, features(queries[position]!, text), text, boosts);
      const max = Math.max(...scores.map((item) => item.score));
      const exps = scores.map((item) => Math.exp((item.score - max) / 0.04));
      const total = exps.reduce((sum, value) => sum + value, 0);
      const expected = scores
        .map((item, at) => ({ intent: item.intent, confidence: exps[at]! / total }))
        .sort((a, b) => b.confidence - a.confidence);
      expect(ranked[position]).toEqual(expected);
    });
    expect(ranked[0]![0]!.intent).toBe('billing.duplicate_charge');
    expect(ranked[1]![0]!.intent).toBe('kb.question');
  });

  it('embeds the exemplars once, however many texts it classifies', async () => {
    const counting = { ...fakeEmbedder, calls: 0 };
    const classifier = createIntentClassifier({ embedder: counting, exemplars });
    await classifier.warm();
    const afterWarm = counting.calls;
    await classifier.classify(['one']);
    await classifier.classify(['two']);
    expect(afterWarm).toBeGreaterThan(0);
    expect(counting.calls).toBe(afterWarm + 2);
  });

  it('extends with declared intents without changing the built-in ranking or re-embedding the exemplars', async () => {
    const counting = { ...fakeEmbedder, calls: 0 };
    const classifier = createIntentClassifier({ embedder: counting, exemplars });
    const texts = ['I was charged twice for my order', 'where is my parcel ORD-12'];
    const before = await classifier.classify(texts);
    const extended = classifier.extend(
      { 'custom.order_status': ['where is my parcel', 'track my parcel', 'has my parcel shipped'] },
      [['custom.order_status', /\bORD-\d+\b/i, 0.12]],
    );
    const calls = counting.calls;
    const ranked = await extended.classify(texts);
    // The exemplars were embedded once; only the phrasings and the texts now.
    expect(counting.calls).toBe(calls + 2);
    expect(ranked[1]![0]!.intent).toBe('custom.order_status');
    expect(ranked[0]![0]!.intent).toBe('billing.duplicate_charge');
    // The base classifier is unchanged by the extension.
    expect(await classifier.classify(texts)).toEqual(before);
    expect(classifier.extend({})).toBe(classifier);
  });

  it('says how close a text is to the built-in intents', async () => {
    const classifier = createIntentClassifier({ embedder: fakeEmbedder, exemplars });
    const [same, unrelated] = await classifier.closeness(['I was charged twice', 'zebra quantum marmalade']);
    expect(same).toMatchObject({
      intent: 'billing.duplicate_charge',
      nearest: { intent: 'billing.duplicate_charge', exemplar: 'I was charged twice' },
    });
    expect(same!.nearest.similarity).toBeCloseTo(1, 5);
    expect(unrelated!.nearest.similarity).toBeLessThan(0.5);
  });
});
