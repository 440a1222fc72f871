import { randomBytes } from 'node:crypto'
import { TypedEventEmitter } from 'main-event'
import { CID } from 'multiformats/cid'
import { Bid } from '../../../protocols/src/auction/index.js'
import { boundLogLines, InvokeResponse, MAX_INVOKE_PAYLOAD_BYTES } from '../../../protocols/src/invoke/index.js'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  DeadlineExceededError, FunctionNotFoundError, NoCapacityError, NodeStoppingError, NotStartedError, StateUnavailableError, UnsupportedStateModelError
} from '../errors.js'
import { fingerprintOf, invocationTable, newInvocationId, type InvocationTable } from '../invocations/index.js'
import { logsOf, withLogs } from '../executor/index.js'
import { withPlacementId } from './failed-placements.js'
import { Auctioneer, releaseCall } from './auctioneer.js'
import { BidFloors } from './bid-floors.js'
import { Bidder, SELF } from './bidder.js'
import { DEFAULT_RUN_MS, PLACEMENT_DEFAULTS } from './defaults.js'
import { RunTimeEstimates } from './estimates.js'
import { inputsFingerprint, invokeHandler, stateTarget } from './invoke-handler.js'
import { errorOf, isFunctionOutcome, statusOf } from './invoke-status.js'
import { LocalRunner, type LocalRun } from './local-runner.js'
import { placementMetrics, type PlacementMetrics } from './metrics.js'
import { PeerLedger } from './peer-ledger.js'
import { planners, type Planner } from './policies.js'
import { pricePaid } from './price-paid.js'
import { pricing } from './pricing.js'
import { DEFAULT_DECLINE_BELOW_PERCENT, skipsLowBattery } from '../power/index.js'
import { Reputation } from './reputation.js'
import { Reservations } from './reservations.js'
import { modelToWire } from './state-wire.js'
import { UnreservedFetches } from './unreserved-fetches.js'
import { endInvokeSpan, endPlacementSpan, startInvokeSpan, startPlacementSpan, tracedInvokeHandler } from './tracing.js'
import { timingsFromWire } from './timings.js'
import type { Candidate, Plan, Target } from './candidates.js'
import type {
  AttemptRecord, PlaceOptions, Placed, PlacementComponents, PlacementEvents, PlacementInit, PlacementRecord, Placement as PlacementInterface, StateSpec
} from './index.js'
import type { PolicyName } from './policy-names.js'
import type { StateCall } from '../state/index.js'
import type { Logger } from '@libp2p/interface'

/** Why an attempt passed the invocation on when the node could not get the code. */
const NO_CODE = 'could not get the code'
/** Why an attempt passed the invocation on when the node does not offer the call's state model. */
const NO_STATE_MODEL = 'does not offer the state model'
/** A placement record keeps this much of its error's message (a peer's is at most 1024 characters too). */
const ERROR_MESSAGE_CHARS = 1024
/** Placements remembered for `recent` and `get` (the dashboard, `faasmesh invoke --verbose`). */
const RECENT = 128
/**
 * The runner-up's reservation is held for a retry for this share of what is left of it, then
 * handed back if the winner still runs: a release waits up to 10 ms for a call to ride on, then
 * crosses the link, and with both event loops busy it was seen to take over 100 ms; it must
 * arrive before the bidder's TTL, so that an honest auctioneer's reservations never count as
 * waste there (lapses are what get a peer excluded).
 */
const HOLD_SHARE = 0.5

/** Auctions per invocation at most: the first, and one among the others when every target passed it on. */
const MAX_ROUNDS = 2
/** What ends a round with every target spent, as opposed to an outcome of the function. */
const RETRYABLE = new Set([NoCapacityError.name, DeadlineExceededError.name, FunctionNotFoundError.name])
/** In-function homes an entry node remembers (state key -> peer id); a home that fails is looked up again. */
const KNOWN_HOMES = 4096
/** Why an attempt at an in-function home failed in a way that means the home is not there. */
const HOME_GONE = new Set(['unreachable', 'stopping', 'not sent in time', 'no answer in time'])
/**
 * In-function calls a home admits beyond its usual room: they can run nowhere else, so they
 * queue rather than fail, but a peer sending calls for ever more keys still meets a bound.
 */
const HOME_BACKLOG = 256
/** Outcomes that prove the call never reached the node (nothing ran there, nothing was stored). */
const NEVER_REACHED = new Set(['unreachable', 'not sent in time'])
/** A draining node checks this often whether what runs has finished. */
const DRAIN_POLL_MS = 20
/** After the drain bound, runs stopped with NodeStoppingError get this long to answer. */
const STOPPED_ANSWER_MS = 2_000

/** An attempt that failed in a way worth trying elsewhere, with why. */
class PassOn extends Error {
  constructor (readonly reason: string, readonly offence?: 'dishonoured' | 'garbage' | 'unreachable' | 'slow') {
    super(reason)
  }
}

