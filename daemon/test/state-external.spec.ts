/**
 * The `external` state model against a real redis-server (issue 13): snapshots, version-checked
 * commits done atomically in Redis, invocation ids applied at most once, 200 concurrent
 * transactions, bad stored data, removal, and Redis going away, hanging and coming back.
 */
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { createClient } from 'redis'
import { ExternalState, type ExternalStateInit } from '../src/state/external.js'
import { InvalidStateError } from '../src/errors.js'
import { MAX_APPLIED_IDS, MAX_KEPT_OUTPUT_BYTES } from '../src/state/constants.js'
import { redisServerMissing, startRedis, type RedisServer } from './support/redis.js'
import { waitFor } from './support/wait.js'
import type { Commit, CommitResult, WriteSet } from '../src/state/backend.js'

const MAX_BYTES = 1 << 20
const utf8 = new TextEncoder()
const text = new TextDecoder()
const bytes = (s: string): Uint8Array => utf8.encode(s)

function counterOf (entries: Map<string, Uint8Array>): number {
  const v = entries.get('count')
  return v == null ? 0 : Number(text.decode(v))
}

function increment (entries: Map<string, Uint8Array>): WriteSet {
  return new Map([['count', bytes(String(counterOf(entries) + 1))]])
}

function commitOf (invocationId: string, expectedVersion: number, writes: WriteSet, output = bytes(`out:${invocationId}`)): Commit {
  return { invocationId, expectedVersion, writes, output }
}

