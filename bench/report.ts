import { fmt, type Summary } from './stats.js'

export interface Row {
  group: string
  name: string
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
    lines.push(`| ${r.name} | ${fmt(r.result.median)} | ${fmt(r.result.p99)} | ${r.baselineName} | ${fmt(r.baseline.median)} | ${fmt(r.baseline.p99)} | ${ratio(r.result.median, r.baseline.median)} | ${ratio(r.result.p99, r.baseline.p99)} |`)
    if (r.result.throughput != null && r.baseline.throughput != null) {
      lines.push(`| ${r.name}: throughput | ${r.result.throughput.toFixed(0)} req/s | | ${r.baselineName} | ${r.baseline.throughput.toFixed(0)} req/s | | ${ratio(r.result.throughput, r.baseline.throughput)} | |`)
    }
  }
  return lines.join('\n')
}