export class Placement extends TypedEventEmitter<PlacementEvents> implements PlacementInterface {
  readonly defaultPolicy: PolicyName
  private readonly components: PlacementComponents
  private readonly init: Required<Omit<PlacementInit, 'tags' | 'priceFactors' | 'invocations'>>
  private readonly log: Logger
  private readonly self: string
  private readonly estimates = new RunTimeEstimates()
  /** The best each peer bid lately per function, for the local fast path. */
  private readonly floors = new BidFloors()
  private readonly reservations: Reservations
  private readonly reputation = new Reputation()
  private readonly ledger: PeerLedger
  private readonly fetches: UnreservedFetches
  private readonly runner: LocalRunner
  private readonly bidder: Bidder
  private readonly planners: Record<PolicyName, Planner>
  private readonly auctioneer: Auctioneer
  private readonly metrics?: PlacementMetrics
  private readonly records = new Map<string, PlacementRecord>()
  /** The ids this node ran or runs for its peers (at most once each). */
  private readonly invocations: InvocationTable<LocalRun>
  /** In-function homes this node placed calls on, most recently used last. */
  private readonly homes = new Map<string, string>()
  private started = false
  private draining = false

  constructor (components: PlacementComponents, init: PlacementInit) {
    super()
    this.components = components
    this.init = {
      policy: init.policy ?? PLACEMENT_DEFAULTS.policy,
      candidates: init.candidates ?? PLACEMENT_DEFAULTS.candidates,
      bidWindowMs: init.bidWindowMs ?? PLACEMENT_DEFAULTS.bidWindowMs,
      reservationTtlMs: init.reservationTtlMs ?? PLACEMENT_DEFAULTS.reservationTtlMs,
      queuePerSlot: init.queuePerSlot ?? PLACEMENT_DEFAULTS.queuePerSlot,
      basePrice: init.basePrice ?? PLACEMENT_DEFAULTS.basePrice,
      priceWeight: init.priceWeight ?? PLACEMENT_DEFAULTS.priceWeight,
      speed: init.speed ?? 1,
      attemptTimeoutMs: init.attemptTimeoutMs ?? 15_000,
      declineBelowPercent: init.declineBelowPercent ?? DEFAULT_DECLINE_BELOW_PERCENT,
      localFastPath: init.localFastPath ?? true
    }
    this.defaultPolicy = this.init.policy
    this.log = components.logger.forComponent('faasmesh:placement')
    this.self = components.peerId.toString()
    if (components.registry != null) this.metrics = placementMetrics(components.registry)
    // a peer whose reservations keep lapsing is excluded from bids, and ranked down as a target
    this.ledger = new PeerLedger({}, (peer, exclusions) => {
      this.log('excluded %s from bids: its reservations keep lapsing (exclusion %d)', peer, exclusions)
      this.reputation.penalise(peer, 'hoarding')
      this.metrics?.exclusions.inc()
    })
    // only admissions and answers announce a change: reservations come and go within
    // milliseconds, and prompt adverts for each would flood the gossip of a busy mesh
    this.reservations = new Reservations(this.init.reservationTtlMs, (owner, how) => {
      this.metrics?.reservations.inc({ holder: owner === SELF ? 'self' : this.ledger.isKnown(owner) ? 'known' : 'stranger', outcome: how })
      if (owner !== SELF) this.ledger.settle(owner, how)
    })
    this.fetches = new UnreservedFetches({ fetch: async (cid, options) => components.resolver.resolve(cid, options) })
    this.invocations = invocationTable<LocalRun>('executor', init.invocations, (run) => run.output.byteLength + (run.state?.clientState?.byteLength ?? 0), components.registry)
    this.runner = new LocalRunner({ resolver: components.resolver, executor: components.executor, estimates: this.estimates, transactions: components.transactions, chainData: components.chainData }, () => {
      this.safeDispatchEvent('capacity', { detail: { free: this.freeSlots(), queued: this.queued() } })
    })
    this.bidder = new Bidder({
      running: () => this.runner.running,
      slots: () => components.executor.stats().slots,
      codeState: (cid) => components.executor.isWarm(cid) ? Bid.Code.WARM : components.store.has(cid) ? Bid.Code.STORED : Bid.Code.ABSENT,
      estimates: this.estimates,
      reservations: this.reservations,
      ledger: this.ledger,
      metrics: this.metrics,
      stopping: () => this.draining,
      transferMs: components.transferMs,
      vouch: components.trust == null ? undefined : async (cid, nameRecord) => components.trust!.allows(cid, 'bid', nameRecord),
      power: components.power,
      contributes: components.contributes,
      price: pricing({ basePrice: this.init.basePrice, factors: init.priceFactors ?? PLACEMENT_DEFAULTS.priceFactors, tags: init.tags ?? {}, power: components.power })
    }, { queuePerSlot: this.init.queuePerSlot, speed: this.init.speed, declineBelowPercent: this.init.declineBelowPercent })
    this.auctioneer = new Auctioneer({ auction: components.auction, bidder: this.bidder, reputation: this.reputation, metrics: this.metrics, log: this.log })
    this.planners = planners(this.auctioneer)
  }

