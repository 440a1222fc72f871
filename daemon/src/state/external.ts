/**
 * The `external` state model (DESIGN.md section 10): a state key's record lives in a Redis server
 * the node is configured with (`state.externalUrl`), read and committed with an optimistic
 * version check that runs atomically inside Redis (one Lua script), never WATCH on a shared
 * connection.
 *
 * Layout, per state key K (the braces are a Redis Cluster hash tag, so both keys of one state
 * share a slot and one script may touch both; a state key cannot hold `{` or `}`):
 *
 * - `<prefix>{K}`, a hash:
 *   - `v`: the version, in decimal (absent: 0, never written)
 *   - `d`: `encodeRecord` of the record (version and entries, no applied ids)
 *   - `o:<invocation id>`: one per applied id: `0x01` + its output when kept, `0x00` when not
 * - `<prefix>{K}:ids`, a list: the applied invocation ids, oldest first, at most MAX_APPLIED_IDS;
 *   an id pushed out of it loses its `o:` field in the same script.
 *
 * A commit reads `v`, `d` and the id's `o:` field (one HMGET), applies the write set on this side
 * with the shared rules and caps of record.ts, and hands the new `d` to COMMIT_SCRIPT, which
 * checks "id applied?" and "version still the expected one?" and writes the new version, data and
 * applied id at once. The version check makes the snapshot the new data was computed from the
 * current one.
 *
 * Redis down, unreachable or slow: every operation fails within `timeoutMs` with
 * StateUnavailableError (no offline queue; commands are raced against one deadline per
 * operation), and the client reconnects in the background with a bounded backoff.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { raceSignal } from 'race-signal'
import { AbortError, InvalidParametersError, InvalidStateError, StateConflictError, StateUnavailableError } from '../errors.js'
import { newInvocationId } from '../invocations/index.js'
import { MAX_APPLIED_IDS, MAX_KEPT_OUTPUT_BYTES } from './constants.js'
import { applyWrites, checkStateKey, decodeRecord, encodeRecord, entriesOf, snapshotOf, type StateRecord } from './record.js'
import type { Commit, CommitResult, ReadOptions, StateBackend, StateModel, StateSnapshot, StateView } from './backend.js'
import type { AbortOptions, ComponentLogger, Logger, Startable } from '@libp2p/interface'

type Redis = typeof import('redis')

/**
 * node-redis, loaded by the first ExternalState (a node with `state.externalUrl`): it weighs ~20 MiB
 * resident (500 files) that a node without the external model never needs (docs/performance.md).
 */
let redisModule: Redis | undefined
function loadRedis (): Redis {
  redisModule ??= createRequire(import.meta.url)('redis') as Redis
  return redisModule
}

export interface ExternalStateInit {
  /** The database: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string
  /** What one state may hold, keys and values (`state.maxBytes`). */
  maxBytes: number
  /** How long one operation may take (waiting for a connection included) before StateUnavailableError. @default 1000 */
  timeoutMs?: number
  /** Prefix of every Redis key this model writes. @default 'faasmesh:state:' */
  keyPrefix?: string
}

export interface ExternalStateComponents {
  logger: ComponentLogger
}

export const DEFAULT_EXTERNAL_TIMEOUT_MS = 1000
export const DEFAULT_EXTERNAL_KEY_PREFIX = 'faasmesh:state:'
/** A delete is a commit like any other; it is tried again this often when a transaction commits first. */
const MAX_DELETE_TRIES = 8
/** Reconnect backoff: 50 ms doubling up to this, so a Redis that is back is used again within about a second. */
const MAX_RECONNECT_DELAY_MS = 1000
/** Commands one connection may hold (sent or waiting): bounds what a hung server makes us keep. */
const MAX_QUEUED_COMMANDS = 4096
/**
 * An operation that times out on a connection that has answered nothing for this many
 * `timeoutMs` replaces the connection: a half-open TCP connection is otherwise noticed only by
 * keepalive, minutes later.
 */
const STALE_CONNECTION_TIMEOUTS = 3

/**
 * KEYS[1]: the state's hash; KEYS[2]: its applied ids.
 * ARGV[1]: invocation id ('' for none); ARGV[2]: expected version; ARGV[3]: the new `d`;
 * ARGV[4]: the `o:` value to keep for the id; ARGV[5]: how many ids to keep.
 * Returns {1, new version} | {2, current version} (conflict) | {3, kept output} (applied).
 * Every check comes before the first write: a script that fails leaves the key as it was.
 */
