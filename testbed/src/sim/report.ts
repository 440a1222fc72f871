import { PLACEMENT_DEFAULTS } from '../../../daemon/src/placement/defaults.js'
import { meanCi } from './stats.js'
import { choicesOf, supermarketSojourn } from './theory.js'
import type { SimRunResult } from './simulate.js'
import type { SimSpec } from './spec.js'

/** A queue allowance per slot this large never refuses in a run of any length we simulate: theory's unbounded queue. */
const UNBOUNDED_QUEUE = 1000

/** One policy at one load over every seed. */
export interface SimCell {
  policy: string
  rho: number
  advertIntervalMs: number
  seeds: number
  ratio: { mean: number, ci: number }
  meanSojournMs: { mean: number, ci: number }
  p99Ms: { mean: number, ci: number }
  /** Supermarket-model theory, where the policy has one, and the d it is for (1: M/M/1). */
  theory?: number
  choices?: number
  messagesPerInvocation: number
  askedPerInvocation: number
  placementMs: number
  waitedWhileIdle: number
  passedOnShare: number
  /** Passed on from a dead or cut-off target (scenario events). */
  retriedShare: number
  /** Lost with their entry node, per run. */
  failed: number
}

/**
 * Theory applies to identical one-slot nodes, exponential service, unbounded queues and
 * instantaneous exact views (random: any view). A bounded queue refuses and passes invocations
 * on, which is no longer M/M/1 or JSQ(d).
 */
function theoryApplies (spec: SimSpec, policy: string, identical: boolean): boolean {
  if (!identical || spec.serviceTime.dist !== 'exponential' || (spec.queuePerSlot ?? PLACEMENT_DEFAULTS.queuePerSlot) < UNBOUNDED_QUEUE) return false
  return policy === 'random' || spec.view === 'fresh'
}

export function cells (runs: SimRunResult[], spec: SimSpec, identical: boolean): SimCell[] {
  const out: SimCell[] = []
  for (const { rho, advertIntervalMs } of rows(spec)) {
    for (const policy of spec.policies) {
      const these = runs.filter((r) => r.rho === rho && r.policy === policy && r.advertIntervalMs === advertIntervalMs)
      if (these.length === 0) continue
      const avg = (f: (r: SimRunResult) => number): number => these.reduce((sum, r) => sum + f(r), 0) / these.length
      const d = choicesOf(policy, spec.viewSize, these[0]!.nodes)
      out.push({
        policy,
        rho,
        advertIntervalMs,
        seeds: these.length,
        ratio: meanCi(these.map((r) => r.sojournRatio)),
        meanSojournMs: meanCi(these.map((r) => r.meanSojournMs)),
        p99Ms: meanCi(these.map((r) => r.p99Ms)),
        ...(d != null && theoryApplies(spec, policy, identical) ? { theory: supermarketSojourn(d, rho), choices: d } : {}),
        messagesPerInvocation: avg((r) => r.messagesPerInvocation),
        askedPerInvocation: avg((r) => r.askedPerInvocation),
        placementMs: avg((r) => r.placementMs),
        waitedWhileIdle: avg((r) => r.waitedWhileIdle),
        passedOnShare: avg((r) => r.passedOnShare),
        retriedShare: avg((r) => r.retriedShare),
        failed: avg((r) => r.failed)
      })
    }
  }
  return out
}

const pad = (s: string, n: number): string => s.padEnd(n)

/** The table's rows: every load, and every advert interval when `sim.advertIntervalMs` sweeps it. */
function rows (spec: SimSpec): Array<{ rho: number, advertIntervalMs: number }> {
  return spec.rho.flatMap((rho) => spec.advertIntervalMs.map((advertIntervalMs) => ({ rho, advertIntervalMs })))
}

