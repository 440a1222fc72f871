/**
 * `npm run bench -- --check`: every row's ratio against its same-run baseline, compared with the
 * committed figures in bench/baseline.json; a row worse than its committed ratio by more than
 * its tolerance is a regression, and the run exits 1. Ratios, not absolutes, so a busy host
 * moves both sides alike. `--write-baseline` writes this run's ratios there instead (review the
 * diff before committing it: the tolerance of an existing entry is kept).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Row } from './report.js'

/** One committed figure: the row and which ratio, lower-is-better for latencies, higher for throughput. */
export interface BaselineEntry {
  name: string
  baselineName: string
  metric: 'median' | 'p99' | 'throughput'
  ratio: number
  /** How much worse than `ratio` still passes, as a share (0.5: 50 % worse). */
  tolerance: number
  /** When and how the ratio was measured (command, date, load). */
  measured?: string
}

export interface CheckResult { entry: BaselineEntry, measured: number, limit: number, ok: boolean }

/** Latency ratios drift with the host's load more than throughput ratios do. */
const DEFAULT_TOLERANCE: Record<BaselineEntry['metric'], number> = { median: 0.5, p99: 1.5, throughput: 0.25 }

function ratiosOf (row: Row): Array<{ metric: BaselineEntry['metric'], ratio: number }> {
  const out: Array<{ metric: BaselineEntry['metric'], ratio: number }> = [
    { metric: 'median', ratio: row.result.median / row.baseline.median },
    { metric: 'p99', ratio: row.result.p99 / row.baseline.p99 }
  ]
  if (row.result.throughput != null && row.baseline.throughput != null) out.push({ metric: 'throughput', ratio: row.result.throughput / row.baseline.throughput })
  return out.filter((r) => Number.isFinite(r.ratio))
}

const keyOf = (e: { name: string, baselineName: string, metric: string }): string => `${e.name}\u0000${e.baselineName}\u0000${e.metric}`

/** The rows of this run that have a committed figure, each checked against it. */
export function check (rows: Row[], entries: BaselineEntry[]): CheckResult[] {
  const byKey = new Map(entries.map((e) => [keyOf(e), e]))
  const out: CheckResult[] = []
  for (const row of rows) {
    for (const { metric, ratio } of ratiosOf(row)) {
      const entry = byKey.get(keyOf({ name: row.name, baselineName: row.baselineName, metric }))
      if (entry == null) continue
      // throughput: higher is better; latency: lower is better
      const limit = metric === 'throughput' ? entry.ratio / (1 + entry.tolerance) : entry.ratio * (1 + entry.tolerance)
      out.push({ entry, measured: ratio, limit, ok: metric === 'throughput' ? ratio >= limit : ratio <= limit })
    }
  }
  return out
}

/** The committed entries updated with this run's ratios (p99 rows left out: too noisy to gate on). */
export function updated (rows: Row[], entries: BaselineEntry[], measured: string): BaselineEntry[] {
  const byKey = new Map(entries.map((e) => [keyOf(e), e]))
  for (const row of rows) {
    for (const { metric, ratio } of ratiosOf(row)) {
      if (metric === 'p99') continue
      const key = keyOf({ name: row.name, baselineName: row.baselineName, metric })
      byKey.set(key, { name: row.name, baselineName: row.baselineName, metric, ratio: Number(ratio.toFixed(3)), tolerance: byKey.get(key)?.tolerance ?? DEFAULT_TOLERANCE[metric], measured })
    }
  }
  return [...byKey.values()]
}

export function readBaseline (file: string): BaselineEntry[] {
  if (!existsSync(file)) return []
  return (JSON.parse(readFileSync(file, 'utf8')) as { rows: BaselineEntry[] }).rows
}

export function writeBaseline (file: string, entries: BaselineEntry[]): void {
  writeFileSync(file, JSON.stringify({ rows: entries }, null, 2) + '\n')
}

/** A Markdown table of the checks, worst first. */
export function checkReport (results: CheckResult[]): string {
  const lines = ['| row | baseline | metric | committed ratio | this run | limit | |', '|---|---|---|---|---|---|---|']
  for (const r of [...results].sort((a, b) => Number(a.ok) - Number(b.ok))) {
    lines.push(`| ${r.entry.name} | ${r.entry.baselineName} | ${r.entry.metric} | ${r.entry.ratio.toFixed(2)}x | ${r.measured.toFixed(2)}x | ${r.entry.metric === 'throughput' ? '>=' : '<='} ${r.limit.toFixed(2)}x | ${r.ok ? 'ok' : 'REGRESSION'} |`)
  }
  return lines.join('\n')
}
