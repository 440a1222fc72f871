/**
 * @packageDocumentation
 *
 * Where each invocation runs (docs/placement.md). The node that receives an invocation is its
 * auctioneer: it samples `k` candidates from its capacity view, biased to free capacity, itself
 * included; asks them for sealed bids in parallel over `/faasmesh/auction/1.0.0`; ranks the bids
 * by estimated completion plus weighted price (over reputation); and invokes the winner over
 * `/faasmesh/invoke/1.0.0`, then the runner-up, then itself, then fails with `NoCapacityError`,
 * all within the caller's deadline. It is also every other auction's bidder, and runs what its
 * peers place on it; what a peer may hold of its slots depends on how that peer treats the
 * reservations it is granted (docs/placement.md, "Hoarding"). The other policies (local, random, round-robin, least-loaded,
 * power-of-two) share the same attempt path.
 *
 * @example
 * ```ts
 * const p = placement({ ...config.placement, tags, speed })({ peerId, executor, store, resolver, auction, invoke, peers, logger })
 * await p.start()
 * const placed = await p.place(cid, input, { policy: 'auction', deadlineAt: performance.now() + 1000 })
 * ```
 */
import { Placement as PlacementClass } from './placement.js'
import type { BidRecord } from './candidates.js'
import type { PolicyName } from './policy-names.js'
import type { Auction } from '../../../protocols/src/auction/index.js'
import type { PeerEntry } from '../../../protocols/src/adverts/index.js'
import type { Invoke } from '../../../protocols/src/invoke/index.js'
import type { PriceFactor } from '../config/index.js'
import type { ChainDataStore, StepInput } from '../chains/data.js'
import type { Executor } from '../executor/index.js'
import type { InvocationsInit } from '../invocations/index.js'
import type { ReceiptDesk } from '../ledger/index.js'
import type { PowerState } from '../power/index.js'
import type { Resolver } from '../resolver/index.js'
import type { HomeDirectory, StateModel, StateOutcome, Transactions } from '../state/index.js'
import type { FunctionStore } from '../store/index.js'
import type { PerPeerInvocations } from './invoke-handler.js'
import type { Timings } from './timings.js'
import type { Tracing } from '../telemetry/index.js'
import type { Context } from '@opentelemetry/api'
import type { AbortOptions, ComponentLogger, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export { POLICIES, type PolicyName } from './policy-names.js'
export { stateTarget } from './invoke-handler.js'
export { PLACEMENT_DEFAULTS } from './defaults.js'
export { placementIdOf } from './failed-placements.js'
export type { BidRecord } from './candidates.js'
export type { StepInput } from '../chains/data.js'
export { PHASES, type Timings } from './timings.js'

export interface PlacementInit {
  /** Used when a request names none. @default 'auction' */
  policy?: PolicyName
  /** k: candidates asked per auction, this node included. @default 3 */
  candidates?: number
  /** @default 100 */
  bidWindowMs?: number
  /** @default 500 */
  reservationTtlMs?: number
  /** @default 2 */
  queuePerSlot?: number
  /** @default 1 */
  basePrice?: number
  /** Ms of estimated completion one unit of price is worth. @default 2 */
  priceWeight?: number
  priceFactors?: PriceFactor[]
  /** This node's labels (for the price rules). */
  tags?: Record<string, string>
  /** This node's relative speed, a testbed's slowdown applied. @default 1 */
  speed?: number
  /** Longest wait for a remote invocation when the caller set no deadline. @default 15000 */
  attemptTimeoutMs?: number
  /** The bounds of the table of invocation ids this node runs for its peers. */
  invocations?: InvocationsInit
  /** On battery below this charge, other peers' calls for bids are declined BATTERY. @default 20 */
  declineBelowPercent?: number
  /**
   * Skip the auction when this node's own bid cannot lose: a free slot, the function compiled,
   * and a score no worse than the best every peer in the view has bid lately (docs/placement.md,
   * "The local fast path"). @default true
   */
  localFastPath?: boolean
}

export interface PlacementComponents {
  peerId: PeerId
  executor: Pick<Executor, 'invoke' | 'isWarm' | 'stats'>
  store: Pick<FunctionStore, 'has'>
  resolver: Pick<Resolver, 'resolve'>
  auction: Auction
  invoke: Invoke
  /** The capacity view (gossiped adverts). */
  peers(): PeerEntry[]
  /** Runs stateful invocations placed here as transactions; without it they fail StateUnavailableError. */
  transactions?: Pick<Transactions, 'run'>
  /** Where in-function state lives: its calls go to the key's home. */
  homes?: HomeDirectory
  /** Chain steps' inputs and kept outputs on this node. */
  chainData?: Pick<ChainDataStore, 'gather' | 'keep'>
  /** Ms to bring a chain step's input here from its holder (peer id bytes): bids add it. */
  transferMs?(holder: Uint8Array, bytes: number): number
  /** Signs receipts for what runs here for peers, and checks those of remote runs (daemon/src/ledger); without it, none. */
  receipts?: Pick<ReceiptDesk, 'sign' | 'check'>
  /** `placement.preferContributors`: true for a peer that has run work for this node (tit for tat, docs/config.md); without it, nobody is. */
  contributes?(peer: string): boolean
  /** The node's power state (energy-aware bidding); without it, mains. */
  power?(): PowerState
  /** Per remote peer cap on invocations here (daemon/src/fairness); without it, none. */
  perPeer?: PerPeerInvocations
  /** Spans for placements, remote invokes and runs placed here by peers (daemon/src/telemetry); without it, none. */
  tracing?: Tracing
  logger: ComponentLogger
  registry?: Registry
  /**
   * Publisher trust (daemon/src/trust): peers' calls for bids are declined UNTRUSTED and their
   * invocations answered UNTRUSTED, before anything is reserved or fetched, for code this node
   * cannot vouch for; the records that name a CID go along with it. Without it, all code is trusted.
   */
  trust?: {
    allows(cid: string, stage: 'bid' | 'invoke', nameRecord: Uint8Array): Promise<boolean>
    recordFor(cid: string): Uint8Array
  }
}

export interface PlaceOptions extends AbortOptions {
  policy: PolicyName
  /** `performance.now()` by which the answer must be back. */
  deadlineAt?: number
  /** The invocation's id, sent with it to the node that runs it; a fresh one when absent. */
  invocationId?: string
  /** A stateful invocation: its state key and model (in-client: with the client's state). */
  state?: StateSpec
  /**
   * A chain step whose input is where its predecessors ran: the node that runs it gathers it
   * from there (and `input` is empty); bids count the transfer. DESIGN.md section 11.
   */
  inputs?: StepInput[]
  /** A chain step whose output the next steps fetch: kept where it ran, under the invocation id; `Placed.output` is then empty. */
  keepOutput?: boolean
  /** The name the caller invoked it by (`name` or `publisher/name`), for the record; unset for a call by CID. */
  name?: string
  /** Phases measured before placement (the invoker's name lookup), kept with the record's. */
  timings?: Timings
  /** `performance.now()` when the invocation began on this node (before those phases): the record's `totalMs` counts from it. */
  startedAt?: number
  /** The trace context of the caller's span (tracing on): placement's spans are its children. */
  trace?: Context
}

/** The state an invocation runs on (DESIGN.md section 10). */
export interface StateSpec {
  model: StateModel
  key: string
  /** in-client: the envelope the client sent (empty: a new state). */
  clientState?: Uint8Array
}

/** One attempt to run the invocation somewhere. */
export interface AttemptRecord {
  peer: string
  self: boolean
  /** `ok`, or why it passed the invocation on (an error name, `skipped: deadline`). */
  outcome: string
  ms: number
}

/** What placement decided and what came of it: the dashboard's and the testbed's event. */
export interface PlacementRecord {
  id: string
  /** Function CID. */
  cid: string
  policy: PolicyName
  /** Wall-clock start, ms since the epoch. */
  at: number
  asked: number
  bids: BidRecord[]
  windowMs?: number
  secondPrice?: number
  /** True when no peer was asked: this node's bid could not lose against its peers' recent best (the local fast path). */
  fastPath?: boolean
  attempts: AttemptRecord[]
  /** Peer id of the node that answered. */
  executor?: string
  placementMs?: number
  totalMs?: number
  /** `ok`, or the name of the error the caller got. */
  outcome?: string
  /** The name it was invoked by (`name` or `publisher/name`); absent for a call by CID. */
  name?: string
  /** The error the caller got, when the outcome is not ok. */
  error?: { name: string, message: string }
  /** What the function logged, wherever it ran (at most MAX_LOG_LINES lines, the last one saying how many were dropped). */
  logs?: string[]
  /** Where the time went, ms per phase (`PHASES`: lookup, placement, providers, transfer, sanitize, compile, queue, run; absent: did not happen). */
  timings?: Timings
  /** The OpenTelemetry trace the invocation's spans belong to (tracing on). */
  traceId?: string
  /** A stateful invocation: its model and key (in-function: the key's home ran it). */
  state?: { model: StateModel, key: string, home?: string, newHome?: boolean }
  /** A chain (DESIGN.md section 11): its steps as they ran; `cid` is then the chain's CID. */
  chain?: ChainRecord
}

/** A chain's run, as the entry node saw it (`GET /v1/placements/:id`). */
export interface ChainRecord {
  /** The name it was invoked by, when it was one. */
  name?: string
  /** true: each step's input moves from the node that produced it, and bids count where it is; false: every step's data through the entry node. */
  locality: boolean
  steps: ChainStepRecord[]
  /** Bytes this chain moved over the network, by protocol (auction and code traffic: node-level metrics only). */
  traffic: { invoke: number, chainData: number, state: number }
}

/** One step of a chain, as it ran. */
export interface ChainStepRecord {
  id: string
  /** The step's function reference, as in the spec. */
  fn: string
  /** The function's CID, once resolved. */
  cid?: string
  /** The step's own invocation id (derived from the chain's: a retried chain runs no step twice). */
  invocationId: string
  /** The step's own placement record on the entry node. */
  placementId?: string
  executor?: string
  /** When the step started and ended, in ms from the chain's start. */
  startMs?: number
  endMs?: number
  placementMs?: number
  /** Time in the executor that ran it. */
  runMs?: number
  /** Bytes of input that crossed the network to the step's executor (0: it was there already). */
  bytesIn: number
  /** Bytes of output that crossed the network back to the entry node (the chain's result, or data through the entry). */
  bytesOut: number
  /** The nodes the step's input came from (the entry node for the chain's input). */
  inputFrom: string[]
  cold?: boolean
  /** `ok`, the step's error name, or `pending` / `not run` (a predecessor failed). */
  outcome: string
}

export interface Placed {
  id: string
  output: Uint8Array
  executor: string
  /** Time in the executor that ran it. */
  durationMs: number
  /** From the start of placement to the start of the attempt that answered. */
  placementMs: number
  cold: boolean
  fetched: boolean
  fuelUsed: number
  /** Bids received, and candidates asked (0 for policies that ask none). */
  bids: { received: number, asked: number }
  /** A stateful invocation: its state's version after the call, bytes moved, the new in-client state. */
  state?: Pick<StateOutcome, 'model' | 'version' | 'bytes' | 'clientState'>
  /** `keepOutput`: the size of the output kept at the executor. */
  outputBytes?: number
  /** A chain step: bytes of its input the executor fetched from other nodes. */
  inputBytesMoved?: number
  /** What the function logged (bounded). */
  logs?: string[]
  /** Where the time went: `place` answers the record's phases, an attempt the executing node's. */
  timings?: Timings
}

export interface PlacementEvents {
  /** An invocation was admitted or answered here (slots taken or freed). */
  capacity: CustomEvent<{ free: number, queued: number }>
  /** Bids are in and the order of attempts is decided. */
  'placement:planned': CustomEvent<PlacementRecord>
  /** An attempt finished (answered or passed the invocation on). */
  'placement:attempt': CustomEvent<{ id: string, attempt: AttemptRecord }>
  /** The caller has its answer or its error. */
  'placement:done': CustomEvent<PlacementRecord>
}

export interface Placement extends TypedEventTarget<PlacementEvents> {
  readonly defaultPolicy: PolicyName
  start(): Promise<void>
  /**
   * Takes nothing new (bids declined STOPPING, invokes answered STOPPING, no free slot
   * advertised) and waits up to `timeoutMs` for what runs here to finish; what still runs then
   * is stopped with NodeStoppingError, which its callers retry elsewhere.
   */
  drain(options: { timeoutMs: number }): Promise<void>
  stop(): Promise<void>
  /** Runs `cid` where the policy says; throws the named error of the attempt that settled it. */
  place(cid: string, input: Uint8Array, options: PlaceOptions): Promise<Placed>
  /** Slots neither running, queued, nor promised to a bid. */
  freeSlots(): number
  /** Invocations admitted and promised beyond the slots. */
  queued(): number
  /** Latest placements, newest first. */
  recent(limit?: number): PlacementRecord[]
  /** Keeps a record placed by others (a chain's, whose steps each have their own) with this node's placements, and announces it planned. */
  track(record: PlacementRecord): void
  /** Announces a tracked record done. */
  settle(record: PlacementRecord): void
  get(id: string): PlacementRecord | undefined
  /** A peer asked more of this node than its share (daemon/src/fairness): its reputation drops. */
  penalise(peer: string, offence: 'flooding'): void
  /** Peers whose reputation is below full. */
  reputations(): Array<{ peer: string, score: number, offences: number, last: string, excluded: boolean }>
}

export function placement (init: PlacementInit = {}): (components: PlacementComponents) => Placement {
  return (components) => new PlacementClass(components, init)
}
