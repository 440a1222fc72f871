/**
 * `faasmesh testbed run --seeds K`: the whole scenario K times (a fresh mesh each, seeds s, s + 1,
 * ...), then per policy x load the mean over repetitions with its 95 % confidence interval (the
 * simulator's Student t helper), and each repetition's host verdict beside them. One seed on a
 * shared host can invert a ranking; K seeds and the verdicts say how far a number can be trusted.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { hostLine, type HostReport } from './host-check.js'
import { latencyCi } from './plots.js'
import { runScenario, type RunOptions } from './run.js'
import { InvalidScenarioError, loadScenario } from './scenario.js'
import { meanCi } from './sim/stats.js'
import type { Progress } from './progress.js'
import type { RunSummary } from './results.js'

type Ci = { mean: number, ci: number }

/** One policy at one load over every repetition that measured it. */
export interface SeedsCell {
  policy: string
  load?: number
  /** Mean of each repetition's rate (each measures its own mesh's capacity). */
  rate: number
  seeds: number
  count: Ci
  successPct: Ci
  meanMs: Ci
  p50Ms: Ci
  p95Ms: Ci
  p99Ms: Ci
  /** Repetitions whose host was saturated during this cell's run (most samples). */
  saturatedSeeds: number
}

/** One repetition, as `summary.json` lists it. */
export interface Repetition {
  seed: number
  outDir: string
  host?: HostReport
  summaries: RunSummary[]
  /** The named error that ended it, if one did. */
  error?: string
}

export function seedCells (reps: Repetition[]): SeedsCell[] {
  const cells = new Map<string, Array<{ s: RunSummary, host?: HostReport }>>()
  for (const rep of reps) {
    for (const s of rep.summaries) {
      // a rate workload's runs carry the same rate every time, a load workload's the same load
      const key = `${s.policy}\u0000${s.load ?? s.rate}`
      cells.set(key, [...(cells.get(key) ?? []), { s, host: rep.host }])
    }
  }
  return [...cells.values()].map((these) => {
    const ci = (f: (s: RunSummary) => number): Ci => meanCi(these.map(({ s }) => f(s)).filter((v) => !Number.isNaN(v)))
    const first = these[0]!.s
    return {
      policy: first.policy,
      ...(first.load != null ? { load: first.load } : {}),
      rate: these.reduce((sum, { s }) => sum + s.rate, 0) / these.length,
      seeds: these.length,
      count: ci((s) => s.count),
      successPct: ci((s) => s.successPct),
      meanMs: ci((s) => s.meanMs),
      p50Ms: ci((s) => s.p50Ms),
      p95Ms: ci((s) => s.p95Ms),
      p99Ms: ci((s) => s.p99Ms),
      saturatedSeeds: these.filter(({ s, host }) => {
        const r = host?.runs[s.run]
        return host?.contended != null || r?.saturated === true
      }).length
    }
  })
}

const ms = (v: number): string => Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0)
const withCi = (c: Ci, f: (v: number) => string = ms): string => Number.isNaN(c.mean) ? '-' : `${f(c.mean)} ±${f(c.ci)}`

