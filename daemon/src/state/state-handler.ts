/**
 * The serving side of `/faasmesh/state/1.0.0`: what a node answers its peers (and itself) about
 * the in-edge state keys and in-function homes it keeps (DESIGN.md section 10).
 *
 * - READ, COMMIT and DELETE are answered by any node in the key's replica set (by its own view),
 *   acting as primary; any other answers NOT_PRIMARY. Before a node serves a key as primary for
 *   the first time since it started, or since the replica set it computes for the key changed,
 *   it repairs the key: FETCH from the other replicas, keep the highest version. That needs at
 *   least one of them to answer (with itself, a majority of three), so a new primary after a
 *   failover has every acknowledged write.
 * - A commit at the primary is serialised per key: applyCommit, then REPLICATE the new record to
 *   every other replica in parallel (each within `replicateTimeoutMs`). It is stored and
 *   acknowledged once at least one of them kept it (or there is no other); when none did, it is
 *   dropped (UNAVAILABLE). A replica that holds a newer or a different record at that version
 *   (another node acted as primary meanwhile) answers CONFLICT: the commit is dropped, answered
 *   CONFLICT, and the key is repaired before it is served again. An acknowledged write is thus
 *   on two nodes of three: losing one loses nothing.
 * - A write that was replicated but not acknowledged (the primary died, or gave up) may survive
 *   on a replica; its invocation id survives with it, so a retry of the invocation is answered
 *   APPLIED there, never applied twice.
 * - Hostile input: bad state keys, entry keys, invocation ids, versions or write sets are
 *   answered INVALID, states past the caps TOO_LARGE, with nothing stored. A REPLICATE is taken
 *   only from a peer in the key's replica set, by this node's view, and only for a key this node
 *   is a replica of; a FETCH is answered to anyone (any peer may READ anyway).
 *
 * Trust limits (issue 15 adds trust): any mesh peer may READ, COMMIT and DELETE any in-edge key
 * and claim any home, and a peer in a key's replica set may REPLICATE any record (any version)
 * of it to the others. Nothing here stops a hostile mesh member from overwriting state.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { stateAnswer, StateRequest, StateResponse, type StateHandler, type StateService } from '../../../protocols/src/state/index.js'
import { INVOCATION_ID_PATTERN } from '../invocations/index.js'
import { appliedOf, applyCommit, checkEntryKey, checkStateKey, emptyRecord, type StateRecord } from './record.js'
import { KeyLeases } from './leases.js'
import type { Commit, StateView, WriteSet } from './backend.js'
import type { LocalStateStore } from './local-store.js'
import type { ReplicaSets, ReplicaSpace } from './replicas.js'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'

/** How long a primary waits for replicas to keep a commit, or to answer a repair's FETCH. @default */
export const DEFAULT_REPLICATE_TIMEOUT_MS = 2000
/**
 * Keys a primary remembers as repaired for their current replica set. Past it the oldest are
 * forgotten: serving one of them again costs a repair, nothing more.
 */
export const MAX_REPAIRED_KEYS = 65_536
/** The entry of a home directory record that holds the home's peer id. */
export const HOME_ENTRY = 'home'

/** A home's in-function state, asked of the home node (FUNCTION space): set by the daemon. */
export interface FunctionSpace {
  view(stateKey: string, options?: AbortOptions): Promise<StateView | undefined>
  remove(stateKey: string, options?: AbortOptions): Promise<boolean>
}

export interface StateKeeperComponents {
  /** This node's peer id, as a string. */
  self: string
  state: Pick<StateService, 'request'>
  sets: ReplicaSets
  /**
   * False while this node may not act as a key's only replica: just started, its view of the
   * mesh may not have filled yet, and a set of one would serve its stale copy and take writes no
   * other node keeps. Always true when absent.
   */
  mayActAlone?(): boolean
  log: Logger
}

export interface StateKeeperInit {
  space: ReplicaSpace
  /** The records this node keeps of the space; its `maxBytes` caps commits. */
  store: LocalStateStore
  /** @default DEFAULT_REPLICATE_TIMEOUT_MS */
  replicateTimeoutMs?: number
  /** The longest lease granted to a transaction, whatever it asks for. @default MAX_LEASE_MS */
  maxLeaseMs?: number
}

type Replicated = 'ok' | 'conflict' | 'unavailable'

/** Primary and replica of one space's keys on this node (see the module notes). */
export class StateKeeper {
  readonly space: ReplicaSpace
  readonly store: LocalStateStore
  private readonly replicateTimeoutMs: number
  /** Key -> the replica set it was last repaired for. */
  private readonly repaired = new Map<string, string>()
  private readonly repairing = new Map<string, { set: string, done: Promise<boolean> }>()
  private readonly leases: KeyLeases

