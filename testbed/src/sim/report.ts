import { meanCi } from './stats.js'
import { choicesOf, supermarketSojourn } from './theory.js'
import type { SimRunResult } from './simulate.js'
import type { SimSpec } from './spec.js'

/** One policy at one load over every seed. */
export interface SimCell {
  policy: string
  rho: number
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
}

/** Theory applies to identical one-slot nodes, exponential service and instantaneous exact views (random: any view). */
function theoryApplies (spec: SimSpec, policy: string, identical: boolean): boolean {
  if (!identical || spec.serviceTime.dist !== 'exponential') return false
  return policy === 'random' || spec.view === 'fresh'
}

export function cells (runs: SimRunResult[], spec: SimSpec, identical: boolean): SimCell[] {
  const out: SimCell[] = []
  for (const rho of spec.rho) {
    for (const policy of spec.policies) {
      const these = runs.filter((r) => r.rho === rho && r.policy === policy)
      if (these.length === 0) continue
      const avg = (f: (r: SimRunResult) => number): number => these.reduce((sum, r) => sum + f(r), 0) / these.length
      const d = choicesOf(policy, spec.viewSize, these[0]!.nodes)
      out.push({
        policy,
        rho,
        seeds: these.length,
        ratio: meanCi(these.map((r) => r.sojournRatio)),
        meanSojournMs: meanCi(these.map((r) => r.meanSojournMs)),
        p99Ms: meanCi(these.map((r) => r.p99Ms)),
        ...(d != null && theoryApplies(spec, policy, identical) ? { theory: supermarketSojourn(d, rho), choices: d } : {}),
        messagesPerInvocation: avg((r) => r.messagesPerInvocation),
        askedPerInvocation: avg((r) => r.askedPerInvocation),
        placementMs: avg((r) => r.placementMs),
        waitedWhileIdle: avg((r) => r.waitedWhileIdle),
        passedOnShare: avg((r) => r.passedOnShare)
      })
    }
  }
  return out
}

const pad = (s: string, n: number): string => s.padEnd(n)

/** The table a person reads: mean sojourn / service per load and policy, with CIs and theory, then the placement cost. */
export function table (all: SimCell[], spec: SimSpec): string {
  const policies = spec.policies
  const ci = all.some((c) => c.seeds > 1)
  const width = ci ? 30 : 22
  const fmt = (c: SimCell | undefined): string => {
    if (c == null) return '-'
    let s = c.ratio.mean.toFixed(2)
    if (ci) s += ` ±${c.ratio.ci.toFixed(2)}`
    if (c.theory != null) s += ` (${c.theory.toFixed(2)}, ${signed((c.ratio.mean / c.theory - 1) * 100)}%)`
    return s
  }
  const lines = [
    `mean sojourn / mean service time${ci ? ' (mean ±95 % CI over seeds)' : ''}; (theory, difference) where the supermarket model gives one`,
    pad('rho', 6) + policies.map((p) => pad(p, width)).join('')
  ]
  for (const rho of spec.rho) lines.push(pad(rho.toFixed(2), 6) + policies.map((p) => pad(fmt(all.find((c) => c.rho === rho && c.policy === p)), width)).join(''))
  lines.push('', 'placement cost per invocation, and waiting while a slot was idle (papers.md B6)')
  lines.push(pad('rho', 6) + pad('policy', 16) + pad('messages', 10) + pad('asked', 7) + pad('placement ms', 14) + pad('mean ms', 11) + pad('p99 ms', 11) + pad('waited idle', 13) + 'passed on')
  for (const c of all) {
    lines.push(pad(c.rho.toFixed(2), 6) + pad(c.policy, 16) + pad(c.messagesPerInvocation.toFixed(2), 10) + pad(c.askedPerInvocation.toFixed(2), 7) +
      pad(c.placementMs.toFixed(2), 14) + pad(c.meanSojournMs.mean.toFixed(1), 11) + pad(c.p99Ms.mean.toFixed(1), 11) + pad(percent(c.waitedWhileIdle), 13) + percent(c.passedOnShare))
  }
  return lines.join('\n')
}

export function csv (all: SimCell[]): string {
  const head = 'rho,policy,seeds,ratio,ratio_ci95,theory,mean_sojourn_ms,mean_sojourn_ci95,p99_ms,messages_per_invocation,asked_per_invocation,placement_ms,waited_while_idle,passed_on'
  return [head, ...all.map((c) => [c.rho, c.policy, c.seeds, c.ratio.mean, c.ratio.ci, c.theory ?? '', c.meanSojournMs.mean, c.meanSojournMs.ci, c.p99Ms.mean, c.messagesPerInvocation, c.askedPerInvocation, c.placementMs, c.waitedWhileIdle, c.passedOnShare].join(','))].join('\n') + '\n'
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`
const percent = (x: number): string => `${(x * 100).toFixed(1)}%`