export function seedsTable (cells: SeedsCell[], reps: Repetition[]): string {
  const header = ['policy', 'load', 'rate/s', 'seeds', 'success', 'mean ms', 'p50', 'p95', 'p99', 'saturated']
  const rows = cells.map((c) => [
    c.policy, c.load == null ? '-' : `${Math.round(c.load * 100)}%`, c.rate.toFixed(1), String(c.seeds), withCi(c.successPct, (v) => `${v.toFixed(1)}%`),
    withCi(c.meanMs), withCi(c.p50Ms), withCi(c.p95Ms), withCi(c.p99Ms), `${c.saturatedSeeds}/${c.seeds}`
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  const hosts = reps.map((r) => `  seed ${r.seed}: ${r.error != null ? `failed (${r.error})` : r.host != null ? hostLine(r.host) : 'no host record'}`)
  return [
    `mean over ${reps.length} seeds ±95 % confidence interval (Student t, over seeds); saturated: seeds whose host was saturated during that run`,
    ...hosts,
    '',
    line(header),
    ...rows.map(line)
  ].join('\n')
}

export function seedsCsv (cells: SeedsCell[]): string {
  const head = 'policy,load,rate,seeds,success_pct,success_pct_ci95,mean_ms,mean_ms_ci95,p50_ms,p50_ms_ci95,p95_ms,p95_ms_ci95,p99_ms,p99_ms_ci95,saturated_seeds'
  const f = (c: Ci): string => `${c.mean.toFixed(3)},${c.ci.toFixed(3)}`
  return [head, ...cells.map((c) => [c.policy, c.load ?? '', c.rate.toFixed(3), c.seeds, f(c.successPct), f(c.meanMs), f(c.p50Ms), f(c.p95Ms), f(c.p99Ms), c.saturatedSeeds].join(','))].join('\n') + '\n'
}

/**
 * Runs the scenario once per seed into `<out>/seed-<s>/` (each with its own table, host line and
 * files), then writes the means with CIs to `<out>`: summary.txt, summary.csv, summary.json and
 * latency-ci.svg. A repetition that fails is recorded and the next one runs; Ctrl-C stops all.
 */
export async function runSeeds (options: RunOptions & { seeds: number }, progress: Progress): Promise<{ outDir: string, cells: SeedsCell[], repetitions: Repetition[] }> {
  const scenario = await loadScenario(options.scenarioFile, { quick: options.quick })
  if (scenario.workload.chains != null) throw new InvalidScenarioError('--seeds: a chain workload runs once; drop --seeds or give an invocation workload')
  const base = options.seed ?? scenario.seed
  const outDir = resolve(options.outDir ?? join('testbed', 'results', `${scenario.name}-seeds-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`))
  mkdirSync(outDir, { recursive: true })
  const reps: Repetition[] = []
  for (let i = 0; i < options.seeds; i++) {
    const seed = base + i
    const dir = join(outDir, `seed-${seed}`)
    progress.say(`repetition ${i + 1} of ${options.seeds}: seed ${seed}`)
    try {
      const result = await runScenario({ ...options, seed, outDir: dir }, progress)
      reps.push({ seed, outDir: dir, ...(result.host != null ? { host: result.host } : {}), summaries: result.summaries })
    } catch (err: any) {
      if (options.signal.aborted) break
      progress.say(`seed ${seed} failed: ${err?.name ?? 'Error'}: ${err?.message ?? err}`)
      reps.push({ seed, outDir: dir, summaries: [], error: `${err?.name ?? 'Error'}: ${err?.message ?? err}` })
    }
  }
  const cells = seedCells(reps)
  const table = seedsTable(cells, reps)
  writeFileSync(join(outDir, 'summary.txt'), `${table}\n`)
  writeFileSync(join(outDir, 'summary.csv'), seedsCsv(cells))
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ scenario: scenario.name, quick: options.quick === true, seeds: reps.map((r) => r.seed), cells, repetitions: reps }, null, 2))
  if (cells.length > 0) writeFileSync(join(outDir, 'latency-ci.svg'), await latencyCi(cells, `${scenario.name}: mean and p99 latency over ${reps.length} seeds (95 % CI)`))
  process.stdout.write(`\n${table}\n\n`)
  progress.say(`wrote summary.txt, summary.csv, summary.json, latency-ci.svg to ${outDir} (each seed's run under seed-<s>/)`)
  const saturated = reps.filter((r) => r.host?.saturated === true).length
  if (saturated > 0) progress.say(`WARNING: HOST SATURATED in ${saturated} of ${reps.length} repetitions; their latencies include CPU contention (see the host lines above the table)`)
  options.signal.throwIfAborted()
  return { outDir, cells, repetitions: reps }
}
