import { describe, expect, it } from 'vitest';
import { diversify, reciprocalRankFusion } from './fusion.ts';

describe('reciprocalRankFusion', () => {
  it('scores by the sum of weight / (k + rank) across lists', () => {
    const fused = reciprocalRankFusion([{ items: ['a', 'b', 'c'] }, { items: ['c', 'a'] }], (id) => id, 60);
    expect(fused.map((entry) => entry.item)).toEqual(['a', 'c', 'b']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62);
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 61);
    expect(fused[2]!.score).toBeCloseTo(1 / 62);
  });

  it('lets a weight favour one list, and keeps first-seen order on ties', () => {
    const fused = reciprocalRankFusion([{ items: ['v'], weight: 0.5 }, { items: ['t'] }], (id) => id, 10);
    expect(fused.map((entry) => entry.item)).toEqual(['t', 'v']);
    expect(
      reciprocalRankFusion([{ items: ['x'] }, { items: ['y'] }], (id) => id).map((entry) => entry.item),
    ).toEqual(['x', 'y']);
  });
});

describe('diversify', () => {
  it('keeps at most n items per group, in order, up to the limit', () => {
    const items = ['a1', 'a2', 'a3', 'b1', 'a4', 'c1', 'b2'];
    expect(diversify(items, (item) => item[0]!, 1, 10)).toEqual(['a1', 'b1', 'c1']);
    expect(diversify(items, (item) => item[0]!, 2, 4)).toEqual(['a1', 'a2', 'b1', 'c1']);
  });
});
