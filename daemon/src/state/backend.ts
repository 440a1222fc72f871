/**
 * The contract every state model implements (DESIGN.md section 10): a snapshot to run against,
 * and a commit that applies a write set only if the version has not moved, at most once per
 * invocation id. The transaction loop (`transactions.ts`) is the same for every model.
 */
import type { AbortOptions } from '@libp2p/interface'

export const STATE_MODELS = ['in-client', 'in-function', 'in-edge', 'external'] as const
export type StateModel = typeof STATE_MODELS[number]

/** The changes of one invocation: a value per key written, `null` per key deleted. */
export type WriteSet = Map<string, Uint8Array | null>

/** A key's state as one transaction sees it. */
export interface StateSnapshot {
  /** 0 when the key was never written; every commit adds one. */
  version: number
  entries: Map<string, Uint8Array>
  /**
   * Set when the invocation id asked about was applied to this key already: its output, or
   * `null` when it was too large to keep. The transaction answers with it and runs nothing.
   */
  applied?: { output: Uint8Array | null }
  /** Bytes that crossed the network (or the database link) to read it. */
  bytes: number
}

export interface Commit {
  invocationId: string
  /** The snapshot's version: the commit applies only if the key is still there. */
  expectedVersion: number
  writes: WriteSet
  /** The invocation's output, kept with its id (when small) for a repeat of the id. */
  output: Uint8Array
  /** The output was too large to keep and was left out on its way here (`output` is empty). */
  outputDropped?: boolean
}

export type CommitResult =
  | { status: 'committed', version: number, bytes: number }
  /** The version moved on: run again on a fresh snapshot. */
  | { status: 'conflict', bytes: number }
  /** The id was applied already (a retry through another entry node): answer with its output. */
  | { status: 'applied', output: Uint8Array | null, bytes: number }

/** What `GET /v1/state/:stateKey` shows. */
export interface StateView {
  version: number
  entries: Map<string, Uint8Array>
  /** in-function: the home node; in-edge: the primary. */
  home?: string
}

export interface ReadOptions extends AbortOptions {
  /** Asks whether this id was applied already (see `StateSnapshot.applied`). */
  invocationId?: string
  /**
   * A transaction's read: a model that serialises transactions at one place (in-edge, at the
   * primary) holds the key for this id until its commit or `release`, this long at most.
   */
  leaseMs?: number
}

/** One state model. Failures are the named errors of errors.ts (`StateUnavailableError` when the state cannot be reached). */
export interface StateBackend {
  readonly model: StateModel
  read(stateKey: string, options?: ReadOptions): Promise<StateSnapshot>
  commit(stateKey: string, commit: Commit, options?: AbortOptions): Promise<CommitResult>
  /** The key's state, or undefined when it has none. */
  view(stateKey: string, options?: AbortOptions): Promise<StateView | undefined>
  /** Removes the key's state; false when it had none. */
  remove(stateKey: string, options?: AbortOptions): Promise<boolean>
  /** Ends a transaction that read with a lease and will not commit (it failed, or wrote nothing). */
  release?(stateKey: string, invocationId: string, options?: AbortOptions): Promise<void>
}
