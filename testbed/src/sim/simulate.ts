import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { PLACEMENT_DEFAULTS } from '../../../daemon/src/placement/defaults.js'
import { attempt, type Attempted } from './attempt.js'
import { drawer, exponential, streams } from './draws.js'
import { Simulator } from './engine.js'
import { EntryLostError } from './errors.js'
import { Faults } from './faults.js'
import { oracleRun } from './oracle.js'
import { LinkModel } from './links.js'
import { SimNode } from './node.js'
import { simAuction } from './transport.js'
import { CapacityViews } from './views.js'
import type { SimPolicy, SimSpec } from './spec.js'
import type { Scenario } from '../scenario.js'

export interface SimRunOptions {
  policy: SimPolicy
  rho: number
  seed: number
  /** Scales the node groups to this many nodes in all. */
  nodes?: number
  /** Overrides `sim.invocations`. */
  invocations?: number
  /** The gossip interval of this run, one of `sim.advertIntervalMs`. @default its first */
  advertIntervalMs?: number
}

/** One run's result: deterministic for its inputs (no wall-clock figure in it). */
export interface SimRunResult {
  policy: SimPolicy
  rho: number
  seed: number
  /** Capacity adverts' interval (gossip views). */
  advertIntervalMs: number
  nodes: number
  /** Invocations measured (after the warm-up share). */
  measured: number
  /** Mean sojourn (arrival to answer) over the mean service time on the reference machine x the mesh's mean slowdown. */
  sojournRatio: number
  meanSojournMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  /** Mean time from arrival to admission where it ran: placement, bids and link delays. */
  placementMs: number
  /** Messages (calls for bids, bids, releases, invokes, answers) per invocation, every invocation counted. */
  messagesPerInvocation: number
  /** Bids asked per invocation. */
  askedPerInvocation: number
  /** Peers the simulator looked at to build capacity views, per invocation: flat when views are partial (`viewSize`), the mesh's size when not. */
  viewedPerInvocation: number
  /** Share of measured invocations that queued while some slot in the mesh was idle (papers.md B6). */
  waitedWhileIdle: number
  /** Share run by a node other than the one it entered at. */
  remoteShare: number
  /** Share that was passed on by at least one target. */
  passedOnShare: number
  /** Share passed on because a target was down or cut off, or died or was cut off holding it (scenario events). */
  retriedShare: number
  /** Invocations (after the warm-up share) lost: their entry node was down when they arrived, or died before answering. */
  failed: number
  /** Measured invocations per node group. */
  byGroup: Record<string, number>
  virtualMs: number
  events: number
}

/** Nodes per group, scaled to `total` (each group keeps at least one). */
export function scaledGroups (scenario: Scenario, total?: number): Array<{ name: string, count: number, slots: number, slowdown: number, tags: Record<string, string> }> {
  const all = scenario.nodes.reduce((sum, g) => sum + g.count, 0)
  return scenario.nodes.map((g) => ({ ...g, count: total == null ? g.count : Math.max(1, Math.round(g.count * total / all)) }))
}

/**
 * Runs one policy at one load for one seed: Poisson arrivals at `rho` x the mesh's capacity,
 * each at an entry node drawn uniformly from `workload.entry`, placed by the entry node's real
 * planner and Auctioneer, run on the modelled executor of the node that won.
 */
