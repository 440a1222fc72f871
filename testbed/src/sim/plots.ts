import { render } from '../plots.js'
import { supermarketSojourn } from './theory.js'
import type { SimCell } from './report.js'

/**
 * Mean sojourn / service against load, one line per policy, 95 % CIs as error bars, and the
 * supermarket model's curve (dashed) for every d the simulated policies stand for.
 */
export async function sojournVsRho (all: SimCell[], title: string): Promise<string> {
  // an advert-interval sweep draws a line per policy and interval
  const sweep = new Set(all.map((c) => c.advertIntervalMs)).size > 1
  const points = all.map((c) => ({ policy: sweep ? `${c.policy}, adverts ${c.advertIntervalMs} ms` : c.policy, rho: c.rho, ratio: c.ratio.mean, low: c.ratio.mean - c.ratio.ci, high: c.ratio.mean + c.ratio.ci }))
  const ds = [...new Set(all.flatMap((c) => c.choices ?? []))]
  const theory = ds.flatMap((d) => Array.from({ length: 50 }, (_, i) => 0.5 + i * 0.01).map((rho) => ({ curve: d === 1 ? 'theory M/M/1' : `theory d=${d}`, rho, ratio: supermarketSojourn(d, rho) })))
  const y = { field: 'ratio', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'mean sojourn / mean service (log)' }
  return render({
    title,
    width: 480,
    height: 320,
    layer: [
      { data: { values: theory }, mark: { type: 'line', strokeDash: [4, 3], color: 'gray' }, encoding: { x: { field: 'rho', type: 'quantitative', title: 'load ρ' }, y, detail: { field: 'curve' } } },
      { data: { values: points }, mark: { type: 'line', point: true }, encoding: { x: { field: 'rho', type: 'quantitative' }, y, color: { field: 'policy', type: 'nominal' } } },
      { data: { values: points }, mark: 'rule', encoding: { x: { field: 'rho', type: 'quantitative' }, y: { field: 'low', type: 'quantitative', scale: { type: 'log' } }, y2: { field: 'high' }, color: { field: 'policy', type: 'nominal' } } }
    ]
  })
}

/** Placement cost against mesh size, one line per policy: messages and virtual placement time per invocation. */
export async function costVsSize (rows: Array<{ nodes: number, policy: string, messages: number, placementMs: number }>, title: string): Promise<string> {
  const x = { field: 'nodes', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'nodes (log)' }
  const color = { field: 'policy', type: 'nominal' as const }
  return render({
    title,
    data: { values: rows },
    hconcat: [
      { width: 320, height: 240, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'messages', type: 'quantitative', title: 'messages per invocation' }, color } },
      { width: 320, height: 240, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'placementMs', type: 'quantitative', title: 'placement, virtual ms per invocation' }, color } }
    ]
  })
}
