import { fmt, type Summary } from './stats.js'

export interface Row {
  group: string
  name: string
  /** How values print: durations in ms (default) or sizes in MiB. */
  unit?: 'ms' | 'MiB'
  result: Summary & { throughput?: number }
  baselineName: string
  baseline: Summary & { throughput?: number }
}

const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`

/** A Markdown table, pasted as is into docs/performance.md. */
export function markdown (rows: Row[]): string {
  const lines = [
    '| measurement | median | p99 | baseline (same run) | baseline median | baseline p99 | ratio (median) | ratio (p99) |',
    '|---|---|---|---|---|---|---|---|'
  ]
  for (const r of rows) {
    const f = r.unit === 'MiB' ? (v: number): string => `${v.toFixed(1)} MiB` : fmt
    lines.push(`| ${r.name} | ${f(r.result.median)} | ${f(r.result.p99)} | ${r.baselineName} | ${f(r.baseline.median)} | ${f(r.baseline.p99)} | ${ratio(r.result.median, r.baseline.median)} | ${ratio(r.result.p99, r.baseline.p99)} |`)
    if (r.result.throughput != null && r.baseline.throughput != null) {
      lines.push(`| ${r.name}: throughput | ${r.result.throughput.toFixed(0)} req/s | | ${r.baselineName} | ${r.baseline.throughput.toFixed(0)} req/s | | ${ratio(r.result.throughput, r.baseline.throughput)} | |`)
    }
  }
  return lines.join('\n')
}
