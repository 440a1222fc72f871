/**
 * Results of a testbed run: the per-invocation JSONL as it happens, then a summary per run
 * (policy x load): count, answered, lost, success %, mean / p50 / p95 / p99 latency of the
 * successful ones, executions per node; as a terminal table and as CSV.
 */
import type { ChainJobRecord } from './chains.js'
import type { InvocationRecord } from './workload.js'

export interface RunSummary {
  run: string
  policy: string
  load?: number
  rate: number
  count: number
  ok: number
  /** Answered with a named error. */
  failed: number
  /** No answer at all. */
  lost: number
  successPct: number
  meanMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  /** Successful executions per node name. */
  perNode: Record<string, number>
  /** Failures by error name. */
  errors: Record<string, number>
}

function quantile (sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export function summarize (records: InvocationRecord[], nodes: string[]): RunSummary[] {
  const runs = new Map<string, InvocationRecord[]>()
  for (const r of records) {
    const run = runs.get(r.run)
    if (run == null) runs.set(r.run, [r])
    else run.push(r)
  }
  return [...runs.entries()].map(([run, rs]) => {
    const ok = rs.filter((r) => r.outcome === 'ok')
    const latencies = ok.map((r) => r.totalMs).sort((a, b) => a - b)
    const errors: Record<string, number> = {}
    for (const r of rs) if (r.outcome !== 'ok' && r.outcome !== 'lost') errors[r.outcome] = (errors[r.outcome] ?? 0) + 1
    return {
      run,
      policy: rs[0]!.policy,
      load: rs[0]!.load,
      rate: rs[0]!.rate,
      count: rs.length,
      ok: ok.length,
      failed: rs.filter((r) => r.outcome !== 'ok' && r.outcome !== 'lost').length,
      lost: rs.filter((r) => r.outcome === 'lost').length,
      successPct: rs.length === 0 ? 0 : 100 * ok.length / rs.length,
      meanMs: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
      p50Ms: quantile(latencies, 0.5),
      p95Ms: quantile(latencies, 0.95),
      p99Ms: quantile(latencies, 0.99),
      perNode: Object.fromEntries(nodes.map((n) => [n, ok.filter((r) => r.executor === n).length])),
      errors
    }
  })
}

const ms = (v: number): string => Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0)

export function summaryTable (summaries: RunSummary[], nodes: string[]): string {
  const header = ['policy', 'load', 'rate/s', 'count', 'success', 'failed', 'lost', 'mean ms', 'p50', 'p95', 'p99', 'executions per node']
  const rows = summaries.map((s) => [
    s.policy, s.load == null ? '-' : `${Math.round(s.load * 100)}%`, s.rate.toFixed(1), String(s.count), `${s.successPct.toFixed(1)}%`,
    String(s.failed), String(s.lost), ms(s.meanMs), ms(s.p50Ms), ms(s.p95Ms), ms(s.p99Ms), nodes.map((n) => s.perNode[n] ?? 0).join(' ')
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), ...rows.map(line), '', `nodes, in order: ${nodes.join(' ')}`].join('\n')
}

export function summaryCsv (summaries: RunSummary[], nodes: string[]): string {
  const header = ['run', 'policy', 'load', 'rate', 'count', 'ok', 'failed', 'lost', 'success_pct', 'mean_ms', 'p50_ms', 'p95_ms', 'p99_ms', ...nodes.map((n) => `exec_${n}`), 'errors']
  const rows = summaries.map((s) => [
    s.run, s.policy, s.load ?? '', s.rate.toFixed(3), s.count, s.ok, s.failed, s.lost, s.successPct.toFixed(2),
    s.meanMs.toFixed(3), s.p50Ms.toFixed(3), s.p95Ms.toFixed(3), s.p99Ms.toFixed(3), ...nodes.map((n) => s.perNode[n] ?? 0),
    `"${Object.entries(s.errors).map(([k, v]) => `${k}:${v}`).join(' ')}"`
  ].join(','))
  return [header.join(','), ...rows].join('\n') + '\n'
}

/** One run of a chain workload (a state model under one placement mode): latency quantiles and traffic per chain. */
export interface ChainSummary {
  run: string
  model: string
  placement: string
  policy: string
  rate: number
  count: number
  ok: number
  failed: number
  lost: number
  successPct: number
  /** Of the successful chains, from sending to the whole answer. */
  meanMs: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  meanLength: number
  /** Mean per successful chain with a placement record: bytes moved between nodes and to the database. */
  trafficBytes: number
  /** The same, times the links each crossed. */
  trafficHopBytes: number
  /** External model: bytes through the database's emulated links per successful chain (as the proxies counted them). */
  databaseBytes?: number
  /** Steps each node ran, over the successful chains. */
  perNode: Record<string, number>
  errors: Record<string, number>
}