const COMMIT_SCRIPT = `
local id = ARGV[1]
local t = redis.call('TYPE', KEYS[2]).ok
if t ~= 'none' and t ~= 'list' then return redis.error_reply('FAASMESH_BADSTATE the applied ids are not a list') end
if id ~= '' then
  local out = redis.call('HGET', KEYS[1], 'o:' .. id)
  if out then return {3, out} end
end
local v = redis.call('HGET', KEYS[1], 'v')
if v then
  v = tonumber(v)
  if v == nil then return redis.error_reply('FAASMESH_BADSTATE the version is not a number') end
else
  v = 0
end
if v ~= tonumber(ARGV[2]) then return {2, v} end
redis.call('HSET', KEYS[1], 'v', string.format('%d', v + 1), 'd', ARGV[3])
if id ~= '' then
  redis.call('HSET', KEYS[1], 'o:' .. id, ARGV[4])
  redis.call('RPUSH', KEYS[2], id)
  local max = tonumber(ARGV[5])
  while redis.call('LLEN', KEYS[2]) > max do
    redis.call('HDEL', KEYS[1], 'o:' .. redis.call('LPOP', KEYS[2]))
  end
end
return {1, v + 1}
`
const COMMIT_SHA = createHash('sha1').update(COMMIT_SCRIPT).digest('hex')

const KEPT = 1
const NOT_KEPT = 0
const VERSION_PATTERN = /^(0|[1-9][0-9]{0,15})$/

type Client = ReturnType<Redis['createClient']>
type Arg = string | Buffer

interface Deferred { promise: Promise<void>, resolve(): void, reject(err: Error): void }

/** Throws InvalidParametersError unless `url` is a `redis://` or `rediss://` URL node-redis accepts. */
export function checkRedisUrl (url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new InvalidParametersError('the external state URL is not a URL: expected redis://host:port or rediss://host:port')
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidParametersError(`the external state URL must start with redis:// or rediss://, got ${parsed.protocol}//`)
  }
  if (parsed.hostname === '') throw new InvalidParametersError('the external state URL has no host')
  if (parsed.pathname.length > 1 && !/^\/[0-9]{1,5}$/.test(parsed.pathname)) {
    throw new InvalidParametersError('the external state URL path must be a database number, e.g. redis://host:6379/0')
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new InvalidParametersError('the external state URL takes no query or fragment')
  return parsed
}

export class ExternalState implements StateBackend, Startable {
  readonly model: StateModel = 'external'
  private readonly log: Logger
  private readonly url: string
  /** host:port, for messages: never the credentials. */
  private readonly server: string
  private readonly maxBytes: number
  private readonly timeoutMs: number
  private readonly keyPrefix: string
  private readonly redis: Redis
  /** Replies as Buffers, not strings: the stored records are binary. */
  private readonly buffers: Record<number, typeof Buffer>
  private client?: Client
  private whenReady?: Deferred
  private lastError?: Error
  /** When the connection last answered (or became ready). */
  private lastReplyAt = 0

