/**
 * The in-function model: a state key's state lives on its home node, on disk, next to the
 * function that uses it. Placement sends every call with the key to the home (the directory of
 * homes, `HomeDirectory`, is kept by the mesh like in-edge state), so a transaction here reads
 * and commits without a network hop. A home that is gone makes its keys fail with
 * StateUnavailableError (placement's doing): the state is there and nowhere else.
 */
import { StateUnavailableError } from '../errors.js'
import { applyCommit, entriesOf } from './record.js'
import type { Commit, CommitResult, ReadOptions, StateBackend, StateSnapshot, StateView } from './backend.js'
import type { HomeDirectory } from './index.js'
import type { LocalStateStore } from './local-store.js'
import type { AbortOptions } from '@libp2p/interface'

/** A home's in-function state asked of it over the state protocol (the HTTP routes on another node). */
export interface RemoteFunctionState {
  functionView(peer: string, stateKey: string, options?: AbortOptions): Promise<StateView | undefined>
  functionRemove(peer: string, stateKey: string, options?: AbortOptions): Promise<boolean>
}

export interface InFunctionComponents {
  /** This node's peer id. */
  self: string
  /** The states this node is the home of (persisted under `<dataDir>/state/in-function`). */
  store: LocalStateStore
  homes: HomeDirectory
  remote: RemoteFunctionState
}

export class InFunctionState implements StateBackend {
  readonly model = 'in-function'

  constructor (private readonly components: InFunctionComponents) {}

  /**
   * The home's own snapshot. A key this node holds nothing of is checked against the directory
   * first: placement claimed it for this node (a new key), or a caller sent it to the wrong node,
   * which must not start the key afresh here while its state is elsewhere.
   */
  async read (stateKey: string, options: ReadOptions = {}): Promise<StateSnapshot> {
    const { store, homes, self } = this.components
    const snapshot = await store.read(stateKey, options.invocationId)
    if (snapshot.version === 0) {
      const home = await homes.lookup(stateKey, options)
      if (home != null && home !== self) throw new StateUnavailableError(`state key "${stateKey}" lives on ${home}, not on this node`)
    }
    return snapshot
  }

  async commit (stateKey: string, commit: Commit): Promise<CommitResult> {
    return this.components.store.commit(stateKey, commit)
  }

  async view (stateKey: string, options: AbortOptions = {}): Promise<StateView | undefined> {
    const home = await this.components.homes.lookup(stateKey, options)
    if (home == null) return undefined
    if (home !== this.components.self) return this.components.remote.functionView(home, stateKey, options)
    return this.local(stateKey, home)
  }

  async remove (stateKey: string, options: AbortOptions = {}): Promise<boolean> {
    const home = await this.components.homes.lookup(stateKey, options)
    if (home == null) return false
    if (home !== this.components.self) return this.components.remote.functionRemove(home, stateKey, options)
    return this.empty(stateKey)
  }

  /**
   * Deletes every entry of a key this node is the home of, as a commit: its version and its
   * record of applied ids go on, so a repeat of an invocation that ran before the delete is
   * still answered, never applied again. False when it held nothing.
   */
  async empty (stateKey: string): Promise<boolean> {
    return this.components.store.update(stateKey, (current) => {
      if (current.entries.length === 0) return { result: false }
      const applied = applyCommit(current, {
        invocationId: '',
        expectedVersion: current.version,
        writes: new Map(current.entries.map((e) => [e.key, null])),
        output: new Uint8Array(0)
      }, this.components.store.maxBytes)
      return applied.status === 'committed' ? { record: applied.record, result: true } : { result: false }
    })
  }

  /** What this node holds of a key, as the home (what a peer's FUNCTION read gets). */
  async local (stateKey: string, home = this.components.self): Promise<StateView | undefined> {
    const record = await this.components.store.record(stateKey)
    // deleted (emptied) or never written: nothing to show, as in the other models
    if (record == null || record.version === 0 || record.entries.length === 0) return undefined
    return { version: record.version, entries: entriesOf(record), home }
  }
}