  async start (): Promise<void> {
    if (this.started) return
    const { auction, invoke } = this.components
    auction.setBidder(async (call, { peer }) => this.bidder.bidVouched(call, peer.toString()))
    const serve = invokeHandler({
      runner: this.runner,
      reservations: this.reservations,
      invocations: this.invocations,
      stopping: () => this.draining,
      hasRoom: (home) => this.hasRoom(home),
      hasCode: (cid) => this.components.store.has(cid),
      vouch: this.components.trust == null ? undefined : async (cid, nameRecord) => this.components.trust!.allows(cid, 'invoke', nameRecord),
      fetches: this.fetches,
      metrics: this.metrics,
      receipts: this.components.receipts,
      perPeer: this.components.perPeer,
      log: this.log
    })
    const traced = tracedInvokeHandler(this.components.tracing, serve)
    invoke.setHandler(async (request, context) => {
      const response = await traced(request, context)
      this.metrics?.served.inc({ status: response.status })
      return response
    })
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.draining = true
    // every run here, its peers' and its own, goes through the table
    this.invocations.abortAll(new NodeStoppingError('the node stopped before the invocation finished'))
    this.auctioneer.stop()
    this.reservations.clear()
  }

  async drain (options: { timeoutMs: number }): Promise<void> {
    if (this.draining) return
    this.draining = true
    // peers see no free slot at once, and stop sampling this node
    this.safeDispatchEvent('capacity', { detail: { free: 0, queued: this.queued() } })
    const deadline = performance.now() + options.timeoutMs
    await this.idle(deadline)
    if (this.runner.running === 0) return
    this.log('%d invocations still running after %d ms: stopping them', this.runner.running, options.timeoutMs)
    // they end with NodeStoppingError (STOPPING on the wire): their callers try elsewhere
    this.invocations.abortAll(new NodeStoppingError('the node stopped before the invocation finished'))
    await this.idle(performance.now() + STOPPED_ANSWER_MS)
  }

