/** A ranked list of candidates from one retrieval method, best first. */
export interface RankedList<T> {
  items: T[];
  /** Relative weight of this list in the fusion (default 1). */
  weight?: number;
}

/**
 * Reciprocal rank fusion (Cormack et al. 2009): score(d) = Σ weight / (k + rank(d)), ranks from 1.
 * Items are matched across lists by `key`. Returns items with their fused score, best first;
 * ties keep the order of first appearance.
 */
export function reciprocalRankFusion<T>(
  lists: Array<RankedList<T>>,
  key: (item: T) => string,
  k = 60,
): Array<{ item: T; score: number }> {
  const fused = new Map<string, { item: T; score: number; first: number }>();
  let order = 0;
  for (const list of lists) {
    const weight = list.weight ?? 1;
    list.items.forEach((item, index) => {
      const id = key(item);
      const entry = fused.get(id) ?? { item, score: 0, first: order++ };
      entry.score += weight / (k + index + 1);
      fused.set(id, entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.first - b.first)
    .map(({ item, score }) => ({ item, score }));
}

/**
 * Keeps at most `maxPerGroup` items per group (article), preserving order, up to `limit` items.
 * Diversity: the top results cite several articles instead of one article's neighbouring chunks.
 */
export function diversify<T>(
  items: T[],
  group: (item: T) => string,
  maxPerGroup: number,
  limit: number,
): T[] {
  const counts = new Map<string, number>();
  const kept: T[] = [];
  for (const item of items) {
    if (kept.length >= limit) break;
    const id = group(item);
    const count = counts.get(id) ?? 0;
    if (count >= maxPerGroup) continue;
    counts.set(id, count + 1);
    kept.push(item);
  }
  return kept;
}