  constructor (components: ExternalStateComponents, init: ExternalStateInit) {
    this.log = components.logger.forComponent('faasmesh:state:external')
    const url = checkRedisUrl(init.url)
    this.url = init.url
    this.server = `${url.protocol}//${url.host}`
    if (!Number.isSafeInteger(init.maxBytes) || init.maxBytes <= 0) throw new InvalidParametersError(`maxBytes must be a positive integer, got ${init.maxBytes}`)
    this.maxBytes = init.maxBytes
    this.timeoutMs = init.timeoutMs ?? DEFAULT_EXTERNAL_TIMEOUT_MS
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) throw new InvalidParametersError(`timeoutMs must be a positive number, got ${init.timeoutMs}`)
    this.keyPrefix = init.keyPrefix ?? DEFAULT_EXTERNAL_KEY_PREFIX
    this.redis = loadRedis()
    this.buffers = { [this.redis.RESP_TYPES.BLOB_STRING]: Buffer }
  }

  /** Starts connecting and returns at once: a Redis that is down now only makes calls fail until it is back. */
  async start (): Promise<void> {
    if (this.client != null) return
    this.connect()
  }

  /** Closes the connection at once; calls in flight fail with StateUnavailableError. */
  async stop (): Promise<void> {
    const client = this.client
    if (client == null) return
    this.client = undefined
    this.whenReady?.reject(new StateUnavailableError('the external state is stopped'))
    this.whenReady = undefined
    this.dispose(client)
  }

  async read (stateKey: string, options: ReadOptions = {}): Promise<StateSnapshot> {
    const key = checkStateKey(stateKey)
    const id = options.invocationId ?? ''
    return this.op('read', options, async (run) => {
      const { stored, bytes } = await this.fetch(run, key, id)
      return snapshotOf(stored.record, id, bytes)
    })
  }

  async commit (stateKey: string, commit: Commit, options: AbortOptions = {}): Promise<CommitResult> {
    const key = checkStateKey(stateKey)
    if (!Number.isSafeInteger(commit.expectedVersion) || commit.expectedVersion < 0) throw new InvalidParametersError(`expectedVersion must be a version, got ${commit.expectedVersion}`)
    const id = commit.invocationId
    return this.op('commit', options, async (run) => {
      // the snapshot the new data is computed from; the script's version check keeps it current
      const { stored, bytes: readBytes } = await this.fetch(run, key, id)
      const applied = snapshotOf(stored.record, id).applied
      if (applied != null) return { status: 'applied', output: applied.output, bytes: readBytes }
      if (stored.record.version !== commit.expectedVersion) return { status: 'conflict', bytes: readBytes }

      const entries = applyWrites(entriesOf(stored.record), commit.writes, this.maxBytes)
      const data = encodeRecord({
        version: commit.expectedVersion + 1,
        entries: [...entries].map(([k, value]) => ({ key: k, value: value as Uint8Array<ArrayBuffer> })),
        applied: []
      })
      const kept = commit.output.byteLength <= MAX_KEPT_OUTPUT_BYTES
      const marker = kept ? Buffer.concat([Buffer.from([KEPT]), toBuffer(commit.output)]) : Buffer.from([NOT_KEPT])
      const { reply, bytes: scriptBytes } = await this.script(run, [this.dataKey(key), this.idsKey(key)],
        [id, String(commit.expectedVersion), toBuffer(data), marker, String(MAX_APPLIED_IDS)])
      const bytes = readBytes + scriptBytes

      if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== 'number') throw new InvalidStateError('the commit script answered something unexpected')
      const [status, value] = reply as [number, unknown]
      if (status === 1 && typeof value === 'number') return { status: 'committed', version: value, bytes }
      if (status === 2) return { status: 'conflict', bytes }
      if (status === 3 && Buffer.isBuffer(value)) return { status: 'applied', output: keptOutput(value), bytes }
      throw new InvalidStateError('the commit script answered something unexpected')
    })
  }

  async view (stateKey: string, options: AbortOptions = {}): Promise<StateView | undefined> {
    const key = checkStateKey(stateKey)
    return this.op('view', options, async (run) => {
      const { stored } = await this.fetch(run, key, '')
      // never written, or deleted (emptied): nothing to show, as in the other models
      if (!stored.exists || stored.record.entries.length === 0) return undefined
      return { version: stored.record.version, entries: entriesOf(stored.record) }
    })
  }

  /**
   * Deletes every entry as a commit, as the other models do: the version and the record of
   * applied ids go on, so a transaction that read the key before the delete cannot commit over
   * it, and a repeat of an invocation applied before it is still answered, never applied again.
   * A key holding what is no faasmesh state is removed whole.
   */
  async remove (stateKey: string, options: AbortOptions = {}): Promise<boolean> {
    const key = checkStateKey(stateKey)
    const id = `delete:${newInvocationId()}`
    for (let attempt = 0; attempt < MAX_DELETE_TRIES; attempt++) {
      let snapshot: StateSnapshot
      try {
        snapshot = await this.read(key, options)
      } catch (err: any) {
        // what is under the key is no faasmesh state: nothing to keep, it goes whole
        if (err?.name !== InvalidStateError.name) throw err
        return this.op('remove', options, async (run) => {
          const removed = await run(['DEL', this.dataKey(key), this.idsKey(key)])
          return typeof removed === 'number' && removed > 0
        })
      }
      if (snapshot.entries.size === 0) return false
      const writes = new Map([...snapshot.entries.keys()].map((name) => [name, null]))
      const result = await this.commit(key, { invocationId: id, expectedVersion: snapshot.version, writes, output: new Uint8Array(0) }, options)
      if (result.status !== 'conflict') return true
    }
    throw new StateConflictError(`state key "${key}" kept changing under ${MAX_DELETE_TRIES} deletes`)
  }

  private dataKey (stateKey: string): string {
    return `${this.keyPrefix}{${stateKey}}`
  }

  private idsKey (stateKey: string): string {
    return `${this.keyPrefix}{${stateKey}}:ids`
  }

  /** The key's version and entries, and `id`'s applied output when it was applied (one HMGET). */
  private async fetch (run: Run, stateKey: string, id: string): Promise<{ stored: Stored, bytes: number }> {
    const args: Arg[] = ['HMGET', this.dataKey(stateKey), 'v', 'd']
    if (id !== '') args.push(`o:${id}`)
    const reply = await run(args)
    if (!Array.isArray(reply) || reply.length !== args.length - 2) throw new InvalidStateError('HMGET answered something unexpected')
    const [v, d, o] = reply as Array<Buffer | null>
    const bytes = argBytes(args) + replyBytes(reply)
    const stored = this.parse(v ?? null, d ?? null)
    if (o != null) stored.record.applied = [{ id, ...appliedOf(o) }]
    return { stored, bytes }
  }

  private parse (v: Buffer | null, d: Buffer | null): Stored {
    if (v == null && d == null) return { exists: false, record: { version: 0, entries: [], applied: [] } }
    if (v == null || d == null) throw new InvalidStateError(`the stored state has ${v == null ? 'no version' : 'no data'}`)
    const text = v.toString('latin1')
    if (!VERSION_PATTERN.test(text) || !Number.isSafeInteger(Number(text))) throw new InvalidStateError('the stored version is not a number')
    const record = decodeRecord(d, this.maxBytes)
    if (record.version !== Number(text)) throw new InvalidStateError(`the stored data is of version ${record.version}, not ${text}`)
    return { exists: true, record: { ...record, applied: [] } }
  }

  /** Runs COMMIT_SCRIPT by its hash, sending the script itself only when Redis does not know it yet. */
  private async script (run: Run, keys: string[], argv: Arg[]): Promise<{ reply: unknown, bytes: number }> {
    const tail = [String(keys.length), ...keys, ...argv]
    try {
      const args = ['EVALSHA', COMMIT_SHA, ...tail]
      const reply = await run(args)
      return { reply, bytes: argBytes(args) + replyBytes(reply) }
    } catch (err) {
      if (!(err instanceof this.redis.ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err
      const args = ['EVAL', COMMIT_SCRIPT, ...tail]
      const reply = await run(args)
      return { reply, bytes: argBytes(args) + replyBytes(reply) }
    }
  }

  /**
   * Runs one operation under one deadline (`timeoutMs`) and the caller's signal: waits (bounded)
   * for a connection, races every command against the deadline, and turns any failure of Redis
   * into a named error.
   */
  private async op<T> (what: string, options: AbortOptions, fn: (run: Run) => Promise<T>): Promise<T> {
    if (options.signal?.aborted === true) throw abortReason(options.signal)
    const deadline = new AbortController()
    const timer = setTimeout(() => { deadline.abort() }, this.timeoutMs)
    const signal = options.signal == null ? deadline.signal : AbortSignal.any([options.signal, deadline.signal])
    let client: Client | undefined
    try {
      client = await this.ready(signal)
      const c = client
      const run: Run = async (args) => {
        const pending = c.sendCommand(args, { typeMapping: this.buffers })
        // a command sent to a server that does not answer settles later (or never): not our caller's business
        pending.catch(() => {})
        const reply = await raceSignal(pending, signal)
        this.lastReplyAt = Date.now()
        return reply
      }
      return await fn(run)
    } catch (err: any) {
      if (options.signal != null && isAborted(options.signal)) throw abortReason(options.signal)
      if (deadline.signal.aborted) {
        if (client != null) this.maybeReplace(client)
        if (client == null) throw new StateUnavailableError(`redis at ${this.server} is unreachable (no connection within ${this.timeoutMs} ms)${this.lastError != null ? `: ${describe(this.lastError)}` : ''}`)
        throw new StateUnavailableError(`redis at ${this.server} did not answer the ${what} within ${this.timeoutMs} ms`)
      }
      throw this.translate(err, what)
    } finally {
      clearTimeout(timer)
    }
  }

  /** The connected client, waiting for a connection until `signal` aborts. */
  private async ready (signal: AbortSignal): Promise<Client> {
    const client = this.client
    if (client == null) throw new StateUnavailableError('the external state is not started')
    if (client.isReady) return client
    if (this.whenReady == null) this.whenReady = deferred()
    await raceSignal(this.whenReady.promise, signal)
    if (this.client == null) throw new StateUnavailableError('the external state is stopped')
    return this.client
  }

  private translate (err: any, what: string): Error {
    if (err instanceof this.redis.ErrorReply) {
      const message = String(err.message)
      if (message.startsWith('WRONGTYPE')) return new InvalidStateError(`the stored state is not a faasmesh state: ${message.slice(0, 200)}`)
      if (message.includes('FAASMESH_BADSTATE')) return new InvalidStateError(`the stored state is not a faasmesh state: ${message.replace(/^.*FAASMESH_BADSTATE\s*/, '').slice(0, 200)}`)
      return new StateUnavailableError(`redis at ${this.server} refused the ${what}: ${message.slice(0, 200)}`)
    }
    // our own named errors (a bad record, a write set past the caps, a bad entry key) go as they are
    if (typeof err?.name === 'string' && /^(InvalidState|StateTooLarge|InvalidStateKey|StateUnavailable|InvalidParameters)Error$/.test(err.name)) return err
    return new StateUnavailableError(`redis at ${this.server} is unreachable: ${describe(err)}${this.lastError != null && this.lastError !== err ? ` (${describe(this.lastError)})` : ''}`)
  }

  private connect (): void {
    const client: Client = this.redis.createClient({
      url: this.url,
      socket: {
        connectTimeout: this.timeoutMs,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 50)
      },
      // a call fails now rather than waiting in a queue for a server that may never come back
      disableOfflineQueue: true,
      commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
      maintNotifications: 'disabled'
    })
    this.client = client
    // an 'error' event without a listener would crash the node: Redis going away is an ordinary event
    client.on('error', (err: Error) => {
      if (this.client !== client) return
      if (this.lastError == null) this.log.error('redis at %s failed: %s', this.server, describe(err))
      else this.log('redis at %s still failing: %s', this.server, describe(err))
      this.lastError = err
    })
    client.on('reconnecting', () => { if (this.client === client) this.log('reconnecting to redis at %s', this.server) })
    client.on('ready', () => {
      if (this.client !== client) return
      this.log('connected to redis at %s', this.server)
      this.lastError = undefined
      this.lastReplyAt = Date.now()
      this.whenReady?.resolve()
      this.whenReady = undefined
    })
    client.connect().catch((err: Error) => {
      // only a stop (or replacement) ends the connect loop: the backoff never gives up
      if (this.client === client) this.log.error('redis at %s: connecting stopped: %s', this.server, describe(err))
    })
  }

  /** Replaces a connection that has answered nothing for a long time (see STALE_CONNECTION_TIMEOUTS). */
  private maybeReplace (client: Client): void {
    if (this.client !== client || !client.isReady) return
    if (Date.now() - this.lastReplyAt < STALE_CONNECTION_TIMEOUTS * this.timeoutMs) return
    this.log.error('redis at %s answered nothing for %d ms: reconnecting', this.server, Date.now() - this.lastReplyAt)
    this.lastError = new Error(`no answer for ${Date.now() - this.lastReplyAt} ms`)
    this.dispose(client)
    this.connect()
  }

  private dispose (client: Client): void {
    try {
      client.destroy()
    } catch (err: any) {
      this.log('closing the redis client: %s', describe(err))
    }
  }
}