/** The table a person reads: mean sojourn / service per load and policy, with CIs and theory, then the placement cost. */
export function table (all: SimCell[], spec: SimSpec): string {
  const policies = spec.policies
  const ci = all.some((c) => c.seeds > 1)
  const width = ci ? 30 : 22
  const sweep = spec.advertIntervalMs.length > 1
  const events = all.some((c) => c.failed > 0 || c.retriedShare > 0)
  // a row is a load, or a load and an advert interval
  const key = (r: { rho: number, advertIntervalMs: number }): string => pad(r.rho.toFixed(2), 6) + (sweep ? pad(String(r.advertIntervalMs), 11) : '')
  const keyHead = pad('rho', 6) + (sweep ? pad('advert ms', 11) : '')
  const find = (r: { rho: number, advertIntervalMs: number }, policy: string): SimCell | undefined => all.find((c) => c.rho === r.rho && c.advertIntervalMs === r.advertIntervalMs && c.policy === policy)
  const fmt = (c: SimCell | undefined): string => {
    if (c == null) return '-'
    let s = c.ratio.mean.toFixed(2)
    if (ci) s += ` ±${c.ratio.ci.toFixed(2)}`
    if (c.theory != null) s += ` (${c.theory.toFixed(2)}, ${signed((c.ratio.mean / c.theory - 1) * 100)}%)`
    return s
  }
  const lines = [
    `mean sojourn / mean service time${ci ? ' (mean ±95 % CI over seeds)' : ''}; (theory, difference) where the supermarket model gives one`,
    keyHead + policies.map((p) => pad(p, width)).join('')
  ]
  for (const r of rows(spec)) lines.push(key(r) + policies.map((p) => pad(fmt(find(r, p)), width)).join(''))
  if (policies.includes('oracle')) {
    // Sparrow's yardstick: how much longer than the omniscient placement a policy keeps an invocation
    lines.push('', 'mean sojourn over the oracle\'s (1.000: as good as knowing every queue and run time exactly)')
    lines.push(keyHead + policies.map((p) => pad(p, 16)).join(''))
    for (const r of rows(spec)) {
      const oracle = find(r, 'oracle')
      lines.push(key(r) + policies.map((p) => {
        const c = find(r, p)
        return pad(c == null || oracle == null ? '-' : (c.meanSojournMs.mean / oracle.meanSojournMs.mean).toFixed(3), 16)
      }).join(''))
    }
  }
  lines.push('', `placement cost per invocation, and waiting while a slot was idle (papers.md B6)${events ? '; retried: passed on from a dead or cut-off node, failed: lost with their entry node (per run)' : ''}`)
  lines.push(keyHead + pad('policy', 16) + pad('messages', 10) + pad('asked', 7) + pad('placement ms', 14) + pad('mean ms', 11) + pad('p99 ms', 11) + pad('waited idle', 13) + (events ? pad('passed on', 11) + pad('retried', 9) + 'failed' : 'passed on'))
  for (const c of all) {
    lines.push(key(c) + pad(c.policy, 16) + pad(c.messagesPerInvocation.toFixed(2), 10) + pad(c.askedPerInvocation.toFixed(2), 7) +
      pad(c.placementMs.toFixed(2), 14) + pad(c.meanSojournMs.mean.toFixed(1), 11) + pad(c.p99Ms.mean.toFixed(1), 11) + pad(percent(c.waitedWhileIdle), 13) +
      (events ? pad(percent(c.passedOnShare), 11) + pad(percent(c.retriedShare), 9) + c.failed.toFixed(0) : percent(c.passedOnShare)))
  }
  return lines.join('\n')
}

export function csv (all: SimCell[]): string {
  const head = 'rho,policy,seeds,ratio,ratio_ci95,theory,mean_sojourn_ms,mean_sojourn_ci95,p99_ms,messages_per_invocation,asked_per_invocation,placement_ms,waited_while_idle,passed_on,advert_interval_ms,retried,failed'
  return [head, ...all.map((c) => [c.rho, c.policy, c.seeds, c.ratio.mean, c.ratio.ci, c.theory ?? '', c.meanSojournMs.mean, c.meanSojournMs.ci, c.p99Ms.mean, c.messagesPerInvocation, c.askedPerInvocation, c.placementMs, c.waitedWhileIdle, c.passedOnShare, c.advertIntervalMs, c.retriedShare, c.failed].join(','))].join('\n') + '\n'
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`
const percent = (x: number): string => `${(x * 100).toFixed(1)}%`