  /** Resolves once nothing runs here, or at `deadline`. */
  private async idle (deadline: number): Promise<void> {
    while (this.runner.running > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_POLL_MS, Math.max(1, deadline - performance.now()))))
    }
  }

  freeSlots (): number {
    if (this.draining) return 0
    return Math.max(0, this.components.executor.stats().slots - this.load())
  }

  queued (): number {
    return Math.max(0, this.load() - this.components.executor.stats().slots)
  }

  recent (limit = 50): PlacementRecord[] {
    return [...this.records.values()].reverse().slice(0, limit)
  }

  get (id: string): PlacementRecord | undefined {
    return this.records.get(id)
  }

  track (record: PlacementRecord): void {
    this.remember(record)
    this.safeDispatchEvent('placement:planned', { detail: record })
  }

  settle (record: PlacementRecord): void {
    this.safeDispatchEvent('placement:done', { detail: record })
  }

  penalise (peer: string, offence: 'flooding'): void {
    this.reputation.penalise(peer, offence)
  }

  reputations (): Array<{ peer: string, score: number, offences: number, last: string, excluded: boolean }> {
    return this.reputation.list()
  }

  async place (cid: string, input: Uint8Array, options: PlaceOptions): Promise<Placed> {
    if (!this.started) throw new NotStartedError('placement is not started')
    const started = performance.now()
    const record: PlacementRecord = { id: randomBytes(6).toString('hex'), cid, policy: options.policy, at: Date.now(), asked: 0, bids: [], attempts: [] }
    if (options.state != null) record.state = { model: options.state.model, key: options.state.key }
    if (options.name != null) record.name = options.name
    if (options.timings != null) record.timings = { ...options.timings }
    this.remember(record)
    const traced = startPlacementSpan(this.components.tracing, record, options.trace)
    let failure: unknown
    try {
      // parsed once: the calls for bids, the candidates' warm lists and the invoke all need the bytes
      const binary = CID.parse(cid).bytes
      const attemptOptions = { ...options, invocationId: options.invocationId ?? newInvocationId(), ...(traced != null ? { trace: traced.context } : {}) }
      // peers that passed the invocation on for reasons of their own (stopping, refused, gone)
      const passedOn = new Set<string>()
      let placed: Placed | undefined
      // in-function state lives on its key's home: the call goes there, and nowhere else
      const home = options.state?.model === 'in-function'
      for (let round = 1; placed == null; round++) {
        // the fast path only on the first round: a run here that failed is retried by a real auction
        const plan = home ? await this.homePlan(record, binary, input, options) : await this.plan(binary, input, options, passedOn, round === 1)
        Object.assign(record, { asked: record.asked + plan.asked, bids: [...record.bids, ...plan.bids], windowMs: plan.windowMs, secondPrice: plan.secondPrice })
        if (plan.fastPath === true) record.fastPath = true
        this.safeDispatchEvent('placement:planned', { detail: record })
        const before = passedOn.size
        try {
          placed = await this.attempt(record, plan, binary, input, attemptOptions, started, passedOn)
        } catch (err: any) {
          // every target is spent, and some passed it on for reasons of their own: the bids in
          // hand were not all the mesh had (a slow bidder missed the window), so one more
          // auction among the others, while time is left
          const remaining = this.remaining(options)
          const again = !home && round < MAX_ROUNDS && (passedOn.size > before || plan.fastPath === true) && RETRYABLE.has(err?.name) &&
            options.signal?.aborted !== true && (remaining == null || remaining > 0)
          if (!again) throw err
        }
      }
      Object.assign(record, { executor: placed.executor, placementMs: placed.placementMs, outcome: 'ok' })
      if (placed.logs != null && placed.logs.length > 0) record.logs = placed.logs
      if (home && options.state != null) this.rememberHome(options.state.key, placed.executor)
      this.metrics?.placements.inc({ policy: options.policy, executor: placed.executor === this.self ? 'self' : 'remote' })
      this.metrics?.overhead.observe({ policy: options.policy }, placed.placementMs / 1000)
      // the caller's phases, this node's placement, and the executing node's own
      record.timings = { ...record.timings, placement: placed.placementMs, ...placed.timings }
      return { ...placed, timings: record.timings }
    } catch (err: any) {
      record.outcome = String(err?.name ?? 'Error')
      record.error = { name: record.outcome, message: String(err?.message ?? err).slice(0, ERROR_MESSAGE_CHARS) }
      const logs = logsOf(err)
      if (logs != null) record.logs = logs
      withPlacementId(err, record.id)
      record.timings = { ...record.timings, placement: performance.now() - started }
      failure = err
      throw err
    } finally {
      // from the invocation's start on this node (before its name lookup), when the caller says when that was
      record.totalMs = performance.now() - (options.startedAt ?? started)
      endPlacementSpan(traced, record, failure)
      this.safeDispatchEvent('placement:done', { detail: record })
    }
  }

  /**
   * The plan of an in-function call: its key's home alone. A key with no home yet gets one by
   * the auction: its winner is claimed as the home in the directory, and the first claim wins
   * for every entry node (a concurrent first call elsewhere may have claimed another).
   */
  private async homePlan (record: PlacementRecord, cid: Uint8Array, input: Uint8Array, options: PlaceOptions): Promise<Plan> {
    const key = options.state!.key
    const directory = this.components.homes
    if (directory == null) throw new StateUnavailableError('this node keeps no directory of in-function homes')
    let home = this.homes.get(key) ?? await directory.lookup(key, { signal: options.signal })
    let plan: Plan = { targets: [], bids: [], asked: 0, held: [] }
    if (home == null) {
      plan = await this.plan(cid, input, options, new Set())
      const winner = plan.targets[0]?.candidate.peer ?? this.self
      home = await directory.claim(key, winner, { signal: options.signal })
      this.log('state key %s: home %s (auction winner %s)', key, home, winner)
      if (home === winner) record.state = { ...record.state!, newHome: true }
    }
    record.state = { ...record.state!, home }
    // the home keeps its reservation when it won the auction; everything else goes back
    const kept = plan.targets.find((t) => t.candidate.peer === home)
    for (const target of [...plan.targets, ...plan.held]) if (target !== kept) this.releaseTarget(target)
    return { ...plan, targets: [kept ?? this.homeTarget(home)], held: [] }
  }

  private homeTarget (home: string): Target {
    if (home === this.self) return { candidate: this.selfCandidate() }
    const known = this.peerCandidates(new Uint8Array(0)).find((c) => c.peer === home)
    if (known != null) return { candidate: known }
    let peerId
    try {
      peerId = peerIdFromString(home)
    } catch {
      throw new StateUnavailableError(`the directory names "${home.slice(0, 60)}" as the home, which is no peer id`)
    }
    // not in the capacity view (gone, or not advertising): the attempt finds out
    return { candidate: { peer: home, peerId, self: false, slotsTotal: 1, slotsFree: 0, queueLength: 0, speed: 1, warm: false } }
  }

  private rememberHome (key: string, home: string): void {
    this.homes.delete(key)
    this.homes.set(key, home)
    if (this.homes.size > KNOWN_HOMES) this.homes.delete(this.homes.keys().next().value as string)
  }

  private async plan (cid: Uint8Array, input: Uint8Array, options: PlaceOptions, without: Set<string>, fastPath = false): Promise<Plan> {
    const remaining = this.remaining(options)
    const windowMs = remaining == null ? this.init.bidWindowMs : Math.max(1, Math.min(this.init.bidWindowMs, remaining / 4))
    const cidString = CID.decode(cid).toString()
    // least-loaded and power-of-two leave out peers whose advertised battery is below our threshold
    const peers = this.peerCandidates(cid).filter((c) => !without.has(c.peer) && !skipsLowBattery(options.policy, c.batteryPercent, this.init.declineBelowPercent))
    const fast = fastPath ? this.fastPlan(cidString, cid, input, options, peers) : undefined
    if (fast != null) return fast
    const plan = await this.planners[options.policy]({
      self: this.selfCandidate(),
      peers,
      candidates: this.init.candidates,
      ...(options.inputs != null ? { holders: options.inputs.map((i) => i.peer) } : {}),
      call: {
        cid,
        inputBytes: input.byteLength,
        // where a chain step's input already is: its holder bids without the transfer
        inputs: options.inputs?.map((i) => ({ peer: peerIdFromString(i.peer).toMultihash().bytes, bytes: i.bytes })),
        deadlineMs: remaining ?? 0,
        windowMs,
        priceWeight: this.init.priceWeight,
        nameRecord: this.components.trust?.recordFor(cidString),
        signal: options.signal
      }
    })
    this.floors.learn(cidString, plan.bids)
    return plan
  }

  /**
   * The local fast path (docs/placement.md): an auction whose outcome is known before it is
   * held is skipped. This node bids for itself (reserving its slot, as in an auction); when no
   * peer in the view has bid a lower score for this function lately, no peer would have won,
   * and the plan is this node alone. Only for plain calls: a chain step's input or a state model
   * changes what peers bid, so those always go to auction.
   */
  private fastPlan (cid: string, binary: Uint8Array, input: Uint8Array, options: PlaceOptions, peers: Candidate[]): Plan | undefined {
    if (!this.init.localFastPath || options.policy !== 'auction' || options.state != null || (options.inputs?.length ?? 0) > 0) return undefined
    if (this.draining || this.freeSlots() === 0 || !this.components.executor.isWarm(cid)) return undefined
    // without a floor for every peer, one of them might bid lower: ask them (that teaches the floors)
    const floors: number[] = []
    for (const peer of peers) {
      const floor = this.floors.floor(peer.peer, cid, this.init.priceWeight)
      if (floor == null) return undefined
      floors.push(floor)
    }
    const remaining = this.remaining(options)
    const bid = this.bidder.bid({
      auctionId: '',
      cid: binary as Uint8Array<ArrayBuffer>,
      inputBytes: input.byteLength,
      deadlineMs: Math.max(0, Math.floor(remaining ?? 0)),
      release: [],
      inputs: [],
      nameRecord: new Uint8Array(0)
    })
    if (bid.status !== Bid.Status.BID) return undefined
    const score = bid.estimatedMs + this.init.priceWeight * bid.price
    // on a tie the auction picks this node too (no network in the way)
    if (floors.some((floor) => floor < score)) {
      this.bidder.bid(releaseCall([bid.reservation]))
      return undefined
    }
    this.metrics?.fastPath.inc()
    return {
      targets: [{ candidate: this.selfCandidate(), reservation: bid.reservation, reservedUntil: performance.now() + bid.reservationTtlMs, estimatedMs: bid.estimatedMs }],
      bids: [{ peer: this.self, self: true, outcome: 'bid', estimatedMs: bid.estimatedMs, price: bid.price, score, rttMs: 0, code: bid.code }],
      asked: 1,
      held: [],
      windowMs: 0,
      fastPath: true
    }
  }

  /**
   * Tries the plan's targets in order, then this node, under the deadline: a target whose
   * estimate does not fit in the time left is skipped, an attempt that fails for reasons of
   * the node (refused, unreachable, silent) passes the invocation on, and one that fails for
   * reasons of the function ends it.
   */
  private async attempt (record: PlacementRecord, plan: Plan, cid: Uint8Array, input: Uint8Array, options: PlaceOptions & { invocationId: string }, started: number, passedOn: Set<string>): Promise<Placed> {
    const targets = [...plan.targets]
    // the invoke protocol carries inputs up to its cap: a larger one runs here or nowhere
    if (input.byteLength > MAX_INVOKE_PAYLOAD_BYTES) {
      for (const target of targets.filter((t) => !t.candidate.self)) this.releaseTarget(target)
      targets.splice(0, targets.length, ...targets.filter((t) => t.candidate.self))
    }
    // an in-function call runs on its home or nowhere
    const pinned = options.state?.model === 'in-function'
    if (!pinned && !targets.some((t) => t.candidate.self)) targets.push({ candidate: this.selfCandidate() })
    const reasons: string[] = []
    let deadlineSkipped = false
    // a held reservation is worth keeping only while it lives; a retry after that goes without
    const releases = plan.held.map((held) => {
      const timer = setTimeout(() => { this.releaseTarget(held) }, Math.max(0, ((held.reservedUntil ?? 0) - performance.now()) * HOLD_SHARE))
      timer.unref?.()
      return timer
    })
    try {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[i]!
        const remaining = this.remaining(options)
        if (remaining != null && remaining <= 0) break
        const attemptStarted = performance.now()
        const note = (outcome: string): void => {
          const attempt: AttemptRecord = { peer: target.candidate.peer, self: target.candidate.self, outcome, ms: performance.now() - attemptStarted }
          record.attempts.push(attempt)
          this.safeDispatchEvent('placement:attempt', { detail: { id: record.id, attempt } })
        }
        const estimate = target.estimatedMs ?? (target.candidate.self ? this.bidder.estimate(record.cid, 0).estimatedMs : undefined)
        if (remaining != null && estimate != null && estimate > remaining) {
          deadlineSkipped = true
          note('skipped: deadline')
          this.releaseTarget(target)
          continue
        }
        try {
          const placed = target.candidate.self
            ? await this.runHere(record, target, input, options)
            : await this.runThere(record, target, cid, input, options, this.attemptTimeout(remaining, targets[i + 1]))
          note('ok')
          return { ...placed, placementMs: attemptStarted - started }
        } catch (err: any) {
          if (!(err instanceof PassOn)) {
            note(String(err?.name ?? 'Error'))
            throw err
          }
          if (err.offence != null) this.reputation.penalise(target.candidate.peer, err.offence)
          if (!target.candidate.self) passedOn.add(target.candidate.peer)
          this.metrics?.retries.inc({ reason: err.reason })
          note(err.reason)
          reasons.push(`${target.candidate.self ? 'this node' : target.candidate.peer}: ${err.reason}`)
        }
      }
      if (options.signal?.aborted === true) throw options.signal.reason
      if (pinned && record.attempts.some((a) => HOME_GONE.has(a.outcome))) {
        this.homes.delete(options.state!.key)
        // a home this very call chose, which the call never reached, holds no state: give the
        // key up, so that its next call chooses again instead of failing for good
        if (record.state?.newHome === true && record.attempts.every((a) => NEVER_REACHED.has(a.outcome))) {
          this.components.homes?.release?.(options.state!.key).catch((err) => { this.log('could not release the home of %s: %s', options.state!.key, err?.message ?? err) })
        }
        throw new StateUnavailableError(`the home of state key "${options.state!.key}" cannot be reached (${reasons.join('; ')}); its state is there and nowhere else`)
      }
      if (reasons.length > 0 && reasons.every((r) => r.endsWith(NO_STATE_MODEL))) {
        throw new UnsupportedStateModelError(`no node offers ${options.state?.model ?? 'the'} state (${reasons.join('; ')})`)
      }
      if (reasons.length > 0 && reasons.every((r) => r.endsWith(NO_CODE))) {
        throw new FunctionNotFoundError(`no node could get the code of ${record.cid} (${reasons.join('; ')})`)
      }
      if (deadlineSkipped || this.remaining(options) != null && this.remaining(options)! <= 0) {
        throw new DeadlineExceededError(`no node could finish within the deadline (${reasons.join('; ') || 'every estimate was too long'})`)
      }
      throw new NoCapacityError(`no node could take the invocation: ${reasons.join('; ')}`)
    } finally {
      for (const timer of releases) clearTimeout(timer)
      // whatever was not claimed goes back now, the deadline may have cut the attempts short
      for (const target of [...targets, ...plan.held]) this.releaseTarget(target)
    }
  }

  private async runHere (record: PlacementRecord, target: Target, input: Uint8Array, options: PlaceOptions & { invocationId: string }): Promise<Omit<Placed, 'placementMs'>> {
    if (target.reservation != null) this.reservations.claim(target.reservation, SELF, record.cid)
    target.reservation = undefined
    try {
      // this node's runs share the table its peers' runs go through: an id that ran here, for
      // whichever entry node, does not run here again
      const state = stateCall(options.state, options.invocationId)
      const inputs = options.inputs ?? []
      const keepAs = options.keepOutput === true ? options.invocationId : undefined
      const fingerprint = fingerprintOf(stateTarget(record.cid, state), inputs.length > 0 ? inputsFingerprint(inputs) : input)
      const run = await this.invocations.run(options.invocationId, fingerprint, async (signal) => this.runner.run(record.cid, input, { signal, state, inputs, keepAs }), { signal: options.signal })
      return {
        id: record.id,
        output: keepAs != null ? new Uint8Array(0) : run.output,
        outputBytes: keepAs != null ? run.output.byteLength : undefined,
        inputBytesMoved: run.inputBytesMoved ?? 0,
        executor: this.self,
        durationMs: run.durationMs,
        cold: run.cold,
        fetched: run.fetched,
        fuelUsed: run.fuelUsed,
        bids: this.bidCount(record),
        logs: run.logs,
        timings: run.timings,
        ...(run.state != null ? { state: run.state } : {})
      }
    } catch (err: any) {
      if (options.signal?.aborted === true) throw this.deadlineOr(err, options)
      // what another node might not suffer: no slot here, no code here, a failure of this node
      const status = statusOf(err)
      if (status === InvokeResponse.Status.REFUSED) throw new PassOn('no capacity')
      if (status === InvokeResponse.Status.STOPPING) throw new PassOn('stopping')
      if (status === InvokeResponse.Status.NOT_FOUND) throw new PassOn(NO_CODE)
      if (status === InvokeResponse.Status.ERROR) throw new PassOn('failed')
      if (status === InvokeResponse.Status.STATE_UNSUPPORTED) throw new PassOn(NO_STATE_MODEL)
      throw err
    }
  }

  private async runThere (record: PlacementRecord, target: Target, cid: Uint8Array, input: Uint8Array, options: PlaceOptions & { invocationId: string }, timeoutMs: number): Promise<Omit<Placed, 'placementMs'>> {
    const peerId = target.candidate.peerId!
    const reservation = target.reservation ?? new Uint8Array(0)
    const reserved = target.reservation != null && (target.reservedUntil ?? 0) > performance.now()
    target.reservation = undefined
    const price = pricePaid(record, target.candidate.peer)
    const traced = startInvokeSpan(this.components.tracing, target.candidate.peer, options.trace)
    let response: InvokeResponse
    try {
      response = await this.components.invoke.invoke(peerId, {
        cid: cid as Uint8Array<ArrayBuffer>,
        input: input as Uint8Array<ArrayBuffer>,
        deadlineMs: Math.max(1, Math.floor(timeoutMs)),
        reservation: reservation as Uint8Array<ArrayBuffer>,
        // a repeat of this id there (the channel's retry after a lost answer) runs nothing twice
        invocationId: options.invocationId,
        inputs: options.inputs ?? [],
        keepOutput: options.keepOutput === true,
        nameRecord: (this.components.trust?.recordFor(record.cid) ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
        price,
        // the run there joins this trace, as a child of the invoke span
        ...(traced?.traceparent != null ? { traceparent: traced.traceparent } : {}),
        ...(options.state != null
          ? { state: { model: modelToWire(options.state.model), key: options.state.key, clientState: (options.state.clientState ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer> } }
          : {})
      }, { timeoutMs, signal: options.signal })
      endInvokeSpan(traced, response)
    } catch (err: any) {
      endInvokeSpan(traced, undefined, err)
      // it never ran there: the slot it reserved goes back (the attempts' end releases it)
      if (notRun(err)) target.reservation = unclaimed(reservation)
      if (options.signal?.aborted === true) throw this.deadlineOr(err, options)
      throw passOnFailure(err)
    }
    // a missing or bad receipt is an offence, but the answer is used all the same: the work was
    // done, and the caller is not the one to pay for the executor's lie (docs/protocols.md, "Receipts")
    const receipt = await this.components.receipts?.check({ executor: peerId, invocationId: options.invocationId, cid, input, inputs: options.inputs ?? [], price, keepOutput: options.keepOutput === true }, response)
    if (receipt === 'missing' || receipt === 'invalid') this.reputation.penalise(target.candidate.peer, 'bad-receipt')
    const Status = InvokeResponse.Status
    // answered before it was admitted: the reservation was not claimed there
    if (response.status === Status.STOPPING || response.status === Status.CONFLICT || response.status === Status.UNTRUSTED) target.reservation = unclaimed(reservation)
    if (response.status === Status.OK) {
      this.reputation.reward(target.candidate.peer)
      return {
        id: record.id,
        output: response.output,
        outputBytes: options.keepOutput === true ? response.outputBytes : undefined,
        inputBytesMoved: response.inputBytesMoved,
        executor: target.candidate.peer,
        durationMs: response.durationUs / 1000,
        cold: response.cold,
        fetched: response.fetched,
        fuelUsed: response.fuel,
        bids: this.bidCount(record),
        logs: boundLogLines(response.logs),
        timings: timingsFromWire(response.timings),
        ...(options.state != null
          ? { state: { model: options.state.model, version: response.stateVersion, bytes: response.stateBytes, ...(options.state.model === 'in-client' ? { clientState: response.clientState } : {}) } }
          : {})
      }
    }
    // the limits on input and output are each node's own (and the protocol's): another may take it
    if (response.status === Status.TOO_LARGE) throw new PassOn('too large there')
    // the node this entry node took for a key's home says the key lives elsewhere: look it up again next time
    if (response.status === Status.STATE_UNAVAILABLE && options.state?.model === 'in-function') this.homes.delete(options.state.key)
    if (isFunctionOutcome(response.status) || response.status === Status.DEADLINE) throw withLogs(errorOf(response, target.candidate.peer), boundLogLines(response.logs))
    if (response.status === Status.REFUSED) throw new PassOn('refused', reserved ? 'dishonoured' : undefined)
    // it drains: not run there, or stopped with no effect
    if (response.status === Status.STOPPING) throw new PassOn('stopping')
    // the id ran there for another function or input (reused by its client through another entry node)
    if (response.status === Status.CONFLICT) throw new PassOn('invocation id conflict')
    if (response.status === Status.NOT_FOUND) throw new PassOn(NO_CODE)
    if (response.status === Status.ERROR) throw new PassOn('failed')
    if (response.status === Status.STATE_UNSUPPORTED) throw new PassOn(NO_STATE_MODEL)
    // its publisher trust does not vouch for the code: its own policy, no offence
    if (response.status === Status.UNTRUSTED) throw new PassOn('untrusted')
    throw new PassOn(`status ${response.status}`, 'garbage')
  }

  /**
   * How long a remote attempt may take: the time left, less what the next target would need
   * (twice its estimate, at least 100 ms, at most half the time left), so a silent winner
   * still leaves room for a retry.
   */
  private attemptTimeout (remaining: number | undefined, next: Target | undefined): number {
    if (remaining == null) return this.init.attemptTimeoutMs
    const nextMs = next == null ? 0 : Math.min(remaining / 2, Math.max(100, 2 * (next.estimatedMs ?? DEFAULT_RUN_MS) + 25))
    return Math.max(1, Math.min(this.init.attemptTimeoutMs, remaining - nextMs))
  }

  private releaseTarget (target: Target): void {
    this.auctioneer.release(target)
  }

  private selfCandidate (): Candidate {
    const slots = this.components.executor.stats().slots
    return {
      peer: this.self,
      self: true,
      slotsTotal: slots,
      slotsFree: this.freeSlots(),
      queueLength: this.queued(),
      speed: this.init.speed,
      warm: false
    }
  }

  private peerCandidates (binary: Uint8Array): Candidate[] {
    return this.components.peers()
      .filter(({ peerId, advert }) => advert.slotsTotal > 0 && peerId.toString() !== this.self && !this.reputation.isExcluded(peerId.toString()))
      .map(({ peerId, advert }) => ({
        peer: peerId.toString(),
        peerId,
        self: false,
        slotsTotal: advert.slotsTotal,
        slotsFree: advert.slotsFree,
        queueLength: advert.queueLength,
        speed: advert.speed > 0 && Number.isFinite(advert.speed) ? advert.speed : 1,
        warm: advert.warmCids.some((w) => equalBytes(w, binary)),
        ...(advert.batteryPercent != null ? { batteryPercent: advert.batteryPercent } : {})
      }))
  }

  /** Admitted invocations and the reservations that count against this node's room (strangers' are overbooked). */
  private load (): number {
    return this.bidder.load()
  }

  private hasRoom (home = false): boolean {
    return this.load() < this.components.executor.stats().slots * (1 + this.init.queuePerSlot) + (home ? HOME_BACKLOG : 0)
  }

  private remaining (options: PlaceOptions): number | undefined {
    return options.deadlineAt == null ? undefined : options.deadlineAt - performance.now()
  }

  private deadlineOr (err: any, options: PlaceOptions): Error {
    if (options.signal?.aborted === true && options.signal.reason instanceof Error) return options.signal.reason
    return err instanceof Error ? err : new Error(String(err))
  }

  private bidCount (record: PlacementRecord): { received: number, asked: number } {
    return { received: record.bids.filter((b) => b.outcome === 'bid').length, asked: record.asked }
  }

  private remember (record: PlacementRecord): void {
    this.records.set(record.id, record)
    if (this.records.size > RECENT) this.records.delete(this.records.keys().next().value as string)
  }
}

/** The state call a run here makes of a placement's state spec. */
function stateCall (spec: StateSpec | undefined, invocationId: string): StateCall | undefined {
  return spec == null ? undefined : { model: spec.model, key: spec.key, invocationId, clientState: spec.clientState }
}

/** Failures of a remote attempt that prove the request did not reach the peer's handler. */
function notRun (err: any): boolean {
  switch (err?.name) {
    case 'RpcUnreachableError': return true
    // refused on arrival, its handler never called
    case 'RpcBusyError': return true
    // refused here before sending (above the protocol's cap)
    case 'InvalidParametersError': return true
    case 'RpcTimeoutError': return err.sent === false
    default: return false
  }
}

function unclaimed (reservation: Uint8Array): Uint8Array | undefined {
  return reservation.byteLength > 0 ? reservation : undefined
}

/**
 * Why a remote attempt failed, by the error's name only. Every failure of the transport proves
 * the invocation will not be answered there: not sent (unreachable), refused unrun (busy), or
 * sent and then cancelled (no answer in time) or lost with a channel that a retry under the
 * same id could not reopen. What is the peer's fault costs it reputation; a local failure never does.
 */
function passOnFailure (err: any): PassOn {
  switch (err?.name) {
    case 'RpcUnreachableError': return new PassOn('unreachable', 'unreachable')
    case 'RpcChannelClosedError': return new PassOn('unreachable', 'unreachable')
    case 'RpcBusyError': return new PassOn('busy')
    // not sent: this node's own write queue to it stalled
    // not sent: the channel did not open, or the peer did not read, in time
    case 'RpcTimeoutError': return err.sent === false ? new PassOn('not sent in time', 'slow') : new PassOn('no answer in time', 'dishonoured')
    case 'RpcRemoteError': return new PassOn('remote failure', 'garbage')
    case 'RpcProtocolError': return new PassOn('garbled answer', 'garbage')
    default: return new PassOn(`failed here (${String(err?.name ?? 'Error')})`)
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i])
}
