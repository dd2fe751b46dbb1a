import { describe, expect, it } from 'vitest';
import { editDistance, normalizeQuery, prepareQuery, type Vocabulary } from './query.ts';

const vocabulary: Vocabulary = {
  words: new Map([
    ['password', 12],
    ['payment', 9],
    ['refund', 7],
    ['stuck', 3],
    ['phone', 2],
    ['test', 2],
  ]),
  stems: new Map([
    ['password', ['password']],
    ['payment', ['payment']],
    ['refund', ['refund']],
    ['stuck', ['stuck']],
    ['phone', ['phone']],
    ['test', ['test']],
  ]),
  stemFrequency: new Map([
    ['password', 12],
    ['payment', 9],
    ['refund', 7],
  ]),
  chunkCount: 40,
  commonWords: new Set(['stock']),
};

describe('prepareQuery', () => {
  it('corrects typos towards indexed words and ORs the terms', () => {
    const query = prepareQuery('Hi, my paymnet and pasword?', vocabulary);
    expect(query.corrections).toEqual([
      { from: 'paymnet', to: 'payment' },
      { from: 'pasword', to: 'password' },
    ]);
    expect(query.tsquery).toBe('payment | password');
    expect(query.text).toBe('Hi, my payment and password?');
    expect(query.unknownTerms).toEqual([]);
  });

  it('does not "correct" common words, inflections or first letters, and counts unknown topics', () => {
    const query = prepareQuery('stock tests iphone terraform 404', vocabulary);
    expect(query.corrections).toEqual([]);
    expect(query.unknownTerms).toEqual(['stock', 'tests', 'iphone', 'terraform']);
    expect(query.unknownWeight).toBeCloseTo(4 * Math.log(41));
  });

  it('weights indexed stems by inverse document frequency', () => {
    const query = prepareQuery('refund password', vocabulary);
    expect(query.stems.get('refund')).toBeCloseTo(Math.log(1 + 40 / 7));
    expect(query.stems.get('refund')!).toBeGreaterThan(query.stems.get('password')!);
  });

  it('selects candidates with the rarest terms within the posting budget, and ranks with all of them', () => {
    const large: Vocabulary = {
      ...vocabulary,
      words: new Map([
        ['refund', 900],
        ['window', 200],
        ['goodwill', 30],
        ['credit', 2000],
      ]),
      stems: new Map([
        ['refund', ['refund']],
        ['window', ['window']],
        ['goodwill', ['goodwil']],
        ['credit', ['credit']],
        ['credits', ['credit']],
      ]),
      stemFrequency: new Map([
        ['refund', 900],
        ['window', 200],
        ['goodwil', 30],
        ['credit', 2000],
      ]),
      chunkCount: 10_000,
    };
    const query = prepareQuery('goodwill credits outside the refund window', large);
    expect(query.filterTsquery).toBe('outside | goodwill | window');
    expect(query.tsquery).toBe('goodwill | credits | outside | refund | window');
    // "credits" is unknown as written but its stem is indexed: known, and common.
    expect(query.unknownTerms).toEqual(['outside']);
    expect(prepareQuery('refund credit', large).filterTsquery).toBe('refund & credit');
    expect(prepareQuery('refund window', vocabulary).filterTsquery).toBe('window | refund');
  });

  it('returns no tsquery when only stopwords remain', () => {
    expect(prepareQuery('how do I', vocabulary).tsquery).toBeNull();
  });
});

describe('normalizeQuery', () => {
  it('collapses whitespace, drops control characters, normalises quotes and caps length', () => {
    expect(normalizeQuery('  it\u2019s\u0000  \n broken ')).toBe("it's broken");
    expect(normalizeQuery('x'.repeat(5000))).toHaveLength(1000);
  });
});

describe('editDistance', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('paymnet', 'payment')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('abcdef', 'uvwxyz', 1)).toBe(2);
  });
});