const mean = (values: number[]): number => values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length

/** `database`: bytes the external model's links carried during each run, by run. */
export function summarizeChains (records: ChainJobRecord[], nodes: string[], database: Map<string, number> = new Map()): ChainSummary[] {
  const runs = new Map<string, ChainJobRecord[]>()
  for (const r of records) runs.set(r.run, [...(runs.get(r.run) ?? []), r])
  return [...runs.entries()].map(([run, rs]) => {
    const ok = rs.filter((r) => r.outcome === 'ok')
    const latencies = ok.map((r) => r.totalMs).sort((a, b) => a - b)
    const withTraffic = ok.filter((r) => r.trafficBytes != null)
    const errors: Record<string, number> = {}
    for (const r of rs) if (r.outcome !== 'ok' && r.outcome !== 'lost') errors[r.outcome] = (errors[r.outcome] ?? 0) + 1
    const perNode = Object.fromEntries(nodes.map((n) => [n, 0]))
    for (const r of ok) for (const e of r.executors ?? []) perNode[e] = (perNode[e] ?? 0) + 1
    const db = database.get(run)
    return {
      run,
      model: rs[0]!.model,
      placement: rs[0]!.placement,
      policy: rs[0]!.policy,
      rate: rs[0]!.rate,
      count: rs.length,
      ok: ok.length,
      failed: rs.filter((r) => r.outcome !== 'ok' && r.outcome !== 'lost').length,
      lost: rs.filter((r) => r.outcome === 'lost').length,
      successPct: rs.length === 0 ? 0 : 100 * ok.length / rs.length,
      meanMs: mean(latencies),
      p50Ms: quantile(latencies, 0.5),
      p90Ms: quantile(latencies, 0.9),
      p99Ms: quantile(latencies, 0.99),
      meanLength: mean(ok.map((r) => r.length)),
      trafficBytes: mean(withTraffic.map((r) => r.trafficBytes!)),
      trafficHopBytes: mean(withTraffic.map((r) => r.trafficHopBytes ?? r.trafficBytes!)),
      ...(db != null && ok.length > 0 ? { databaseBytes: db / ok.length } : {}),
      perNode,
      errors
    }
  })
}

const kb = (bytes: number | undefined): string => bytes == null || Number.isNaN(bytes) ? '-' : (bytes / 1024).toFixed(1)

export function chainSummaryTable (summaries: ChainSummary[], nodes: string[]): string {
  const header = ['model', 'placement', 'policy', 'rate/s', 'chains', 'ok', 'failed', 'lost', 'mean ms', 'p50', 'p90', 'p99', 'traffic KiB', 'x links KiB', 'db KiB', 'steps per node']
  const rows = summaries.map((s) => [
    s.model, s.placement, s.policy, s.rate.toFixed(1), String(s.count), `${s.successPct.toFixed(1)}%`, String(s.failed), String(s.lost),
    ms(s.meanMs), ms(s.p50Ms), ms(s.p90Ms), ms(s.p99Ms), kb(s.trafficBytes), kb(s.trafficHopBytes), kb(s.databaseBytes),
    nodes.map((n) => s.perNode[n] ?? 0).join(' ')
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), ...rows.map(line), '', `traffic: bytes per successful chain between nodes and to the database; x links: times the links each crossed; db: through the database's links (proxy count)`, `nodes, in order: ${nodes.join(' ')}`].join('\n')
}

export function chainSummaryCsv (summaries: ChainSummary[], nodes: string[]): string {
  const header = ['run', 'model', 'placement', 'policy', 'rate', 'count', 'ok', 'failed', 'lost', 'success_pct', 'mean_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'mean_length', 'traffic_bytes', 'traffic_hop_bytes', 'database_bytes', ...nodes.map((n) => `steps_${n}`), 'errors']
  const num = (v: number | undefined, digits: number): string => v == null || Number.isNaN(v) ? '' : v.toFixed(digits)
  const rows = summaries.map((s) => [
    s.run, s.model, s.placement, s.policy, s.rate.toFixed(3), s.count, s.ok, s.failed, s.lost, s.successPct.toFixed(2),
    num(s.meanMs, 3), num(s.p50Ms, 3), num(s.p90Ms, 3), num(s.p99Ms, 3), num(s.meanLength, 2), num(s.trafficBytes, 0), num(s.trafficHopBytes, 0), num(s.databaseBytes, 0),
    ...nodes.map((n) => s.perNode[n] ?? 0), `"${Object.entries(s.errors).map(([k, v]) => `${k}:${v}`).join(' ')}"`
  ].join(','))
  return [header.join(','), ...rows].join('\n') + '\n'
}