  constructor (private readonly components: StateKeeperComponents, init: StateKeeperInit) {
    this.space = init.space
    this.store = init.store
    this.replicateTimeoutMs = init.replicateTimeoutMs ?? DEFAULT_REPLICATE_TIMEOUT_MS
    this.leases = new KeyLeases(init.maxLeaseMs)
  }

  /** Answers a checked request (see `checkRequest`) from `from`. */
  async serve (request: StateRequest, from: string, signal: AbortSignal): Promise<StateResponse> {
    const key = request.key
    const set = this.components.sets.of(this.space, key)
    if (request.op === StateRequest.Op.FETCH) {
      // a whole record, applied ids and their outputs included: only for the key's replicas
      // (a new primary repairing it), as this node sees the set
      if (!set.includes(from)) return stateAnswer(StateResponse.Status.NOT_PRIMARY, `${from} is not a replica of ${this.space}:${key} by this node's view`)
      return { ...stateAnswer(StateResponse.Status.OK), record: (await this.store.record(key)) ?? emptyRecord() }
    }
    if (!set.includes(this.components.self)) return stateAnswer(StateResponse.Status.NOT_PRIMARY, `this node is not a replica of ${this.space}:${key}`)
    if (request.op === StateRequest.Op.REPLICATE) return this.keep(request, from, set)
    if (!(await this.repair(key, set, signal))) return stateAnswer(StateResponse.Status.UNAVAILABLE, `no other replica of ${this.space}:${key} answered: cannot tell its latest version`)
    switch (request.op) {
      case StateRequest.Op.READ: {
        // a transaction's read: it waits its turn for the key (leases.ts)
        const leased = request.invocationId !== '' && (request.leaseMs ?? 0) > 0
        if (leased) await this.leases.acquire(key, request.invocationId, request.leaseMs ?? 0, signal)
        const record = (await this.store.record(key)) ?? emptyRecord()
        // a snapshot: the applied ids stay with the primary
        const response: StateResponse = { ...stateAnswer(StateResponse.Status.OK), record: { version: record.version, entries: record.entries, applied: [] } }
        const applied = appliedOf(record, request.invocationId)
        if (applied == null) return response
        // nothing will be committed: the next transaction may go
        this.leases.release(key, request.invocationId)
        return { ...response, status: StateResponse.Status.APPLIED, output: (applied.output ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>, outputKept: applied.output != null }
      }
      case StateRequest.Op.COMMIT: {
        const commit: Commit = { invocationId: request.invocationId, expectedVersion: request.expectedVersion, writes: writeSetOf(request), output: request.output, outputDropped: request.outputDropped === true }
        try {
          return await this.store.update(key, async (current) => this.commit(key, set, current, commit, signal))
        } finally {
          this.leases.release(key, request.invocationId)
        }
      }
      case StateRequest.Op.RELEASE:
        this.leases.release(key, request.invocationId)
        return stateAnswer(StateResponse.Status.OK)
      case StateRequest.Op.DELETE:
        return this.store.update(key, async (current) => {
          // a repeat of a delete that went through
          if (appliedOf(current, request.invocationId) != null) return { result: stateAnswer(StateResponse.Status.OK, '', current.version) }
          if (current.entries.length === 0) return { result: stateAnswer(StateResponse.Status.OK, 'nothing to delete', 0) }
          const writes: WriteSet = new Map(current.entries.map((e) => [e.key, null]))
          return this.commit(key, set, current, { invocationId: request.invocationId, expectedVersion: current.version, writes, output: new Uint8Array(0) }, signal)
        })
      default:
        return stateAnswer(StateResponse.Status.INVALID, `op ${request.op} is not one of this space`)
    }
  }

  /** In the key's queue: applies `commit` to `current`, replicates it, and stores it only once kept elsewhere. */
  private async commit (key: string, set: string[], current: StateRecord, commit: Commit, signal: AbortSignal): Promise<{ record?: StateRecord, result: StateResponse }> {
    const applied = applyCommit(current, commit, this.store.maxBytes)
    if (applied.status === 'conflict') return { result: stateAnswer(StateResponse.Status.CONFLICT, `the state is at version ${current.version}`, current.version) }
    if (applied.status === 'applied') {
      return { result: { ...stateAnswer(StateResponse.Status.APPLIED), version: current.version, output: (applied.output ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>, outputKept: applied.output != null } }
    }
    const replicated = await this.replicate(key, set, applied.record, signal)
    if (replicated === 'conflict') {
      // another node acted as primary meanwhile: this copy is behind; repair before serving it again
      this.repaired.delete(key)
      return { result: stateAnswer(StateResponse.Status.CONFLICT, 'a replica holds a newer version', current.version) }
    }
    if (replicated === 'unavailable') return { result: stateAnswer(StateResponse.Status.UNAVAILABLE, `no other replica of ${this.space}:${key} kept the commit`) }
    return { record: applied.record, result: stateAnswer(StateResponse.Status.OK, '', applied.record.version) }
  }

  /** Sends `record` to the other replicas of the set, in parallel, each within `replicateTimeoutMs`. */
  private async replicate (key: string, set: string[], record: StateRecord, signal: AbortSignal): Promise<Replicated> {
    const others = set.filter((peer) => peer !== this.components.self)
    if (others.length === 0) return this.components.mayActAlone?.() === false ? 'unavailable' : 'ok'
    const request: StateRequest = { op: StateRequest.Op.REPLICATE, space: this.pbSpace, key, invocationId: '', expectedVersion: 0, writes: [], output: new Uint8Array(0), record }
    const answers = await Promise.all(others.map(async (peer) => {
      try {
        const response = await this.components.state.request(peerIdFromString(peer), request, { signal, timeoutMs: this.replicateTimeoutMs })
        if (response.status !== StateResponse.Status.OK) this.components.log('replica %s of %s:%s answered %s: %s', peer, this.space, key, response.status, response.message)
        return response.status
      } catch (err: any) {
        // an unreachable replica is skipped; the others carry the write
        this.components.log('replica %s of %s:%s did not keep version %d: %s', peer, this.space, key, record.version, err?.message ?? err)
        return undefined
      }
    }))
    if (answers.includes(StateResponse.Status.CONFLICT)) return 'conflict'
    return answers.includes(StateResponse.Status.OK) ? 'ok' : 'unavailable'
  }

  /** A replica's side of REPLICATE: the record is kept if newer, from a peer of the key's set only. */
  private async keep (request: StateRequest, from: string, set: string[]): Promise<StateResponse> {
    if (!set.includes(from)) return stateAnswer(StateResponse.Status.NOT_PRIMARY, `${from} is not a replica of ${this.space}:${request.key} by this node's view`)
    if (request.record == null) return stateAnswer(StateResponse.Status.INVALID, 'a REPLICATE carries a record')
    let kept
    try {
      kept = await this.store.keep(request.key, request.record)
    } catch (err: any) {
      // the peer's record is past the caps or malformed (a copy of ours that does not decode is replaced)
      if (err?.name === 'InvalidStateError') return stateAnswer(StateResponse.Status.INVALID, err.message)
      throw err
    }
    return stateAnswer(kept.status === 'conflict' ? StateResponse.Status.CONFLICT : StateResponse.Status.OK, '', kept.version)
  }

  /**
   * Makes sure this node, about to serve `key` as primary, holds its latest version: FETCH from
   * the other replicas of `set` and keep the highest, once per key and replica set. False when
   * none of them answered.
   */
  private async repair (key: string, set: string[], signal: AbortSignal): Promise<boolean> {
    const signature = set.join(' ')
    if (this.repaired.get(key) === signature) return true
    const running = this.repairing.get(key)
    if (running?.set === signature) return running.done
    const done = this.fetchAll(key, set, signal).then((answered) => {
      if (answered) this.markRepaired(key, signature)
      return answered
    }).finally(() => {
      if (this.repairing.get(key)?.done === done) this.repairing.delete(key)
    })
    this.repairing.set(key, { set: signature, done })
    return done
  }

  private async fetchAll (key: string, set: string[], signal: AbortSignal): Promise<boolean> {
    const others = set.filter((peer) => peer !== this.components.self)
    if (others.length === 0) return this.components.mayActAlone?.() !== false
    const request: StateRequest = { op: StateRequest.Op.FETCH, space: this.pbSpace, key, invocationId: '', expectedVersion: 0, writes: [], output: new Uint8Array(0) }
    const answered = await Promise.all(others.map(async (peer) => {
      try {
        const response = await this.components.state.request(peerIdFromString(peer), request, { signal, timeoutMs: this.replicateTimeoutMs })
        if (response.status !== StateResponse.Status.OK) return false
        if (response.record != null && response.record.version > 0) await this.store.keep(key, response.record)
        return true
      } catch (err: any) {
        this.components.log('could not fetch %s:%s from %s for repair: %s', this.space, key, peer, err?.message ?? err)
        return false
      }
    }))
    return answered.includes(true)
  }

  private markRepaired (key: string, signature: string): void {
    this.repaired.delete(key)
    this.repaired.set(key, signature)
    if (this.repaired.size > MAX_REPAIRED_KEYS) {
      const oldest = this.repaired.keys().next()
      if (oldest.done !== true) this.repaired.delete(oldest.value)
    }
  }

  private get pbSpace (): StateRequest.Space {
    return this.space === 'home' ? StateRequest.Space.HOME : StateRequest.Space.DATA
  }
}

export interface StateHandlerComponents {
  /** This node's peer id, as a string. */
  self: string
  data: StateKeeper
  homes: StateKeeper
  /** The in-function model's hook, once the daemon set it. */
  functionSpace(): FunctionSpace | undefined
  /** True once the node stops: everything is answered UNAVAILABLE, and callers move on. */
  stopping(): boolean
  log: Logger
}

/** Serves `/faasmesh/state/1.0.0`: checks a request, then hands it to its space. Never throws. */
export function stateHandler (components: StateHandlerComponents): StateHandler {
  return async (request, { peer, signal }) => {
    try {
      if (components.stopping()) return stateAnswer(StateResponse.Status.UNAVAILABLE, 'the node is stopping')
      checkRequest(request)
      const from = peer.toString()
      switch (request.space) {
        case StateRequest.Space.DATA:
          return await components.data.serve(request, from, signal)
        case StateRequest.Space.HOME:
          return await components.homes.serve(request, from, signal)
        case StateRequest.Space.FUNCTION:
          return await serveFunction(components.functionSpace(), request, signal)
        default:
          return stateAnswer(StateResponse.Status.INVALID, 'unknown space')
      }
    } catch (err: any) {
      const status = statusOf(err)
      if (status === StateResponse.Status.ERROR) components.log.error('state request %s %s:%s from %p failed: %s', request.op, request.space, request.key, peer, err?.message ?? err)
      return stateAnswer(status, String(err?.message ?? err))
    }
  }
}

async function serveFunction (space: FunctionSpace | undefined, request: StateRequest, signal: AbortSignal): Promise<StateResponse> {
  if (space == null) return stateAnswer(StateResponse.Status.UNAVAILABLE, 'this node keeps no in-function state')
  if (request.op === StateRequest.Op.READ) {
    const view = await space.view(request.key, { signal })
    if (view == null) return { ...stateAnswer(StateResponse.Status.OK), record: emptyRecord() }
    const entries = [...view.entries].map(([key, value]) => ({ key, value: value as Uint8Array<ArrayBuffer> }))
    return { ...stateAnswer(StateResponse.Status.OK, '', view.version), record: { version: view.version, entries, applied: [] } }
  }
  return stateAnswer(StateResponse.Status.OK, '', (await space.remove(request.key, { signal })) ? 1 : 0)
}

/** Throws the named error of what is wrong with a peer's request (answered INVALID). */
function checkRequest (request: StateRequest): void {
  checkStateKey(request.key)
  if (request.invocationId !== '' && !INVOCATION_ID_PATTERN.test(request.invocationId)) throw new InvalidParametersError('an invocation id is 1-64 characters of [A-Za-z0-9._:-]')
  if (!Number.isSafeInteger(request.expectedVersion) || request.expectedVersion < 0) throw new InvalidParametersError('the expected version is not a valid version')
  const ops = request.space === StateRequest.Space.FUNCTION
    ? [StateRequest.Op.READ, StateRequest.Op.DELETE]
    : [StateRequest.Op.READ, StateRequest.Op.COMMIT, StateRequest.Op.REPLICATE, StateRequest.Op.FETCH, StateRequest.Op.DELETE, StateRequest.Op.RELEASE]
  if (!ops.includes(request.op)) throw new InvalidParametersError(`op ${request.op} is not one of space ${request.space}`)
  if (request.op === StateRequest.Op.COMMIT && request.space === StateRequest.Space.HOME && request.writes.some((w) => w.key !== HOME_ENTRY)) {
    throw new InvalidParametersError(`a home directory record holds only the entry "${HOME_ENTRY}"`)
  }
}

/** A COMMIT's writes as a write set; a key written twice is refused. */
export function writeSetOf (request: Pick<StateRequest, 'writes'>): WriteSet {
  const writes: WriteSet = new Map()
  for (const write of request.writes) {
    checkEntryKey(write.key)
    if (writes.has(write.key)) throw new InvalidParametersError(`the write set holds the key "${write.key.slice(0, 40)}" twice`)
    writes.set(write.key, write.deleted ? null : write.value)
  }
  return writes
}

/**
 * The wire status of a failure, by the error's name. A copy of this node's that does not decode
 * (InvalidStateError) is this node's failure, ERROR: the caller moves on to another replica.
 */
export function statusOf (err: any): StateResponse.Status {
  switch (err?.name) {
    case 'InvalidParametersError':
    case 'InvalidStateKeyError':
      return StateResponse.Status.INVALID
    case 'StateTooLargeError':
      return StateResponse.Status.TOO_LARGE
    case 'StateUnavailableError':
      return StateResponse.Status.UNAVAILABLE
    case 'KeyBusyError':
      return StateResponse.Status.BUSY
    default:
      return StateResponse.Status.ERROR
  }
}