async function rejection (p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err: any) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('external state (real redis-server)', function () {
  this.timeout(60_000)
  let redis: RedisServer
  let state: ExternalState
  let prefix: string
  let n = 0
  const key = (): string => `key-${++n}`
  const make = (init: Partial<ExternalStateInit> = {}): ExternalState =>
    new ExternalState({ logger: defaultLogger() }, { url: redis.url, maxBytes: MAX_BYTES, timeoutMs: 1000, keyPrefix: prefix, ...init })

  const rawClient = () => createClient({ url: redis.url, socket: { reconnectStrategy: false, connectTimeout: 2000 } })
  /** A plain client of its own, for what a test writes or inspects behind the model's back. */
  async function raw<T> (fn: (client: ReturnType<typeof rawClient>) => Promise<T>): Promise<T> {
    const client = rawClient()
    client.on('error', () => {})
    await client.connect()
    try {
      return await fn(client)
    } finally {
      client.destroy()
    }
  }

  before(async function () {
    const why = redisServerMissing()
    if (why != null) {
      // eslint-disable-next-line no-console
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    redis = await startRedis()
    prefix = `test:${process.pid}:`
    state = make()
    await state.start()
  })

  after(async () => {
    await state?.stop()
    await redis?.stop()
  })

  it('reads a key never written as version 0 and empty; view says none, remove says false', async () => {
    const k = key()
    const snapshot = await state.read(k, { invocationId: 'inv-1' })
    expect(snapshot.version).to.equal(0)
    expect(snapshot.entries.size).to.equal(0)
    expect(snapshot.applied).to.equal(undefined)
    expect(snapshot.bytes).to.be.greaterThan(0)
    expect(await state.view(k)).to.equal(undefined)
    expect(await state.remove(k)).to.equal(false)
  })

  it('commits and reads back: versions count commits, deletions apply, bytes are counted', async () => {
    const k = key()
    const first = await state.commit(k, commitOf('a', 0, new Map([['x', bytes('1')], ['y', bytes('two')]])))
    expect(first).to.include({ status: 'committed', version: 1 })
    expect(first.bytes).to.be.greaterThan(0)
    const snapshot = await state.read(k)
    expect(snapshot.version).to.equal(1)
    expect(text.decode(snapshot.entries.get('x'))).to.equal('1')
    expect(text.decode(snapshot.entries.get('y'))).to.equal('two')

    expect(await state.commit(k, commitOf('b', 1, new Map([['y', null], ['z', new Uint8Array([0, 255])]])))).to.include({ status: 'committed', version: 2 })
    const view = await state.view(k)
    expect(view?.version).to.equal(2)
    expect([...view!.entries.keys()].sort()).to.deep.equal(['x', 'z'])
    expect([...view!.entries.get('z')!]).to.deep.equal([0, 255])
  })

  it('refuses a commit whose version moved on, and changes nothing', async () => {
    const k = key()
    await state.commit(k, commitOf('a', 0, new Map([['count', bytes('1')]])))
    const stale = await state.commit(k, commitOf('b', 0, new Map([['count', bytes('100')]])))
    expect(stale.status).to.equal('conflict')
    const ahead = await state.commit(k, commitOf('c', 5, new Map([['count', bytes('100')]])))
    expect(ahead.status).to.equal('conflict')
    const snapshot = await state.read(k, { invocationId: 'b' })
    expect(snapshot.version).to.equal(1)
    expect(counterOf(snapshot.entries)).to.equal(1)
    expect(snapshot.applied).to.equal(undefined)
  })

  it('applies an invocation id once: a repeat answers with its output, even with a stale version', async () => {
    const k = key()
    const s0 = await state.read(k)
    expect(await state.commit(k, commitOf('inc-1', 0, increment(s0.entries), bytes('one')))).to.include({ status: 'committed', version: 1 })

    // the same id again, as a retry through another entry node would send it
    const s1 = await state.read(k)
    const again = await state.commit(k, commitOf('inc-1', s1.version, increment(s1.entries)))
    expect(again.status).to.equal('applied')
    expect(text.decode((again as Extract<CommitResult, { status: 'applied' }>).output!)).to.equal('one')
    const stale = await state.commit(k, commitOf('inc-1', 0, increment(s0.entries)))
    expect(stale.status).to.equal('applied')

    const s2 = await state.read(k, { invocationId: 'inc-1' })
    expect(s2.version).to.equal(1)
    expect(counterOf(s2.entries)).to.equal(1)
    expect(text.decode(s2.applied!.output!)).to.equal('one')

    // an output too large to keep: the id is still remembered, its output is not
    await state.commit(k, commitOf('big', 1, increment(s2.entries), new Uint8Array(MAX_KEPT_OUTPUT_BYTES + 1)))
    const big = await state.commit(k, commitOf('big', 2, new Map()))
    expect(big).to.deep.include({ status: 'applied', output: null })
    expect((await state.read(k)).version).to.equal(2)
  })

  it('checks the id and the version in the script itself: a commit landing between read and script wins', async () => {
    // a second node on the same database; its commit runs in the gap between this node's
    // read of the snapshot and its script (the private step is wrapped: it is the gap)
    const other = make()
    await other.start()
    const inGap = (fn: () => Promise<unknown>): void => {
      const target = state as any
      const script = target.script
      target.script = async (...args: unknown[]) => {
        target.script = script
        await fn()
        return script.apply(target, args)
      }
    }
    try {
      const k = key()
      inGap(async () => await other.commit(k, commitOf('x', 0, new Map([['count', bytes('1')]]), bytes('first'))))
      const retry = await state.commit(k, commitOf('x', 0, new Map([['count', bytes('1')]])))
      expect(retry).to.deep.include({ status: 'applied', output: bytes('first') })

      inGap(async () => await other.commit(k, commitOf('y', 1, new Map([['count', bytes('2')]]))))
      const late = await state.commit(k, commitOf('z', 1, new Map([['count', bytes('2')]])))
      expect(late.status).to.equal('conflict')

      const snapshot = await state.read(k, { invocationId: 'z' })
      expect(snapshot.version).to.equal(2)
      expect(counterOf(snapshot.entries)).to.equal(2)
      expect(snapshot.applied).to.equal(undefined)
    } finally {
      await other.stop()
    }
  })

  it(`remembers the latest ${MAX_APPLIED_IDS} applied ids and no more`, async () => {
    const k = key()
    for (let i = 0; i <= MAX_APPLIED_IDS; i++) {
      expect(await state.commit(k, commitOf(`id-${i}`, i, new Map([['i', bytes(String(i))]])))).to.include({ status: 'committed' })
    }
    expect((await state.read(k, { invocationId: 'id-0' })).applied).to.equal(undefined)
    expect((await state.read(k, { invocationId: 'id-1' })).applied).to.not.equal(undefined)
    expect((await state.read(k, { invocationId: `id-${MAX_APPLIED_IDS}` })).applied).to.not.equal(undefined)
    const [ids, fields] = await raw(async (c) => [await c.lLen(`${prefix}{${k}}:ids`), await c.hLen(`${prefix}{${k}}`)])
    expect(ids).to.equal(MAX_APPLIED_IDS)
    expect(fields).to.equal(2 + MAX_APPLIED_IDS)
  })

  it('200 concurrent transactions (read, increment, commit, retry on conflict) end at exactly 200', async () => {
    const k = key()
    const TRANSACTIONS = 200
    // a conflict means another transaction committed in between, so none needs more than 200 tries
    const MAX_TRIES = TRANSACTIONS + 10
    let conflicts = 0
    const run = async (i: number): Promise<void> => {
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        const snapshot = await state.read(k, { invocationId: `t-${i}` })
        if (snapshot.applied != null) return
        const result = await state.commit(k, commitOf(`t-${i}`, snapshot.version, increment(snapshot.entries)))
        if (result.status !== 'conflict') return
        conflicts++
      }
      throw new Error(`transaction ${i} met a conflict ${MAX_TRIES} times`)
    }
    await Promise.all(Array.from({ length: TRANSACTIONS }, async (_, i) => { await run(i) }))
    const view = await state.view(k)
    expect(counterOf(view!.entries)).to.equal(TRANSACTIONS)
    expect(view!.version).to.equal(TRANSACTIONS)
    expect(conflicts).to.be.greaterThan(0) // they did race
  })

  it('answers bad stored data with InvalidStateError, and writes nothing over it', async () => {
    const garbage = [
      { what: 'undecodable data', k: key(), write: async (c: any, h: string) => { await c.hSet(h, { v: '3', d: Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]) }) } },
      { what: 'a version that is not a number', k: key(), write: async (c: any, h: string) => { await c.hSet(h, { v: 'abc', d: '' }) } },
      { what: 'data without a version', k: key(), write: async (c: any, h: string) => { await c.hSet(h, { d: 'x' }) } },
      { what: 'a string instead of a hash', k: key(), write: async (c: any, h: string) => { await c.set(h, 'junk') } },
      { what: 'a bad applied output', k: key(), write: async (c: any, h: string) => { await c.hSet(h, { 'o:inv': Buffer.from([7, 7]) }) } }
    ]
    // a state that is fine but for the kept output of one applied id: only that id's calls see it
    const withBadOutput = garbage.at(-1)!.k
    await state.commit(withBadOutput, commitOf('inv', 0, new Map([['a', bytes('b')]])))
    for (const { what, k, write } of garbage) {
      await raw(async (c) => { await write(c, `${prefix}{${k}}`) })
      for (const [op, call] of [
        ['read', async () => await state.read(k, { invocationId: 'inv' })],
        ['view', async () => { if (k === withBadOutput) throw new InvalidStateError(); return await state.view(k) }],
        ['commit', async () => await state.commit(k, commitOf('inv', 1, new Map([['a', bytes('b')]])))]
      ] as const) {
        const err = await rejection(call())
        expect(err.name, `${op} of ${what}: ${err.message}`).to.equal('InvalidStateError')
      }
      expect(await state.remove(k), what).to.equal(true)
      expect(await state.view(k)).to.equal(undefined)
    }

    // applied ids that are not a list: the script checks before it writes anything
    const k = key()
    await state.commit(k, commitOf('a', 0, new Map([['count', bytes('1')]])))
    await raw(async (c) => { await c.set(`${prefix}{${k}}:ids`, 'junk') })
    const err = await rejection(state.commit(k, commitOf('b', 1, new Map([['count', bytes('2')]]))))
    expect(err.name, err.message).to.equal('InvalidStateError')
    expect(await raw(async (c) => await c.hGet(`${prefix}{${k}}`, 'v'))).to.equal('1')
  })

  it('deletes every entry as a commit: the version and the applied ids go on, so nothing read before the delete commits over it', async () => {
    const k = key()
    await state.commit(k, commitOf('a', 0, new Map([['count', bytes('1')]])))
    const before = await state.read(k)
    expect(await state.remove(k)).to.equal(true)
    expect(await state.view(k)).to.equal(undefined)
    const snapshot = await state.read(k, { invocationId: 'a' })
    expect(snapshot.version).to.equal(2)
    expect(snapshot.entries.size).to.equal(0)
    expect(snapshot.applied?.output, 'a repeat of an id applied before the delete is still answered').to.not.equal(undefined)
    // a transaction that read the key before the delete: its version has moved on
    expect((await state.commit(k, commitOf('stale', before.version, new Map([['count', bytes('2')]])))).status).to.equal('conflict')
    expect(await state.remove(k)).to.equal(false)
  })

  it('refuses a URL that is not redis:// or rediss://, and bad state keys', async () => {
    for (const url of ['http://127.0.0.1:6379', 'not a url', 'redis://', 'redis://127.0.0.1:6379/x', '127.0.0.1:6379']) {
      expect(() => make({ url }), url).to.throw().with.property('name', 'InvalidParametersError')
    }
    expect(() => make({ url: 'rediss://user:pw@db.example:6380/2' })).to.not.throw()
    expect((await rejection(state.read('bad key!'))).name).to.equal('InvalidStateKeyError')
    expect((await rejection(state.commit(key(), commitOf('a', 0, new Map([['', bytes('x')]]))))).name).to.equal('InvalidStateKeyError')
    expect((await rejection(state.commit(key(), commitOf('a', 0, new Map([['x', new Uint8Array(MAX_BYTES)]]))))).name).to.equal('StateTooLargeError')
  })

  it('hands the caller its abort', async () => {
    const controller = new AbortController()
    controller.abort()
    expect((await rejection(state.read(key(), { signal: controller.signal }))).name).to.equal('AbortError')
  })

  it('fails fast with StateUnavailableError when Redis is not there, and stops without hanging', async () => {
    // a port a server just left: nothing listens there now
    const gone = await startRedis()
    const port = gone.port
    await gone.kill()
    const nowhere = make({ url: `redis://127.0.0.1:${port}` })
    await nowhere.start()
    const started = Date.now()
    const err = await rejection(nowhere.read(key()))
    expect(err.name, err.message).to.equal('StateUnavailableError')
    expect(err.message).to.match(/unreachable.*ECONNREFUSED/)
    expect(Date.now() - started).to.be.lessThan(2000)
    const stopping = Date.now()
    await nowhere.stop()
    await nowhere.stop()
    expect(Date.now() - stopping).to.be.lessThan(500)
    expect((await rejection(nowhere.read(key()))).name).to.equal('StateUnavailableError')
  })

  it('with Redis hung, every call fails within about timeoutMs; once it answers again, calls work', async () => {
    const k = key()
    await state.commit(k, commitOf('a', 0, new Map([['count', bytes('1')]])))
    redis.pause()
    try {
      for (const call of [
        async () => await state.read(k),
        async () => await state.commit(k, commitOf('b', 1, new Map([['count', bytes('2')]]))),
        async () => await state.view(k),
        async () => await state.remove(k)
      ]) {
        const started = Date.now()
        const err = await rejection(call())
        expect(err.name, err.message).to.equal('StateUnavailableError')
        expect(Date.now() - started).to.be.lessThan(2000)
      }
    } finally {
      redis.resume()
    }
    await waitFor(async () => await state.read(k).then(() => true, () => false), 10_000, 'the hung Redis to answer again')
    expect((await state.read(k)).version).to.equal(1)
  })

  it('with Redis stopped, every call fails within ~2 s; restarted on the same port, calls work again', async () => {
    const k = key()
    await state.commit(k, commitOf('a', 0, new Map([['count', bytes('1')]])))
    const port = redis.port
    await redis.stop()
    for (const call of [
      async () => await state.read(k),
      async () => await state.commit(k, commitOf('b', 1, new Map([['count', bytes('2')]]))),
      async () => await state.view(k),
      async () => await state.remove(k)
    ]) {
      const started = Date.now()
      const err = await rejection(call())
      expect(err.name, err.message).to.equal('StateUnavailableError')
      expect(Date.now() - started).to.be.lessThan(2000)
    }

    redis = await startRedis({ port })
    // the restarted server is empty (it persists nothing): the key starts again
    await waitFor(async () => await state.read(k).then(() => true, () => false), 10_000, 'the model to reconnect')
    expect(await state.commit(k, commitOf('c', 0, new Map([['count', bytes('1')]])))).to.include({ status: 'committed', version: 1 })
    expect(counterOf((await state.read(k)).entries)).to.equal(1)
  })
})
