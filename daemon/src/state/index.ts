/**
 * @packageDocumentation
 *
 * Stateful functions (DESIGN.md section 10, docs/state.md): one guest API, four models behind
 * one interface, every invocation a transaction on its state key.
 *
 * - `in-client`: the client carries the state (`client-state.ts`); no node keeps anything.
 * - `in-function`: the key's home node keeps it on disk (`in-function.ts`); invocations are
 *   placed on the home, found in a directory the mesh keeps like in-edge state.
 * - `in-edge`: replicated on the peers closest to the key's hash, ordered by a primary
 *   (`in-edge.ts`, `/faasmesh/state/1.0.0`).
 * - `external`: a Redis server (`external.ts`).
 *
 * The transaction loop (`transactions.ts`) is the same for all: snapshot, run, version-checked
 * commit, bounded re-runs, an invocation id applied at most once per key.
 */
import { StateLayer as StateLayerClass } from './layer.js'
import type { StateModel, StateView } from './backend.js'
import type { Transactions } from './transactions.js'
import type { StateService } from '../../../protocols/src/state/index.js'
import type { AbortOptions, ComponentLogger, PeerId, Startable } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export { STATE_MODELS, type StateModel, type StateBackend, type StateSnapshot, type StateView, type WriteSet, type Commit, type CommitResult } from './backend.js'
export { Transactions, type StateCall, type StateOutcome, type GuestState, type TransactionResult } from './transactions.js'
export { checkStateKey } from './record.js'
export { clientStateFromHeader, clientStateToHeader, decodeClientState, encodeClientState } from './client-state.js'
export * from './constants.js'

/** Where each in-function state key lives: its home node (a peer id), chosen once by the first call's auction. */
export interface HomeDirectory {
  /** The key's home, or undefined when the key has none yet. Throws StateUnavailableError when the directory cannot be reached. */
  lookup(stateKey: string, options?: AbortOptions): Promise<string | undefined>
  /** Makes `peerId` the key's home unless it has one; returns the home that won (the first claim, for everybody). */
  claim(stateKey: string, peerId: string, options?: AbortOptions): Promise<string>
  /** Forgets the key's home (a home that was chosen and never reached); true when it had one. */
  release?(stateKey: string, options?: AbortOptions): Promise<boolean>
}

export interface StateLayerInit {
  /** Model of a call that names none (`state.defaultModel`). */
  defaultModel: StateModel
  /** What a state may hold, keys and values (`state.maxBytes`). */
  maxBytes: number
  /** Peers that keep an in-edge state or a home record (`state.replicas`). */
  replicas: number
  /** The external model's Redis (`state.externalUrl`); empty or absent: no external model. */
  externalUrl?: string
  /** Re-runs after a moved version before StateConflictError (`state.maxConflictRetries`). */
  maxConflictRetries: number
  /** Where in-function states, in-edge replicas and home records are kept; memory only when absent. */
  dataDir?: string
  /** How long a transaction may hold its key at an in-edge primary: the executor's timeout and some. @default 6000 */
  leaseMs?: number
  /** After start, how long the node waits for its view of the mesh before it acts as a key's only replica. @default 0 */
  aloneAfterMs?: number
  /** Flush every commit kept on this node's disk before answering (`state.fsync`). @default false */
  fsync?: boolean
}

export interface StateLayerComponents {
  peerId: PeerId
  /** The `/faasmesh/state/1.0.0` service. */
  state: StateService
  /** The faasmesh peers this node knows (the capacity view), as peer id strings. */
  peers(): string[]
  logger: ComponentLogger
  registry?: Registry
}

/** The state models of one node, behind the gateway's routes and placement. */
export interface StateLayer extends Startable {
  readonly defaultModel: StateModel
  /** Runs stateful invocations placed on this node. */
  readonly transactions: Transactions
  /** Where in-function keys live. */
  readonly homes: HomeDirectory
  /** True when this node can run calls of `model` (external needs `state.externalUrl`). */
  offers(model: StateModel): boolean
  /** `GET /v1/state/:key`: in-function asks the home, in-edge the primary, external the database. */
  view(model: StateModel, stateKey: string, options?: AbortOptions): Promise<StateView | undefined>
  /** `DELETE /v1/state/:key`. */
  remove(model: StateModel, stateKey: string, options?: AbortOptions): Promise<boolean>
}

export function stateLayer (init: StateLayerInit): (components: StateLayerComponents) => StateLayer {
  return (components) => new StateLayerClass(components, init)
}
