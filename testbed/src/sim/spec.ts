import { POLICIES, type PolicyName } from '../../../daemon/src/placement/policy-names.js'
import { SERVICE_DISTRIBUTIONS, type ServiceDistribution } from './draws.js'

/**
 * A policy the simulator runs: the daemon's six, power of d choices for any d (power-of-3, ...),
 * and `oracle`, the omniscient yardstick (oracle.ts).
 */
export type SimPolicy = PolicyName | `power-of-${number}` | 'oracle'

/** The `sim:` section of a scenario (docs/testbed.md, "The simulator"): what only the simulator needs. */
export interface SimSpec {
  /** Run time of one invocation on the reference machine (slowdown 1); a node's slowdown multiplies it. */
  serviceTime: { dist: ServiceDistribution, meanMs: number, sigma: number }
  /** Offered load, fractions of the mesh's capacity; one run per value and policy. @default workload.load */
  rho: number[]
  /** Invocations per run. @default 100000 */
  invocations: number
  /** Per policy, instead of `invocations`: random (M/M/1) needs the longest runs to settle at high load. */
  invocationsByPolicy: Partial<Record<string, number>>
  /** The first share of invocations (by arrival) is left out of the statistics: the mesh starts empty. @default 0.2 */
  warmupShare: number
  /** @default the scenario's policies */
  policies: SimPolicy[]
  /**
   * What a placing node knows of its peers' load: `fresh`, their state at that instant (the
   * supermarket model's exact knowledge); `gossip`, their latest capacity advert, sent every
   * `advertIntervalMs` and seen `advertDelayMs` later, as the daemon does. @default gossip
   */
  view: 'fresh' | 'gossip'
  /**
   * @default [1000]. A list sweeps it: every load and policy runs once per interval (the stale
   * gossip experiment, papers.md B6), and the table has a row per load and interval.
   */
  advertIntervalMs: number[]
  /** @default 5 */
  advertDelayMs: number
  /**
   * Peers in a placing node's capacity view, drawn uniformly per invocation (a partial view, as
   * in PeerSim); 0: every peer. Uniform choices from a uniform partial view are uniform choices
   * from the mesh, so random and power-of-d are unchanged by it. @default 0
   */
  viewSize: number
  /** The bidder's queue allowance per slot; the daemon's default (2) when absent. Large: unbounded queues, as in queueing theory. */
  queuePerSlot?: number
  /** Nodes learn run times from what they ran (the daemon's median of 8); false: every node knows the mean. @default true */
  learnRunTimes: boolean
}

const KNOWN = ['serviceTime', 'rho', 'invocations', 'invocationsByPolicy', 'warmupShare', 'policies', 'view', 'advertIntervalMs', 'advertDelayMs', 'viewSize', 'queuePerSlot', 'learnRunTimes']

export interface SpecHelpers {
  record(v: unknown, path: string, errors: string[]): Record<string, any>
  list(v: unknown, path: string, errors: string[]): unknown[]
  num(v: unknown, path: string, errors: string[], min: number, max: number, integer?: boolean): number
}

export function isSimPolicy (name: unknown): name is SimPolicy {
  return typeof name === 'string' && ((POLICIES as readonly string[]).includes(name) || name === 'oracle' || /^power-of-([2-9]|1[0-6])$/.test(name))
}

/** The `sim` section, checked field by field; `load` and `policies` are the scenario's, used where the section gives none. */
export function parseSimSpec (raw: unknown, fallback: { load: number[], policies: PolicyName[] }, errors: string[], h: SpecHelpers): SimSpec {
  const r = h.record(raw ?? {}, 'sim', errors)
  for (const key of Object.keys(r)) if (!KNOWN.includes(key)) errors.push(`sim.${key}: unknown field (${KNOWN.join(', ')})`)
  const st = h.record(r.serviceTime ?? {}, 'sim.serviceTime', errors)
  const dist = (st.dist ?? 'exponential') as ServiceDistribution
  if (!SERVICE_DISTRIBUTIONS.includes(dist)) errors.push(`sim.serviceTime.dist: expected one of ${SERVICE_DISTRIBUTIONS.join(', ')}, got ${JSON.stringify(st.dist)}`)
  const view = r.view ?? 'gossip'
  if (view !== 'fresh' && view !== 'gossip') errors.push(`sim.view: expected fresh or gossip, got ${JSON.stringify(r.view)}`)
  const rho = r.rho == null ? fallback.load : h.list(r.rho, 'sim.rho', errors).map((v, i) => h.num(v, `sim.rho[${i}]`, errors, 0.01, 0.999))
  if (rho.length === 0) errors.push('sim.rho: at least one load (or give workload.load)')
  const policies = h.list(r.policies ?? fallback.policies, 'sim.policies', errors).map((p, i) => {
    if (!isSimPolicy(p)) errors.push(`sim.policies[${i}]: expected one of ${POLICIES.join(', ')} power-of-<d> (d from 2 to 16) or oracle, got ${JSON.stringify(p)}`)
    return p as SimPolicy
  })
  const spec: SimSpec = {
    serviceTime: {
      dist,
      meanMs: h.num(st.meanMs ?? 100, 'sim.serviceTime.meanMs', errors, 0.001, 3_600_000),
      sigma: h.num(st.sigma ?? 1, 'sim.serviceTime.sigma', errors, 0, 4)
    },
    rho,
    invocations: h.num(r.invocations ?? 100_000, 'sim.invocations', errors, 1, 100_000_000, true),
    invocationsByPolicy: Object.fromEntries(Object.entries(h.record(r.invocationsByPolicy ?? {}, 'sim.invocationsByPolicy', errors)).map(([policy, v]) => {
      if (!isSimPolicy(policy)) errors.push(`sim.invocationsByPolicy.${policy}: not a policy`)
      return [policy, h.num(v, `sim.invocationsByPolicy.${policy}`, errors, 1, 100_000_000, true)]
    })),
    warmupShare: h.num(r.warmupShare ?? 0.2, 'sim.warmupShare', errors, 0, 0.9),
    policies,
    view,
    advertIntervalMs: Array.isArray(r.advertIntervalMs)
      ? r.advertIntervalMs.map((v: unknown, i: number) => h.num(v, `sim.advertIntervalMs[${i}]`, errors, 1, 600_000))
      : [h.num(r.advertIntervalMs ?? 1000, 'sim.advertIntervalMs', errors, 1, 600_000)],
    advertDelayMs: h.num(r.advertDelayMs ?? 5, 'sim.advertDelayMs', errors, 0, 600_000),
    viewSize: h.num(r.viewSize ?? 0, 'sim.viewSize', errors, 0, 1_000_000, true),
    learnRunTimes: r.learnRunTimes == null ? true : r.learnRunTimes === true
  }
  if (spec.advertIntervalMs.length === 0) errors.push('sim.advertIntervalMs: at least one interval')
  if (new Set(spec.advertIntervalMs).size !== spec.advertIntervalMs.length) errors.push('sim.advertIntervalMs: each interval once')
  if (r.learnRunTimes != null && typeof r.learnRunTimes !== 'boolean') errors.push(`sim.learnRunTimes: expected true or false, got ${JSON.stringify(r.learnRunTimes)}`)
  if (r.queuePerSlot != null) spec.queuePerSlot = h.num(r.queuePerSlot, 'sim.queuePerSlot', errors, 0, 1e9, true)
  return spec
}
