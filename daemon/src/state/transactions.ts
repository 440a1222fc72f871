/**
 * Every stateful invocation is a transaction (DESIGN.md section 10), the same loop for every
 * model: read a snapshot, run the function against it, commit its write set if the version has
 * not moved. A moved version re-runs the function on a fresh snapshot (functions are
 * deterministic and have no effect but their state, so a re-run is safe), a bounded number of
 * times, then StateConflictError. An invocation id the key applied already is answered with the
 * output it had, never run again. Only a normal return has a write set: a trap, timeout,
 * out-of-fuel or cancellation commits nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { StateConflictError, UnsupportedStateModelError } from '../errors.js'
import { decodeClientState, encodeClientState, MAX_CLIENT_STATE_ENTRY_BYTES } from './client-state.js'
import { MAX_KEPT_OUTPUT_BYTES } from './constants.js'
import { KeyLock } from './key-lock.js'
import { applyWrites } from './record.js'
import type { StateBackend, StateModel, WriteSet } from './backend.js'
import type { StateMetrics } from './metrics.js'
import type { AbortOptions } from '@libp2p/interface'

/** A stateful invocation as the executing node gets it. */
export interface StateCall {
  model: StateModel
  key: string
  invocationId: string
  /** in-client: the envelope the client sent (empty for a new state). */
  clientState?: Uint8Array
}

/** What the executor is handed: the snapshot's entries and the cap on what they may become. */
export interface GuestState {
  entries: Map<string, Uint8Array>
  maxBytes: number
}

/** What a transaction's run must give back: its output and, on a normal return, its writes. */
export interface RunWithWrites {
  output: Uint8Array
  writes?: WriteSet
}

export interface StateOutcome {
  model: StateModel
  /** The state's version after the call. */
  version: number
  /** Bytes of state moved over the network (or to the database) for this call, re-runs included. */
  bytes: number
  /** in-client: the new envelope, for the client to keep. */
  clientState?: Uint8Array
  /** True when the id was applied already: the output is the first run's, nothing ran now. */
  replayed: boolean
  /** Re-runs after a moved version. */
  conflicts: number
}

export interface TransactionResult<T> {
  /** The run that committed (absent when replayed). */
  run?: T
  output: Uint8Array
  state: StateOutcome
}

export interface TransactionsInit {
  /** What a state may hold, keys and values. */
  maxBytes: number
  /** Re-runs after a moved version before StateConflictError. */
  maxConflictRetries: number
  /**
   * How long a transaction may hold its key at a model that serialises (in-edge's primary):
   * the executor's timeout and some. @default 6000
   */
  leaseMs?: number
}

export interface TransactionsComponents {
  /** The shared models this node offers (in-client needs none). */
  backends: Partial<Record<StateModel, StateBackend>>
  metrics?: StateMetrics
}

/** A transaction's hold on its key at the primary, when nothing says otherwise: the executor's default timeout and a second. */
export const DEFAULT_LEASE_MS = 6000

export class Transactions {
  private readonly lock = new KeyLock()

  constructor (private readonly components: TransactionsComponents, private readonly init: TransactionsInit) {}

  /** True when this node can run calls of `model`. */
  offers (model: StateModel): boolean {
    return model === 'in-client' || this.components.backends[model] != null
  }

  async run<T extends RunWithWrites>(call: StateCall, execute: (state: GuestState, signal?: AbortSignal) => Promise<T>, options: AbortOptions = {}): Promise<TransactionResult<T>> {
    try {
      return call.model === 'in-client'
        ? await this.inClient(call, execute, options)
        : await this.lock.run(`${call.model}\0${call.key}`, async () => this.shared(call, execute, options), options.signal)
    } catch (err: any) {
      if (/^(State|InvalidState|UnsupportedState)/.test(String(err?.name))) this.components.metrics?.failures.inc({ model: call.model, error: err.name })
      throw err
    }
  }

