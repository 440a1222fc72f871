import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadScenario } from '../scenario.js'
import { sojournVsRho } from './plots.js'
import { cells, csv, table } from './report.js'
import { scaledGroups, simulate, type SimRunResult } from './simulate.js'
import type { SimPolicy, SimSpec } from './spec.js'

export interface SimCommandOptions {
  scenarioFile: string
  quick?: boolean
  /** Scales the scenario's node groups to this many nodes in all. */
  nodes?: number
  /** Runs every cell with this many seeds (the scenario's seed, +1, ...). @default 1 */
  seeds?: number
  /** Overrides `sim.invocations`. */
  invocations?: number
  /** Writes runs.jsonl, summary.csv, summary.txt and sojourn.svg here. */
  outDir?: string
  /** Progress for a person (stderr): wall-clock figures go here, never into the results. */
  say?(line: string): void
}

/**
 * `faasmesh testbed sim`: every policy at every load for every seed, in virtual time. The
 * returned table depends on the scenario, options and seeds only, so the same command prints
 * the same table on any machine under any load.
 */
export async function runSim (options: SimCommandOptions): Promise<string> {
  const scenario = await loadScenario(options.scenarioFile, { quick: options.quick, sim: true })
  const spec = scenario.sim as SimSpec
  const seeds = options.seeds ?? 1
  const groups = scaledGroups(scenario, options.nodes)
  const nodes = groups.reduce((sum, g) => sum + g.count, 0)
  const byPolicy = Object.entries(spec.invocationsByPolicy).filter(([p]) => spec.policies.includes(p as SimPolicy))
  const invocations = options.invocations != null || byPolicy.length === 0 ? String(options.invocations ?? spec.invocations) : `${spec.invocations} (${byPolicy.map(([p, n]) => `${p}: ${n}`).join(', ')})`
  const identical = groups.every((g) => g.slots === 1 && g.slowdown === groups[0]!.slowdown)
  const runs: SimRunResult[] = []
  const started = performance.now()
  let events = 0
  const sweep = spec.advertIntervalMs.length > 1
  for (const rho of spec.rho) {
    for (const advertIntervalMs of spec.advertIntervalMs) {
      for (const policy of spec.policies) {
        for (let i = 0; i < seeds; i++) {
          const t = performance.now()
          const result = await simulate(scenario, { policy, rho, seed: scenario.seed + i, nodes: options.nodes, invocations: options.invocations, advertIntervalMs })
          runs.push(result)
          events += result.events
          const wall = (performance.now() - t) / 1000
          options.say?.(`rho ${rho}${sweep ? ` advert ${advertIntervalMs} ms` : ''} ${policy} seed ${scenario.seed + i}: ${result.sojournRatio.toFixed(3)} x service, ${result.events} events in ${wall.toFixed(1)} s (${Math.round(result.events / wall)} events/s)`)
        }
      }
    }
  }
  const wall = (performance.now() - started) / 1000
  options.say?.(`${runs.length} runs, ${events} events in ${wall.toFixed(1)} s wall (${Math.round(events / wall)} events/s), peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`)
  const all = cells(runs, spec, identical)
  const header = `${scenario.name}: ${nodes} nodes, ${invocations} invocations per run (first ${Math.round(spec.warmupShare * 100)} % left out), ` +
    `${spec.serviceTime.dist} service (mean ${spec.serviceTime.meanMs} ms), ${spec.view} views${spec.view === 'gossip' ? ` (advert every ${spec.advertIntervalMs.join(' / ')} ms, seen ${spec.advertDelayMs} ms later)` : ''}` +
    `${spec.viewSize > 0 ? `, ${spec.viewSize} peers per view` : ''}${scenario.events.length > 0 ? `, ${scenario.events.length} events (kills, restarts, partitions)` : ''}, ${seeds} seed${seeds === 1 ? '' : 's'} from ${scenario.seed}`
  const text = `${header}\n\n${table(all, spec)}\n`
  if (options.outDir != null) {
    await mkdir(options.outDir, { recursive: true })
    await writeFile(join(options.outDir, 'runs.jsonl'), runs.map((r) => JSON.stringify(r)).join('\n') + '\n')
    await writeFile(join(options.outDir, 'summary.csv'), csv(all))
    await writeFile(join(options.outDir, 'summary.txt'), text)
    await writeFile(join(options.outDir, 'sojourn.svg'), await sojournVsRho(all, `${scenario.name}: mean sojourn / service vs load`))
  }
  return text
}
