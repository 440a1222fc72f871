/** Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom; beyond, the normal's. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

/** The mean of `values` and the half width of its 95 % confidence interval (t-distribution; 0 for one value). */
export function meanCi (values: number[]): { mean: number, ci: number } {
  const n = values.length
  if (n === 0) return { mean: NaN, ci: NaN }
  const mean = values.reduce((a, b) => a + b, 0) / n
  if (n === 1) return { mean, ci: 0 }
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)
  return { mean, ci: (T95[n - 2] ?? 1.96) * Math.sqrt(variance / n) }
}