type Run = (args: Arg[]) => Promise<unknown>

interface Stored {
  /** False when Redis has nothing under the key. */
  exists: boolean
  record: StateRecord
}

function appliedOf (o: Buffer): { output: Uint8Array<ArrayBuffer>, outputKept: boolean } {
  const output = keptOutput(o)
  return output == null ? { output: new Uint8Array(0), outputKept: false } : { output, outputKept: true }
}

/** An `o:` field back to the kept output (null: too large to keep). */
function keptOutput (o: Buffer): Uint8Array<ArrayBuffer> | null {
  if (o.byteLength === 1 && o[0] === NOT_KEPT) return null
  if (o.byteLength >= 1 && o[0] === KEPT && o.byteLength - 1 <= MAX_KEPT_OUTPUT_BYTES) return new Uint8Array(o.subarray(1))
  throw new InvalidStateError('the stored output of an applied invocation is not a faasmesh one')
}

function toBuffer (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

// `bytes` in results counts the payloads of the commands sent and the replies received, not the
// RESP framing around them (a few bytes per argument): close enough to compare models.
function argBytes (args: Arg[]): number {
  let total = 0
  for (const a of args) total += typeof a === 'string' ? Buffer.byteLength(a) : a.byteLength
  return total
}

function replyBytes (reply: unknown): number {
  if (Buffer.isBuffer(reply)) return reply.byteLength
  if (typeof reply === 'string') return Buffer.byteLength(reply)
  if (typeof reply === 'number') return 8
  if (Array.isArray(reply)) return reply.reduce((n: number, r) => n + replyBytes(r), 0)
  return 0
}

function deferred (): Deferred {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/** Read again after an await (TypeScript keeps its narrowing from before it). */
function isAborted (signal: AbortSignal): boolean {
  return signal.aborted
}

function abortReason (signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortError()
}

function describe (err: any): string {
  const message = String(err?.message ?? err).slice(0, 200)
  const code = typeof err?.code === 'string' && !message.includes(err.code) ? `${err.code} ` : ''
  return `${code}${message}`.trim() || String(err?.name ?? 'unknown error')
}
