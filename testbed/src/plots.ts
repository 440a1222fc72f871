/**
 * Figures next to the results, rendered headless to SVG with Vega-Lite: latency CDFs per
 * policy (one panel per load level) and executions per node per policy.
 */
import { View, parse } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { ChainJobRecord } from './chains.js'
import type { ChainSummary, RunSummary } from './results.js'
import type { SeedsCell } from './seeds.js'
import type { InvocationRecord } from './workload.js'

export async function render (spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** At most this many points per CDF line: plenty for the eye, small files. */
const CDF_POINTS = 200

export async function latencyCdf (records: InvocationRecord[], title: string): Promise<string> {
  const byRun = new Map<string, number[]>()
  for (const r of records) {
    if (r.outcome !== 'ok') continue
    const run = byRun.get(r.run)
    if (run == null) byRun.set(r.run, [r.totalMs])
    else run.push(r.totalMs)
  }
  const values: Array<{ policy: string, load: string, ms: number, fraction: number }> = []
  for (const [run, latencies] of byRun) {
    const first = records.find((r) => r.run === run)!
    const sorted = latencies.sort((a, b) => a - b)
    const step = Math.max(1, Math.floor(sorted.length / CDF_POINTS))
    for (let i = 0; i < sorted.length; i += step) values.push({ policy: first.policy, load: loadLabel(first), ms: Math.max(0.1, sorted[i]!), fraction: (i + 1) / sorted.length })
    values.push({ policy: first.policy, load: loadLabel(first), ms: Math.max(0.1, sorted[sorted.length - 1]!), fraction: 1 })
  }
  return render({
    title,
    data: { values },
    facet: { column: { field: 'load', type: 'nominal', title: 'load' } },
    spec: {
      width: 260,
      height: 200,
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log)' },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction of invocations' },
        color: { field: 'policy', type: 'nominal' }
      }
    }
  })
}

export async function nodeLoad (summaries: RunSummary[], nodes: string[], title: string): Promise<string> {
  const values = summaries.flatMap((s) => nodes.map((node) => ({ policy: s.policy, load: s.load == null ? `${s.rate.toFixed(0)}/s` : `${Math.round(s.load * 100)}%`, node, executions: s.perNode[node] ?? 0 })))
  return render({
    title,
    data: { values },
    facet: { row: { field: 'load', type: 'nominal', title: 'load' } },
    spec: {
      width: 420,
      height: 140,
      mark: 'bar',
      encoding: {
        x: { field: 'node', type: 'nominal', sort: nodes, title: 'node' },
        xOffset: { field: 'policy', type: 'nominal' },
        y: { field: 'executions', type: 'quantitative' },
        color: { field: 'policy', type: 'nominal' }
      }
    }
  })
}

/**
 * Total latency of the successful chains, one curve per state model, one panel per placement
 * mode (linear axis, as papers.md section 3.1's `002-latency-*` plots).
 */
export async function chainLatencyCdf (records: ChainJobRecord[], title: string): Promise<string> {
  const byRun = new Map<string, ChainJobRecord[]>()
  for (const r of records) if (r.outcome === 'ok') byRun.set(r.run, [...(byRun.get(r.run) ?? []), r])
  const values: Array<{ model: string, placement: string, ms: number, fraction: number }> = []
  for (const rs of byRun.values()) {
    const sorted = rs.map((r) => r.totalMs).sort((a, b) => a - b)
    const step = Math.max(1, Math.floor(sorted.length / CDF_POINTS))
    const label = { model: rs[0]!.model, placement: rs.length > 0 && new Set(records.map((r) => r.rate)).size > 1 ? `${rs[0]!.placement} @${rs[0]!.rate}/s` : rs[0]!.placement }
    values.push({ ...label, ms: 0, fraction: 0 })
    for (let i = 0; i < sorted.length; i += step) values.push({ ...label, ms: sorted[i]!, fraction: (i + 1) / sorted.length })
    values.push({ ...label, ms: sorted[sorted.length - 1]!, fraction: 1 })
  }
  return render({
    title,
    data: { values },
    facet: { column: { field: 'placement', type: 'nominal', title: 'placement' } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'ms', type: 'quantitative', title: 'total latency per chain (ms)' },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction of chains' },
        color: { field: 'model', type: 'nominal', title: 'state model', sort: ['in-function', 'in-client', 'in-edge', 'external'] }
      }
    }
  })
}

/** Traffic per chain (bytes x links crossed), one bar per state model, grouped by placement mode. */
export async function chainTraffic (summaries: ChainSummary[], title: string): Promise<string> {
  const values = summaries.filter((s) => !Number.isNaN(s.trafficHopBytes)).map((s) => ({ model: s.model, placement: s.placement, kib: s.trafficHopBytes / 1024 }))
  return render({
    title,
    data: { values },
    width: 320,
    height: 200,
    mark: 'bar',
    encoding: {
      x: { field: 'placement', type: 'nominal', title: 'placement' },
      xOffset: { field: 'model', type: 'nominal', sort: ['in-function', 'in-client', 'in-edge', 'external'] },
      y: { field: 'kib', type: 'quantitative', title: 'traffic per chain (KiB x links)' },
      color: { field: 'model', type: 'nominal', title: 'state model', sort: ['in-function', 'in-client', 'in-edge', 'external'] }
    }
  })
}

/**
 * `--seeds`: mean and p99 latency per policy over the repetitions, with 95 % confidence
 * intervals as error bars; one column per load, one row per statistic (each its own scale).
 */
export async function latencyCi (cells: SeedsCell[], title: string): Promise<string> {
  const values = cells.flatMap((c) => (['mean', 'p99'] as const).map((stat) => {
    const v = stat === 'mean' ? c.meanMs : c.p99Ms
    return { policy: c.policy, load: c.load == null ? `${c.rate.toFixed(0)}/s` : `${Math.round(c.load * 100)}%`, stat, ms: v.mean, low: Math.max(0, v.mean - v.ci), high: v.mean + v.ci }
  })).filter((v) => !Number.isNaN(v.ms))
  return render({
    title,
    data: { values },
    facet: { row: { field: 'stat', type: 'nominal', title: 'latency' }, column: { field: 'load', type: 'nominal', title: 'load' } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 220,
      height: 160,
      layer: [
        { mark: { type: 'point', filled: true }, encoding: { x: { field: 'policy', type: 'nominal' }, y: { field: 'ms', type: 'quantitative', title: 'ms' }, color: { field: 'policy', type: 'nominal' } } },
        { mark: 'rule', encoding: { x: { field: 'policy', type: 'nominal' }, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { field: 'policy', type: 'nominal' } } }
      ]
    }
  })
}

function loadLabel (r: InvocationRecord): string {
  return r.load == null ? `${r.rate.toFixed(0)}/s` : `${Math.round(r.load * 100)}%`
}