  /** The client's state in, its new state out; nothing kept here, nothing to conflict with. */
  private async inClient<T extends RunWithWrites>(call: StateCall, execute: (state: GuestState, signal?: AbortSignal) => Promise<T>, options: AbortOptions): Promise<TransactionResult<T>> {
    const envelope = call.clientState ?? new Uint8Array(0)
    const state = decodeClientState(envelope)
    const maxBytes = Math.min(this.init.maxBytes, MAX_CLIENT_STATE_ENTRY_BYTES)
    const run = await execute({ entries: state.entries, maxBytes }, options.signal)
    if (run.writes == null || run.writes.size === 0) {
      this.components.metrics?.commits.inc({ model: call.model, outcome: 'read-only' })
      return { run, output: run.output, state: { model: call.model, version: state.version, bytes: envelope.byteLength, clientState: envelope, replayed: false, conflicts: 0 } }
    }
    const next = encodeClientState({ version: state.version + 1, entries: applyWrites(state.entries, run.writes, maxBytes) })
    this.components.metrics?.commits.inc({ model: call.model, outcome: 'committed' })
    return { run, output: run.output, state: { model: call.model, version: state.version + 1, bytes: envelope.byteLength + next.byteLength, clientState: next, replayed: false, conflicts: 0 } }
  }

  private async shared<T extends RunWithWrites>(call: StateCall, execute: (state: GuestState, signal?: AbortSignal) => Promise<T>, options: AbortOptions): Promise<TransactionResult<T>> {
    const backend = this.components.backends[call.model]
    if (backend == null) throw new UnsupportedStateModelError(`this node offers no ${call.model} state${call.model === 'external' ? ' (state.externalUrl is not set)' : ''}`)
    const metrics = this.components.metrics
    let bytes = 0
    for (let conflicts = 0; ; conflicts++) {
      const snapshot = await backend.read(call.key, { invocationId: call.invocationId, leaseMs: this.init.leaseMs ?? DEFAULT_LEASE_MS, signal: options.signal })
      bytes += snapshot.bytes
      metrics?.bytes.inc({ model: call.model, phase: 'read' }, snapshot.bytes)
      if (snapshot.applied != null) return this.replay(call, snapshot.applied.output, snapshot.version, bytes, conflicts)
      let run: T
      try {
        run = await execute({ entries: snapshot.entries, maxBytes: this.init.maxBytes }, options.signal)
        // the caps are checked before anything travels: a guest past them stores nothing anywhere
        if (run.writes != null) applyWrites(snapshot.entries, run.writes, this.init.maxBytes)
      } catch (err) {
        this.release(backend, call)
        throw err
      }
      if (run.writes == null || run.writes.size === 0) {
        this.release(backend, call)
        metrics?.commits.inc({ model: call.model, outcome: 'read-only' })
        return { run, output: run.output, state: { model: call.model, version: snapshot.version, bytes, replayed: false, conflicts } }
      }
      // a commit that was sent belongs to the node, not to the caller: cut short, its outcome
      // would be unknown (it may have been kept), so it runs to its answer within the model's
      // own time bounds, and a caller who left finds it applied when it retries with its id
      const result = await backend.commit(call.key, { invocationId: call.invocationId, expectedVersion: snapshot.version, writes: run.writes, output: run.output })
      bytes += result.bytes
      metrics?.bytes.inc({ model: call.model, phase: 'commit' }, result.bytes)
      if (result.status === 'committed') {
        metrics?.commits.inc({ model: call.model, outcome: 'committed' })
        return { run, output: run.output, state: { model: call.model, version: result.version, bytes, replayed: false, conflicts } }
      }
      if (result.status === 'applied') return this.replay(call, result.output, snapshot.version, bytes, conflicts)
      metrics?.conflicts.inc({ model: call.model })
      if (conflicts >= this.init.maxConflictRetries) {
        throw new StateConflictError(`state key "${call.key}" (${call.model}) changed under each of ${conflicts + 1} runs; try again`)
      }
      // another node's invocation on the key committed first: back off a little, at random,
      // so that the nodes racing for the key do not meet again at once
      await sleep(Math.random() * Math.min(50, 2 ** conflicts), undefined, { signal: options.signal })
    }
  }

  /** The key's next transaction may go: this one commits nothing (best effort: the lease lapses anyway). */
  private release (backend: StateBackend, call: StateCall): void {
    backend.release?.(call.key, call.invocationId).catch(() => {})
  }

  private replay<T>(call: StateCall, output: Uint8Array | null, version: number, bytes: number, conflicts: number): TransactionResult<T> {
    if (output == null) {
      // a conflict of the key's, not of the node's: another node would answer the same
      throw new StateConflictError(`invocation ${call.invocationId} was applied to state key "${call.key}" already; its output was larger than the ${MAX_KEPT_OUTPUT_BYTES} bytes a key keeps, so it cannot be answered again`)
    }
    this.components.metrics?.commits.inc({ model: call.model, outcome: 'replayed' })
    return { output, state: { model: call.model, version, bytes, replayed: true, conflicts } }
  }
}
