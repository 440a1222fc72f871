import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadScenario } from '../scenario.js'
import { costVsSize } from './plots.js'
import { scaledGroups, simulate } from './simulate.js'
import type { SimSpec } from './spec.js'

export interface SizesOptions {
  scenarioFile: string
  quick?: boolean
  /** Mesh sizes to scale the scenario's node groups to, as `--nodes` does. */
  sizes: number[]
  /** Seeds per size and policy (the scenario's seed, +1, ...). @default 1 */
  seeds?: number
  /** Invocations at the scenario's own size; the other sizes get as many per node. @default sim.invocations */
  invocations?: number
  /** Writes cost.csv, cost.txt and cost.svg here. */
  outDir?: string
  /** Progress for a person (stderr): wall-clock figures go here, never into the results. */
  say?(line: string): void
}

/** One policy at one mesh size, averaged over seeds (and loads). */
export interface CostRow {
  nodes: number
  policy: string
  invocations: number
  messages: number
  asked: number
  viewed: number
  placementMs: number
  events: number
}

/**
 * `faasmesh testbed sim --sizes`: placement cost per invocation against mesh size (issue 17).
 * Every size keeps the scenario's load per node and its virtual duration: invocations grow
 * with the mesh, so every size has the same share of gossip warm-up. Deterministic, as
 * `runSim` is.
 */
export async function runSizes (options: SizesOptions): Promise<string> {
  const scenario = await loadScenario(options.scenarioFile, { quick: options.quick, sim: true })
  const spec = scenario.sim as SimSpec
  const seeds = options.seeds ?? 1
  const own = scaledGroups(scenario).reduce((sum, g) => sum + g.count, 0)
  const base = options.invocations ?? spec.invocations
  const rows: CostRow[] = []
  for (const size of options.sizes) {
    const nodes = scaledGroups(scenario, size).reduce((sum, g) => sum + g.count, 0)
    const invocations = Math.max(1, Math.round(base * nodes / own))
    for (const policy of spec.policies) {
      const sum = { messages: 0, asked: 0, viewed: 0, placementMs: 0, events: 0 }
      let runs = 0
      for (const rho of spec.rho) {
        for (let i = 0; i < seeds; i++) {
          const t = performance.now()
          const r = await simulate(scenario, { policy, rho, seed: scenario.seed + i, nodes: size, invocations })
          const wall = (performance.now() - t) / 1000
          options.say?.(`${nodes} nodes rho ${rho} ${policy} seed ${scenario.seed + i}: ${r.messagesPerInvocation.toFixed(2)} messages, ${r.placementMs.toFixed(2)} ms placing, ${r.events} events in ${wall.toFixed(1)} s (${Math.round(r.events / wall)} events/s), peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`)
          sum.messages += r.messagesPerInvocation
          sum.asked += r.askedPerInvocation
          sum.viewed += r.viewedPerInvocation
          sum.placementMs += r.placementMs
          sum.events += r.events / invocations
          runs++
        }
      }
      rows.push({ nodes, policy, invocations, messages: sum.messages / runs, asked: sum.asked / runs, viewed: sum.viewed / runs, placementMs: sum.placementMs / runs, events: sum.events / runs })
    }
  }
  const text = `${scenario.name}: placement cost per invocation against mesh size, load ${spec.rho.join(' / ')}, ${Math.round(base / own)} invocations per node ` +
    `(the same virtual time at every size), ${spec.viewSize > 0 ? `${spec.viewSize} peers per view` : 'views of the whole mesh'}, ${seeds} seed${seeds === 1 ? '' : 's'} from ${scenario.seed}\n\n${costTable(rows)}\n`
  if (options.outDir != null) {
    await mkdir(options.outDir, { recursive: true })
    await writeFile(join(options.outDir, 'cost.csv'), costCsv(rows))
    await writeFile(join(options.outDir, 'cost.txt'), text)
    await writeFile(join(options.outDir, 'cost.svg'), await costVsSize(rows, `${scenario.name}: placement cost per invocation vs mesh size`))
  }
  return text
}

const pad = (s: string, n: number): string => s.padEnd(n)

/** Rows by policy, then size, and per policy how far its largest figure is from its smallest. */
export function costTable (rows: CostRow[]): string {
  const lines = [pad('nodes', 8) + pad('policy', 16) + pad('invocations', 13) + pad('messages', 10) + pad('asked', 7) + pad('viewed', 8) + pad('placement ms', 14) + 'events']
  const policies = [...new Set(rows.map((r) => r.policy))]
  for (const policy of policies) {
    for (const r of rows.filter((x) => x.policy === policy)) {
      lines.push(pad(String(r.nodes), 8) + pad(policy, 16) + pad(String(r.invocations), 13) + pad(r.messages.toFixed(2), 10) + pad(r.asked.toFixed(2), 7) + pad(r.viewed.toFixed(1), 8) + pad(r.placementMs.toFixed(2), 14) + r.events.toFixed(1))
    }
  }
  lines.push('', 'largest / smallest over the sizes (1.00: flat)')
  for (const policy of policies) {
    const these = rows.filter((x) => x.policy === policy)
    const spread = (f: (r: CostRow) => number): string => {
      const values = these.map(f)
      const low = Math.min(...values)
      return low > 0 ? (Math.max(...values) / low).toFixed(2) : Math.max(...values) === 0 ? '1.00' : '-'
    }
    lines.push(`${pad(policy, 16)}messages ${spread((r) => r.messages)}, viewed ${spread((r) => r.viewed)}, placement ms ${spread((r) => r.placementMs)}`)
  }
  return lines.join('\n')
}

export function costCsv (rows: CostRow[]): string {
  return ['nodes,policy,invocations,messages_per_invocation,asked_per_invocation,viewed_per_invocation,placement_ms,events_per_invocation', ...rows.map((r) => [r.nodes, r.policy, r.invocations, r.messages, r.asked, r.viewed, r.placementMs, r.events].join(','))].join('\n') + '\n'
}
