import { Auctioneer } from '../../../daemon/src/placement/auctioneer.js'
import { admits, Bidder, SELF } from '../../../daemon/src/placement/bidder.js'
import { PLACEMENT_DEFAULTS } from '../../../daemon/src/placement/defaults.js'
import { RunTimeEstimates } from '../../../daemon/src/placement/estimates.js'
import { PeerLedger } from '../../../daemon/src/placement/peer-ledger.js'
import { planners, powerOfD, type Planner } from '../../../daemon/src/placement/policies.js'
import { pricing } from '../../../daemon/src/placement/pricing.js'
import { Reputation } from '../../../daemon/src/placement/reputation.js'
import { Reservations } from '../../../daemon/src/placement/reservations.js'
import { Bid } from '../../../protocols/src/auction/index.js'
import type { SimPolicy } from './spec.js'
import type { Candidate } from '../../../daemon/src/placement/candidates.js'
import type { Clock, ClockTimer } from '../../../daemon/src/utils/clock.js'
import type { Auction } from '../../../protocols/src/auction/index.js'
import type { PeerId } from '@libp2p/interface'

/** One invocation's run on a node: queued, then holding a slot for `serviceMs`. */
export interface Job {
  /** Run time on the reference machine: this node's slowdown multiplies it. */
  workMs: number
  /** Called when it finished here. */
  done(): void
  /** Called when it was admitted: queued or started. */
  admitted?(queued: boolean): void
  /** Called instead of `done` when the node died holding it (queued or running). */
  lost?(): void
}

export interface SimNodeInit {
  name: string
  index: number
  group: string
  slots: number
  slowdown: number
  tags: Record<string, string>
  queuePerSlot: number
  reservationTtlMs: number
  /** Seeds the run-time estimate (the mean on this node) when nodes do not learn run times. */
  knownRunMs?: number
  cid: string
}

export interface SimNodeComponents {
  clock: Clock
  /** The simulated `/faasmesh/auction` transport, as seen from this node. */
  auction: Pick<Auction, 'requestBid'>
  /** The placement stream: every node draws from it, in event order. */
  random(): number
  /** A slot was taken (-1) or freed (+1) somewhere: the mesh's count of idle slots. */
  onSlots(delta: number): void
}

const silent = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {}, newScope: () => silent }) as any

/**
 * A simulated daemon: the daemon's own placement modules (Bidder, Reservations, PeerLedger,
 * Reputation, Auctioneer, the planners, pricing, run-time estimates), wired as
 * daemon/src/placement/placement.ts wires them but on the virtual clock, in front of a modelled
 * executor: `slots` slots and a FIFO queue, run times drawn by the simulator.
 */
export class SimNode {
  readonly name: string
  readonly index: number
  readonly group: string
  readonly slots: number
  readonly speed: number
  /** A stand-in peer id: the auctioneer only needs its string. */
  readonly peerId: PeerId
  readonly estimates = new RunTimeEstimates()
  readonly reputation: Reputation
  readonly ledger: PeerLedger
  readonly reservations: Reservations
  readonly bidder: Bidder
  readonly auctioneer: Auctioneer
  up = true
  /** Kills so far: an invocation that entered here before a kill has lost its client. */
  incarnation = 0
  /** Invocations admitted and not finished (running and queued): the bidder's `running()`. */
  admitted = 0
  private busy = 0
  private readonly queue: Job[] = []
  private head = 0
  /** What holds a slot now, with its finishing timer, so that a kill can end it. */
  private readonly running = new Map<Job, ClockTimer>()
  /** When each slot will be free of everything admitted so far (FIFO): what the oracle policy reads. */
  private readonly slotFree: Float64Array
  private readonly planners: Record<string, Planner>
  private readonly admit: number

  constructor (private readonly init: SimNodeInit, private readonly components: SimNodeComponents) {
    const { clock } = components
    this.name = init.name
    this.index = init.index
    this.group = init.group
    this.slots = init.slots
    this.speed = 1 / init.slowdown
    this.peerId = { toString: () => init.name } as unknown as PeerId
    this.admit = admits(init.slots, init.queuePerSlot)
    this.slotFree = new Float64Array(init.slots)
    if (init.knownRunMs != null) this.estimates.record(init.cid, init.knownRunMs)
    const now = (): number => clock.now()
    this.reputation = new Reputation({ now })
    this.ledger = new PeerLedger({ now }, (peer) => { this.reputation.penalise(peer, 'hoarding') })
    this.reservations = new Reservations(init.reservationTtlMs, (owner, how) => { if (owner !== SELF) this.ledger.settle(owner, how) }, clock)
    this.bidder = new Bidder({
      running: () => this.admitted,
      slots: () => init.slots,
      // every node holds the code compiled: the simulator models no fetch or compile
      codeState: () => Bid.Code.WARM,
      estimates: this.estimates,
      reservations: this.reservations,
      ledger: this.ledger,
      price: pricing({ basePrice: PLACEMENT_DEFAULTS.basePrice, factors: PLACEMENT_DEFAULTS.priceFactors, tags: init.tags }),
      stopping: () => !this.up
    }, { queuePerSlot: init.queuePerSlot, speed: this.speed })
    this.auctioneer = new Auctioneer({ auction: components.auction, bidder: this.bidder, reputation: this.reputation, log: silent, clock })
    this.planners = planners(this.auctioneer, components.random)
  }

