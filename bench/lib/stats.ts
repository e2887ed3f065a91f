/**
 * Percentile by the nearest-rank method: the smallest sample such that at least
 * p % of the samples are at or below it. NaN for no samples. Shared by every bench.
 */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN
  const sorted = [...xs].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}
