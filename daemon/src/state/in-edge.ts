/**
 * The `in-edge` state model (DESIGN.md section 10): a state key is kept by the mesh itself, on
 * the `state.replicas` peers closest to the key's hash (`replicas.ts`); the function runs
 * anywhere, and the executing node reads from and commits to the key's primary over
 * `/faasmesh/state/1.0.0`. The serving side, and what a primary guarantees, is
 * `state-handler.ts`. The same machinery keeps the directory of in-function homes
 * (`HomeDirectory`), and carries the in-function model's GET and DELETE to a key's home.
 *
 * A request goes to the key's primary (no network when that is this node). A primary that does
 * not answer (unreachable, gone, busy, failing), or that says it is not a replica by its own
 * view, is passed over for the next replica of the set; when none answers, the call fails with
 * `StateUnavailableError`, never with an empty state. Every COMMIT and DELETE carries an
 * invocation id, so trying the next replica after a lost answer never applies one twice.
 *
 * `bytes` in snapshots and commit results are the request and answer bytes that crossed the
 * network (0 when the primary is this node).
 */
import { createHash } from 'node:crypto'
import { InvalidParametersError } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { StateRequest, StateResponse, type StateHandler, type StateService, type StateWrite } from '../../../protocols/src/state/index.js'
import { InvalidStateKeyError, StateConflictError, StateTooLargeError, StateUnavailableError } from '../errors.js'
import { INVOCATION_ID_PATTERN, newInvocationId } from '../invocations/index.js'
import { DEFAULT_REPLICAS, DEFAULT_STATE_MAX_BYTES, MAX_KEPT_OUTPUT_BYTES, MAX_STATE_MAX_BYTES } from './constants.js'
import { LocalStateStore } from './local-store.js'
import { checkEntryKey, checkStateKey, entriesOf } from './record.js'
import { ReplicaSets, type ReplicaSpace } from './replicas.js'
import { DEFAULT_REPLICATE_TIMEOUT_MS, HOME_ENTRY, StateKeeper, stateHandler, type FunctionSpace } from './state-handler.js'
import type { Commit, CommitResult, ReadOptions, StateBackend, StateSnapshot, StateView } from './backend.js'
import type { AbortOptions, ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'

export { HOME_ENTRY, type FunctionSpace } from './state-handler.js'

/** What a home directory record may hold: the entry "home" and a peer id. */
export const HOME_MAX_BYTES = 1024
/** Looks and claims of a home before `StateConflictError` (each loses only to another claim). */
const MAX_CLAIM_TRIES = 8
const EMPTY = new Uint8Array(0)
const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

export interface InEdgeStateInit {
  /** Peers that keep a state key, the primary included (`state.replicas`). @default DEFAULT_REPLICAS */
  replicas?: number
  /** What an in-edge state may hold in all (`state.maxBytes`). @default DEFAULT_STATE_MAX_BYTES */
  maxBytes?: number
  /**
   * The daemon's data directory: this node's replicas are kept under `<dataDir>/state/in-edge`,
   * its part of the home directory under `<dataDir>/state/homes`. Memory only when undefined.
   */
  dataDir?: string
  /** How long a primary waits for a replica to keep a commit or answer a repair. @default 2000 */
  replicateTimeoutMs?: number
  /**
   * One request to one replica may take this long (its read repair and replication included)
   * before the next replica is tried. @default 10000
   */
  timeoutMs?: number
  /**
   * For this long after `start()` the node never acts as a key's only replica (its view of the
   * mesh fills from adverts meanwhile): a key whose set is this node alone is unavailable
   * rather than served from a stale copy or written to one copy. @default 0
   */
  aloneAfterMs?: number
  /** Flush each kept record to the disk before answering (see LocalStateStore). @default true */
  fsync?: boolean
  /** The longest lease this node grants a transaction as primary (its own transactions' lease). @default 60000 */
  maxLeaseMs?: number
}

export interface InEdgeStateComponents {
  peerId: PeerId
  state: StateService
  /** The faasmesh peers this node knows of (the capacity view), as peer id strings. */
  peers(): string[]
  logger: ComponentLogger
}

/** An answer, who gave it, and what crossed the network for it. */
interface Answer {
  response: StateResponse
  from: string
  bytes: number
}

/** A space's client: sends a request to the key's primary, or the next replica that answers. */
class ReplicaClient {
  constructor (
    private readonly space: ReplicaSpace,
    private readonly components: { self: PeerId, state: StateService, sets: ReplicaSets, local: StateHandler, timeoutMs: number, log: Logger }
  ) {}

  async ask (request: StateRequest, options: AbortOptions = {}): Promise<Answer> {
    const self = this.components.self.toString()
    const set = this.components.sets.of(this.space, request.key)
    const failures: string[] = []
    let bytes = 0
    for (const peer of set) {
      options.signal?.throwIfAborted()
      let response: StateResponse
      try {
        response = peer === self
          ? await this.components.local(request, { peer: this.components.self, signal: options.signal ?? new AbortController().signal })
          : await this.components.state.request(peerIdFromString(peer), request, { signal: options.signal, timeoutMs: this.components.timeoutMs, onBytes: (n) => { bytes += n } })
      } catch (err: any) {
        if (options.signal?.aborted === true) throw options.signal.reason
        // refused before sending: no replica would take it
        if (err?.name === 'InvalidParametersError') throw new StateTooLargeError(err.message)
        // every failure of a request that may not run twice (commits and deletes carry an id,
        // so may): the next replica is asked
        failures.push(`${peer}: ${err?.name ?? 'Error'}`)
        this.components.log('%s %s:%s at %s failed: %s', request.op, this.space, request.key, peer, err?.message ?? err)
        continue
      }
      switch (response.status) {
        case StateResponse.Status.OK:
        case StateResponse.Status.APPLIED:
        case StateResponse.Status.CONFLICT:
          return { response, from: peer, bytes }
        case StateResponse.Status.INVALID:
          throw new InvalidStateKeyError(response.message)
        case StateResponse.Status.TOO_LARGE:
          throw new StateTooLargeError(response.message)
        case StateResponse.Status.BUSY:
          // the primary is there and queues the key: another replica must not take its place
          throw new StateUnavailableError(`${peer} is too busy with ${this.space} state "${request.key}": ${response.message}`)
        default:
          // NOT_PRIMARY (its view differs), UNAVAILABLE (it cannot reach the others), ERROR
          failures.push(`${peer}: ${response.status}`)
      }
    }
    throw new StateUnavailableError(`no replica of ${this.space} state "${request.key}" could serve ${request.op} (${failures.join(', ')})`)
  }

  async read (stateKey: string, invocationId: string, options: AbortOptions & { leaseMs?: number }): Promise<Answer> {
    return this.ask(stateRequest(StateRequest.Op.READ, this.pbSpace, stateKey, { invocationId, ...(options.leaseMs != null ? { leaseMs: options.leaseMs } : {}) }), options)
  }

  /** Ends `invocationId`'s lease on the key at its primary (best effort: a lease also lapses). */
  async release (stateKey: string, invocationId: string, options: AbortOptions): Promise<void> {
    await this.ask(stateRequest(StateRequest.Op.RELEASE, this.pbSpace, stateKey, { invocationId }), options)
  }

  async commit (stateKey: string, commit: Commit, options: AbortOptions): Promise<CommitResult> {
    if (commit.invocationId !== '' && !INVOCATION_ID_PATTERN.test(commit.invocationId)) throw new InvalidParametersError('an invocation id is 1-64 characters of [A-Za-z0-9._:-]')
    const writes: StateWrite[] = []
    for (const [key, value] of commit.writes) {
      checkEntryKey(key)
      writes.push(value == null ? { key, value: EMPTY, deleted: true } : { key, value: value as Uint8Array<ArrayBuffer>, deleted: false })
    }
    const { response, bytes } = await this.ask(stateRequest(StateRequest.Op.COMMIT, this.pbSpace, stateKey, {
      // an id makes a retry through another replica safe; a commit without one gets its own
      invocationId: commit.invocationId !== '' ? commit.invocationId : `commit:${newInvocationId()}`,
      expectedVersion: commit.expectedVersion,
      writes,
      // an output the key will not keep does not travel: the primary needs only to know that
      ...(commit.output.byteLength > MAX_KEPT_OUTPUT_BYTES ? { output: EMPTY, outputDropped: true } : { output: commit.output as Uint8Array<ArrayBuffer> })
    }), options)
    if (response.status === StateResponse.Status.OK) return { status: 'committed', version: response.version, bytes }
    if (response.status === StateResponse.Status.CONFLICT) return { status: 'conflict', bytes }
    return { status: 'applied', output: response.outputKept ? response.output : null, bytes }
  }

  /** Empties the key; true when it held something. */
  async remove (stateKey: string, options: AbortOptions): Promise<boolean> {
    const { response } = await this.ask(stateRequest(StateRequest.Op.DELETE, this.pbSpace, stateKey, { invocationId: `delete:${newInvocationId()}` }), options)
    return response.status === StateResponse.Status.OK && response.version > 0
  }

  private get pbSpace (): StateRequest.Space {
    return this.space === 'home' ? StateRequest.Space.HOME : StateRequest.Space.DATA
  }
}

/**
 * The directory of in-function homes: which node keeps a state key's in-function state. It is a
 * replicated space of its own, so every node finds a key's home, and the first claim of a key
 * wins for everybody.
 */
export class HomeDirectory {
  constructor (private readonly client: ReplicaClient) {}

  /** The peer id of the key's home, or undefined when it has none. */
  async lookup (stateKey: string, options: AbortOptions = {}): Promise<string | undefined> {
    checkStateKey(stateKey)
    return homeOf(await this.client.read(stateKey, '', options))
  }

  /**
   * Makes `peerId` the key's home unless it has one: returns the home, `peerId` when this claim
   * won, the earlier claimer's otherwise.
   */
  async claim (stateKey: string, peerId: string, options: AbortOptions = {}): Promise<string> {
    checkStateKey(stateKey)
    for (let attempt = 0; attempt < MAX_CLAIM_TRIES; attempt++) {
      const answer = await this.client.read(stateKey, '', options)
      const home = homeOf(answer)
      if (home != null) return home
      const version = answer.response.record?.version ?? 0
      const result = await this.client.commit(stateKey, {
        // one id per claimer and version: a lost answer retried through another replica is one claim
        invocationId: `home:${createHash('sha256').update(`${stateKey}\n${peerId}\n${version}`).digest('hex').slice(0, 40)}`,
        expectedVersion: version,
        writes: new Map([[HOME_ENTRY, utf8.encode(peerId)]]),
        output: EMPTY
      }, options)
      if (result.status !== 'conflict') return peerId
      // another claim (or a release) came first: look again
    }
    throw new StateConflictError(`the home of "${stateKey}" kept changing under ${MAX_CLAIM_TRIES} claims`)
  }

  /** Forgets the key's home (its in-function state is deleted); true when it had one. */
  async release (stateKey: string, options: AbortOptions = {}): Promise<boolean> {
    checkStateKey(stateKey)
    return this.client.remove(stateKey, options)
  }
}

function homeOf (answer: Answer): string | undefined {
  const entry = answer.response.record?.entries.find((e) => e.key === HOME_ENTRY)
  return entry == null || entry.value.byteLength === 0 ? undefined : fromUtf8.decode(entry.value)
}

/**
 * The in-edge model, and this node's part in keeping everybody's in-edge state and homes: it
 * answers `/faasmesh/state/1.0.0` once started.
 */
export class InEdgeState implements StateBackend, Startable {
  readonly model = 'in-edge' as const
  readonly homes: HomeDirectory
  private readonly components: InEdgeStateComponents
  private readonly sets: ReplicaSets
  private readonly data: ReplicaClient
  private readonly keepers: StateKeeper[]
  private readonly handler: StateHandler
  private functionSpace?: FunctionSpace
  private stopping = false
  private startedAt?: number

  constructor (components: InEdgeStateComponents, init: InEdgeStateInit = {}) {
    this.components = components
    const log = components.logger.forComponent('faasmesh:state:in-edge')
    const self = components.peerId.toString()
    this.sets = new ReplicaSets({ self, peers: () => components.peers() }, { replicas: init.replicas ?? DEFAULT_REPLICAS })
    const maxBytes = Math.min(init.maxBytes ?? DEFAULT_STATE_MAX_BYTES, MAX_STATE_MAX_BYTES)
    const dir = (name: string): string | undefined => init.dataDir == null ? undefined : `${init.dataDir}/state/${name}`
    const aloneAfterMs = init.aloneAfterMs ?? 0
    const mayActAlone = (): boolean => this.startedAt != null && performance.now() - this.startedAt >= aloneAfterMs
    const keeper = (space: ReplicaSpace, store: LocalStateStore): StateKeeper => new StateKeeper({ self, state: components.state, sets: this.sets, mayActAlone, log }, { space, store, replicateTimeoutMs: init.replicateTimeoutMs ?? DEFAULT_REPLICATE_TIMEOUT_MS, maxLeaseMs: init.maxLeaseMs })
    const data = keeper('data', new LocalStateStore({ maxBytes, dir: dir('in-edge'), fsync: init.fsync }))
    const homes = keeper('home', new LocalStateStore({ maxBytes: HOME_MAX_BYTES, dir: dir('homes'), fsync: init.fsync }))
    this.keepers = [data, homes]
    this.handler = stateHandler({ self, data, homes, functionSpace: () => this.functionSpace, stopping: () => this.stopping, log })
    const client = (space: ReplicaSpace): ReplicaClient => new ReplicaClient(space, { self: components.peerId, state: components.state, sets: this.sets, local: this.handler, timeoutMs: init.timeoutMs ?? 10_000, log })
    this.data = client('data')
    this.homes = new HomeDirectory(client('home'))
  }

  async start (): Promise<void> {
    await Promise.all(this.keepers.map(async (k) => { await k.store.start() }))
    this.stopping = false
    this.startedAt = performance.now()
    this.components.state.setHandler(this.handler)
  }

  /** From now on, peers are answered UNAVAILABLE (they move on); writes in flight end first. */
  async stop (): Promise<void> {
    this.stopping = true
    await Promise.all(this.keepers.map(async (k) => { await k.store.stop() }))
  }

  /** The key's replica set by this node's view, primary first. */
  replicaSet (stateKey: string): string[] {
    return this.sets.of('data', checkStateKey(stateKey))
  }

  /** Serves the FUNCTION space (a home's in-function GET and DELETE) from the in-function model. */
  setFunctionSpace (space: FunctionSpace | undefined): void {
    this.functionSpace = space
  }

  async read (stateKey: string, options: ReadOptions = {}): Promise<StateSnapshot> {
    checkStateKey(stateKey)
    const invocationId = options.invocationId ?? ''
    if (invocationId !== '' && !INVOCATION_ID_PATTERN.test(invocationId)) throw new InvalidParametersError('an invocation id is 1-64 characters of [A-Za-z0-9._:-]')
    // a transaction's read: the primary queues it behind the key's other transactions
    const { response, bytes } = await this.data.read(stateKey, invocationId, { ...options, ...(invocationId !== '' && options.leaseMs != null ? { leaseMs: options.leaseMs } : {}) })
    const record = response.record ?? { version: 0, entries: [], applied: [] }
    const snapshot: StateSnapshot = { version: record.version, entries: entriesOf(record), bytes }
    if (response.status === StateResponse.Status.APPLIED) snapshot.applied = { output: response.outputKept ? response.output : null }
    return snapshot
  }

  async commit (stateKey: string, commit: Commit, options: AbortOptions = {}): Promise<CommitResult> {
    checkStateKey(stateKey)
    return this.data.commit(stateKey, commit, options)
  }

  async release (stateKey: string, invocationId: string, options: AbortOptions = {}): Promise<void> {
    await this.data.release(checkStateKey(stateKey), invocationId, options)
  }

  async view (stateKey: string, options: AbortOptions = {}): Promise<StateView | undefined> {
    checkStateKey(stateKey)
    const { response, from } = await this.data.read(stateKey, '', options)
    const record = response.record
    if (record == null || record.version === 0 || record.entries.length === 0) return undefined
    return { version: record.version, entries: entriesOf(record), home: from }
  }

  async remove (stateKey: string, options: AbortOptions = {}): Promise<boolean> {
    checkStateKey(stateKey)
    return this.data.remove(stateKey, options)
  }

  /** The in-function state of `stateKey` kept by its home `peer`; StateUnavailableError when the home does not answer. */
  async functionView (peer: PeerId | string, stateKey: string, options: AbortOptions = {}): Promise<StateView | undefined> {
    const home = peer.toString()
    const response = await this.askFunction(home, stateRequest(StateRequest.Op.READ, StateRequest.Space.FUNCTION, checkStateKey(stateKey)), options)
    const record = response.record
    if (record == null || record.version === 0) return undefined
    return { version: record.version, entries: entriesOf(record), home }
  }

  /** Deletes the in-function state of `stateKey` at its home `peer`; true when it had some. */
  async functionRemove (peer: PeerId | string, stateKey: string, options: AbortOptions = {}): Promise<boolean> {
    const response = await this.askFunction(peer.toString(), stateRequest(StateRequest.Op.DELETE, StateRequest.Space.FUNCTION, checkStateKey(stateKey)), options)
    return response.version > 0
  }

  private async askFunction (home: string, request: StateRequest, options: AbortOptions): Promise<StateResponse> {
    let response: StateResponse
    try {
      response = home === this.components.peerId.toString()
        ? await this.handler(request, { peer: this.components.peerId, signal: options.signal ?? new AbortController().signal })
        : await this.components.state.request(peerIdFromString(home), request, { signal: options.signal })
    } catch (err: any) {
      if (options.signal?.aborted === true) throw options.signal.reason
      throw new StateUnavailableError(`the home ${home} of "${request.key}" did not answer: ${err?.name ?? 'Error'}: ${err?.message ?? err}`)
    }
    if (response.status === StateResponse.Status.OK) return response
    if (response.status === StateResponse.Status.INVALID) throw new InvalidStateKeyError(response.message)
    throw new StateUnavailableError(`the home ${home} of "${request.key}" answered ${response.status}: ${response.message}`)
  }
}

function stateRequest (op: StateRequest.Op, space: StateRequest.Space, key: string, fields: Partial<StateRequest> = {}): StateRequest {
  return { op, space, key, invocationId: '', expectedVersion: 0, writes: [], output: EMPTY, ...fields }
}