  planner (policy: SimPolicy): Planner {
    const d = /^power-of-(\d+)$/.exec(policy)
    if (d != null) this.planners[policy] ??= powerOfD(this.auctioneer, Number(d[1]), this.components.random)
    return this.planners[policy]!
  }

  /** The bidder's load: admitted plus the reservations that count against the node's room. */
  load (): number {
    return this.bidder.load()
  }

  /** Room for one more invocation without a reservation (placement.ts `hasRoom`). */
  hasRoom (): boolean {
    return this.load() < this.admit
  }

  /** This node as a placement candidate, from its live state (placement.ts `selfCandidate` / an advert). */
  candidate (self: boolean, load = this.load()): Candidate {
    const slotsFree = this.up ? Math.max(0, this.slots - load) : 0
    const queueLength = Math.max(0, load - this.slots)
    // one object shape for both (a hot path: a view is built per placement)
    return { peer: this.name, peerId: self ? undefined : this.peerId, self, slotsTotal: this.slots, slotsFree, queueLength, speed: this.speed, warm: !self }
  }

  /**
   * When a job of `workMs` admitted now would finish here, knowing every admitted job's run
   * time (the `oracle` policy's omniscience; no daemon knows this). Infinity: no room, or down.
   */
  finishAt (workMs: number): number {
    if (!this.up || !this.hasRoom()) return Infinity
    return Math.max(this.components.clock.now(), this.slotFree[this.earliestSlot()]!) + workMs * this.init.slowdown
  }

  /** Admits a job: it starts at once on a free slot, else waits its turn. */
  run (job: Job): void {
    const slot = this.earliestSlot()
    this.slotFree[slot] = Math.max(this.components.clock.now(), this.slotFree[slot]!) + job.workMs * this.init.slowdown
    this.admitted++
    const queued = this.busy >= this.slots
    job.admitted?.(queued)
    if (queued) this.queue.push(job)
    else this.start(job)
  }

  /**
   * The node goes down (SIGKILL): every invocation it holds, running or queued, is lost, and
   * its owner learns so at once (the connection closes); its reservations go with it.
   */
  kill (): void {
    if (!this.up) return
    this.up = false
    this.incarnation++
    const lost = [...this.running.keys(), ...this.queue.slice(this.head)]
    for (const timer of this.running.values()) this.components.clock.clearTimeout(timer)
    // a dead node's slots are not idle ones (papers.md B6 counts waits beside an idle slot)
    this.components.onSlots(this.busy - this.slots)
    this.busy = 0
    this.running.clear()
    this.queue.length = 0
    this.head = 0
    this.admitted = 0
    this.slotFree.fill(0)
    this.reservations.clear()
    for (const job of lost) job.lost?.()
  }

  /** Back up, empty: it bids and runs again. */
  restart (): void {
    if (this.up) return
    this.up = true
    this.components.onSlots(this.slots)
  }

  /**
   * Ends one job that is here, unfinished (its caller hung up: a partition closed the stream,
   * and the daemon aborts a run whose stream is gone); its slot goes to the next in the queue.
   */
  drop (job: Job): void {
    const timer = this.running.get(job)
    if (timer != null) {
      this.components.clock.clearTimeout(timer)
      this.running.delete(job)
      this.busy--
      this.admitted--
      this.components.onSlots(1)
      this.next()
      return
    }
    const at = this.queue.indexOf(job, this.head)
    if (at < 0) return
    this.queue.splice(at, 1)
    this.admitted--
  }

  private start (job: Job): void {
    this.busy++
    this.components.onSlots(-1)
    const started = this.components.clock.now()
    this.running.set(job, this.components.clock.setTimeout(() => {
      this.running.delete(job)
      this.busy--
      this.admitted--
      this.components.onSlots(1)
      if (this.init.knownRunMs == null) this.estimates.record(this.init.cid, this.components.clock.now() - started)
      this.next()
      job.done()
    }, job.workMs * this.init.slowdown))
  }

  private earliestSlot (): number {
    let index = 0
    for (let i = 1; i < this.slotFree.length; i++) if (this.slotFree[i]! < this.slotFree[index]!) index = i
    return index
  }

  private next (): void {
    if (this.head >= this.queue.length) return
    const next = this.queue[this.head++]!
    // compact now and then: the queue is an array with a moving head
    if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0 }
    this.start(next)
  }
}
