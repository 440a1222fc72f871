/** The q-quantile (0..1) of samples already sorted ascending, by linear interpolation; undefined when empty. */
export function quantile (sorted: ArrayLike<number>, q: number): number | undefined {
  const n = sorted.length
  if (n === 0) return undefined
  const at = Math.min(Math.max(q, 0), 1) * (n - 1)
  const below = Math.floor(at)
  const above = Math.min(below + 1, n - 1)
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (at - below)
}

/** p50 and p99 of unsorted samples (copied, not reordered in place). */
export function p50p99 (samples: ArrayLike<number>): { p50?: number, p99?: number } {
  const sorted = Float64Array.from(samples).sort()
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) }
}