export async function simulate (scenario: Scenario, options: SimRunOptions): Promise<SimRunResult> {
  const spec = scenario.sim as SimSpec
  const rng = streams(options.seed)
  const sim = new Simulator()
  const groups = scaledGroups(scenario, options.nodes)
  const cid = CID.createV1(0x55, identity.digest(new TextEncoder().encode(scenario.workload.mix[0]?.function ?? 'job'))).toString()
  const cidBytes = CID.parse(cid).bytes
  const queuePerSlot = spec.queuePerSlot ?? PLACEMENT_DEFAULTS.queuePerSlot
  const nodes: SimNode[] = []
  const byName = new Map<string, SimNode>()
  const links = new LinkModel(scenario, rng.links)
  let messages = 0
  let idleSlots = 0
  const byGroupName = new Map<string, SimNode[]>()
  const faults = new Faults(scenario.events, {
    clock: sim,
    expand: (ref) => byGroupName.get(ref) ?? (byName.has(ref) ? [byName.get(ref)!] : []),
    killed: (node) => { views.forget(node) }
  })
  const cut = (a: SimNode, b: SimNode): boolean => faults.cut(a, b)
  const shared = {
    clock: sim,
    node: (name: string) => byName.get(name),
    delay: (from: SimNode, to: SimNode, bytes: number) => from === to ? 0 : links.delay(from, to, bytes),
    sent: (count: number) => { messages += count },
    cut,
    faults
  }
  for (const g of groups) {
    for (let i = 0; i < g.count; i++) {
      const name = `${g.name}-${i}`
      const node = new SimNode({
        name,
        index: nodes.length,
        group: g.name,
        slots: g.slots,
        slowdown: g.slowdown,
        tags: g.tags,
        queuePerSlot,
        reservationTtlMs: PLACEMENT_DEFAULTS.reservationTtlMs,
        ...(spec.learnRunTimes ? {} : { knownRunMs: spec.serviceTime.meanMs * g.slowdown }),
        cid
      }, {
        clock: sim,
        auction: simAuction(name, shared),
        random: rng.placement,
        onSlots: (delta) => { idleSlots += delta }
      })
      nodes.push(node)
      byName.set(name, node)
      // pushed, not copied: a copy per node is quadratic in a 10,000-node group
      const members = byGroupName.get(g.name) ?? []
      members.push(node)
      byGroupName.set(g.name, members)
      idleSlots += g.slots
    }
  }
  const entryGroups = new Set(scenario.workload.entry.flatMap((ref) => scenario.nodes.some((g) => g.name === ref) ? [ref] : []))
  const entries = nodes.filter((n) => entryGroups.has(n.group) || scenario.workload.entry.includes(n.name))
  // capacity in invocations per ms: every slot, at its node's speed
  const capacity = groups.reduce((sum, g) => sum + g.count * g.slots / (spec.serviceTime.meanMs * g.slowdown), 0)
  const meanServiceMs = groups.reduce((sum, g) => sum + g.count * g.slots, 0) / capacity
  const arrivalMeanMs = 1 / (options.rho * capacity)
  const total = options.invocations ?? spec.invocationsByPolicy[options.policy] ?? spec.invocations
  const warmup = Math.floor(total * spec.warmupShare)
  const advertIntervalMs = options.advertIntervalMs ?? spec.advertIntervalMs[0]!
  const serviceDraw = drawer(spec.serviceTime.dist, spec.serviceTime.meanMs, spec.serviceTime.sigma, rng.service)
  const views = new CapacityViews(nodes, sim, { mode: spec.view, intervalMs: advertIntervalMs, delayMs: spec.advertDelayMs, viewSize: spec.viewSize }, rng.views, cut)

  const sojourns = new Float64Array(total - warmup)
  let measured = 0
  let arrived = 0
  let pending = 0
  let placementSum = 0
  let asked = 0
  let waitedIdle = 0
  let remote = 0
  let passedOn = 0
  let retried = 0
  let failed = 0
  const byGroup: Record<string, number> = Object.fromEntries(groups.map((g) => [g.name, 0]))
  views.start(() => arrived < total || pending > 0)
  faults.start()

  const place = async (index: number): Promise<void> => {
    const entry = entries[Math.floor(rng.entry() * entries.length)]!
    const arrivedAt = sim.now()
    const workMs = serviceDraw()
    let admittedAt = arrivedAt
    let queuedIdle = false
    const incarnation = entry.incarnation
    // a client's request to a dead node gets no answer: lost, as in `testbed run`
    let done = entry.up ? await placed() : undefined
    if (entry.incarnation !== incarnation) done = undefined
    pending--
    if (index < warmup) return
    if (done == null) { failed++; return }
    const sojourn = sim.now() - arrivedAt
    sojourns[measured++] = sojourn
    placementSum += admittedAt - arrivedAt
    if (queuedIdle) waitedIdle++
    if (done.executor !== entry) remote++
    if (done.passedOn > 0) passedOn++
    if (done.unreachable > 0) retried++
    byGroup[done.executor.group]!++

    async function placed (): Promise<Attempted | undefined> {
      const admitted = (queued: boolean): void => { admittedAt = sim.now(); queuedIdle = queued && idleSlots > 0 }
      try {
        if (options.policy === 'oracle') return await oracleRun(entry, nodes, { workMs, admitted })
        const plan = await entry.planner(options.policy)({
          self: entry.candidate(true),
          peers: views.peers(entry),
          candidates: PLACEMENT_DEFAULTS.candidates,
          call: { cid: cidBytes, inputBytes: 8, deadlineMs: 0, windowMs: PLACEMENT_DEFAULTS.bidWindowMs, priceWeight: PLACEMENT_DEFAULTS.priceWeight }
        })
        asked += plan.asked
        return await attempt(entry, plan, { workMs, admitted }, { ...shared, cid })
      } catch (err: any) {
        if (err?.name === EntryLostError.name) return undefined
        throw err
      }
    }
  }

  const arrive = (): void => {
    const index = arrived++
    pending++
    void place(index)
    if (arrived < total) sim.setTimeout(arrive, exponential(arrivalMeanMs, rng.arrivals))
  }
  sim.setTimeout(arrive, exponential(arrivalMeanMs, rng.arrivals))
  await sim.run()
  for (const n of nodes) n.auctioneer.stop()

  const sorted = sojourns.slice(0, measured).sort()
  const q = (p: number): number => sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
  let sum = 0
  for (const s of sorted) sum += s
  const mean = measured === 0 ? 0 : sum / measured
  const share = (k: number): number => measured === 0 ? 0 : k / measured
  return {
    policy: options.policy,
    rho: options.rho,
    seed: options.seed,
    advertIntervalMs,
    nodes: nodes.length,
    measured,
    sojournRatio: mean / meanServiceMs,
    meanSojournMs: mean,
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    p99Ms: q(0.99),
    placementMs: measured === 0 ? 0 : placementSum / measured,
    messagesPerInvocation: messages / total,
    askedPerInvocation: asked / total,
    viewedPerInvocation: views.viewed / total,
    waitedWhileIdle: share(waitedIdle),
    remoteShare: share(remote),
    passedOnShare: share(passedOn),
    retriedShare: share(retried),
    failed,
    byGroup,
    virtualMs: sim.now(),
    events: sim.events
  }
}
