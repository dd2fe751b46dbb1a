import { describe, expect, it } from 'vitest';
import type { Embedder } from './embedder.ts';
import { withRecentTexts } from './local-embedder.ts';

/** A deterministic embedder that records what it was asked (the real model is tested elsewhere). */
function recording(): Embedder & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    model: 'test',
    dimensions: 2,
    asked,
    async embed(texts) {
      asked.push(texts);
      return texts.map((text) => [text.length, text.charCodeAt(0)]);
    },
  };
}

describe('withRecentTexts', () => {
  it('embeds a text once while it is recent, answering in order', async () => {
    const inner = recording();
    const cached = withRecentTexts(inner, 4);
    expect(await cached.embed(['a', 'bb'])).toEqual([
      [1, 97],
      [2, 98],
    ]);
    expect(await cached.embed(['bb', 'ccc', 'a'])).toEqual([
      [2, 98],
      [3, 99],
      [1, 97],
    ]);
    expect(inner.asked).toEqual([['a', 'bb'], ['ccc']]);
  });

  it('answers a batch larger than the cache in full', async () => {
    const inner = recording();
    const cached = withRecentTexts(inner, 2);
    await cached.embed(['a']);
    const texts = ['a', 'bb', 'ccc', 'dddd', 'a'];
    expect(await cached.embed(texts)).toEqual(texts.map((text) => [text.length, text.charCodeAt(0)]));
  });
});
