/**
 * `k` distinct items drawn with probability proportional to `weight` (Efraimidis-Spirakis:
 * each item gets the key u^(1/w) and the k largest keys win; computed as ln(u)/w, which orders
 * the same and does not underflow to 0 for tiny weights), O(n log n). Items of weight 0 or less
 * are never drawn.
 */
export function weightedSample<T> (items: readonly T[], k: number, weight: (item: T) => number, random: () => number = Math.random): T[] {
  return items
    .map((item) => ({ item, w: weight(item) }))
    .filter(({ w }) => w > 0 && Number.isFinite(w))
    .map(({ item, w }) => ({ item, key: Math.log(random()) / w }))
    .sort((a, b) => b.key - a.key)
    .slice(0, Math.max(0, k))
    .map(({ item }) => item)
}

/** `k` distinct items drawn uniformly. */
export function uniformSample<T> (items: readonly T[], k: number, random: () => number = Math.random): T[] {
  return weightedSample(items, k, () => 1, random)
}
