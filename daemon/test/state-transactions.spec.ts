/**
 * The transaction loop every model shares (daemon/src/state/transactions.ts), on an in-memory
 * backend built from the same record rules the models use, and the primary's leases.
 */
import { expect } from 'chai'
import { KeyLeases, MAX_LEASED_KEYS } from '../src/state/leases.js'
import { KeyLock } from '../src/state/key-lock.js'
import { applyCommit, emptyRecord, snapshotOf, type StateRecord } from '../src/state/record.js'
import { decodeClientState, encodeClientState } from '../src/state/client-state.js'
import { Transactions, type GuestState } from '../src/state/transactions.js'
import type { Commit, CommitResult, ReadOptions, StateBackend, StateSnapshot, StateView, WriteSet } from '../src/state/backend.js'

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** An in-memory model that can be made to lose races: `interfere` commits before the next commit lands. */
class MemoryBackend implements StateBackend {
  readonly model = 'in-edge' as const
  record: StateRecord = emptyRecord()
  interfere = 0
  releases: string[] = []
  reads: ReadOptions[] = []

  async read (_key: string, options: ReadOptions = {}): Promise<StateSnapshot> {
    this.reads.push(options)
    return snapshotOf(this.record, options.invocationId, 10)
  }

  async commit (_key: string, commit: Commit): Promise<CommitResult> {
    if (this.interfere > 0) {
      this.interfere--
      const other = applyCommit(this.record, { invocationId: `other-${this.interfere}`, expectedVersion: this.record.version, writes: new Map(), output: new Uint8Array(0) }, 1 << 20)
      if (other.status === 'committed') this.record = other.record
    }
    const applied = applyCommit(this.record, commit, 1 << 20)
    if (applied.status === 'committed') {
      this.record = applied.record
      return { status: 'committed', version: applied.record.version, bytes: 20 }
    }
    return applied.status === 'applied' ? { status: 'applied', output: applied.output, bytes: 20 } : { status: 'conflict', bytes: 20 }
  }

  async view (): Promise<StateView | undefined> { return undefined }
  async remove (): Promise<boolean> { return false }
  async release (_key: string, id: string): Promise<void> { this.releases.push(id) }
}

/** A counter run: reads "count", writes count + 1, answers the new count. */
function increment (runs: { n: number }) {
  return async (state: GuestState): Promise<{ output: Uint8Array, writes: WriteSet }> => {
    runs.n++
    const next = Number(text.decode(state.entries.get('count') ?? utf8.encode('0'))) + 1
    return { output: utf8.encode(String(next)), writes: new Map([['count', utf8.encode(String(next))]]) }
  }
}

describe('state transactions', () => {
  it('reads with a lease, runs, commits; a repeat of the id answers the first output and runs nothing', async () => {
    const backend = new MemoryBackend()
    const tx = new Transactions({ backends: { 'in-edge': backend } }, { maxBytes: 1 << 20, maxConflictRetries: 3, leaseMs: 1234 })
    const runs = { n: 0 }
    const first = await tx.run({ model: 'in-edge', key: 'k', invocationId: 'id-1' }, increment(runs))
    expect(text.decode(first.output)).to.equal('1')
    expect(first.state).to.include({ version: 1, bytes: 30, replayed: false, conflicts: 0 })
    expect(backend.reads[0]).to.include({ invocationId: 'id-1', leaseMs: 1234 })
    const again = await tx.run({ model: 'in-edge', key: 'k', invocationId: 'id-1' }, increment(runs))
    expect(text.decode(again.output)).to.equal('1')
    expect(again.state.replayed).to.equal(true)
    expect(runs.n).to.equal(1)
  })

  it('re-runs on a moved version, a bounded number of times, then StateConflictError', async () => {
    const backend = new MemoryBackend()
    const tx = new Transactions({ backends: { 'in-edge': backend } }, { maxBytes: 1 << 20, maxConflictRetries: 2 })
    const runs = { n: 0 }
    backend.interfere = 2
    const won = await tx.run({ model: 'in-edge', key: 'k', invocationId: 'a' }, increment(runs))
    expect(won.state.conflicts).to.equal(2)
    expect(runs.n).to.equal(3)
    backend.interfere = 10
    const err = await tx.run({ model: 'in-edge', key: 'k', invocationId: 'b' }, increment(runs)).catch((e) => e)
    expect(err.name).to.equal('StateConflictError')
    expect(runs.n).to.equal(6)
  })

  it('commits nothing when the run fails or writes past the caps, and releases the key', async () => {
    const backend = new MemoryBackend()
    const tx = new Transactions({ backends: { 'in-edge': backend } }, { maxBytes: 64, maxConflictRetries: 2 })
    const trap = await tx.run({ model: 'in-edge', key: 'k', invocationId: 'trap' }, async () => { throw Object.assign(new Error('trap'), { name: 'GuestTrapError' }) }).catch((e) => e)
    expect(trap.name).to.equal('GuestTrapError')
    const big = await tx.run({ model: 'in-edge', key: 'k', invocationId: 'big' }, async () => ({ output: new Uint8Array(0), writes: new Map([['v', new Uint8Array(100)]]) })).catch((e) => e)
    expect(big.name).to.equal('StateTooLargeError')
    expect(backend.record.version).to.equal(0)
    expect(backend.releases).to.deep.equal(['trap', 'big'])
  })

  it('a repeat whose output was too large to keep is a StateConflictError, never a second run', async () => {
    const backend = new MemoryBackend()
    const tx = new Transactions({ backends: { 'in-edge': backend } }, { maxBytes: 1 << 20, maxConflictRetries: 2 })
    const large = async (): Promise<{ output: Uint8Array, writes: WriteSet }> => ({ output: new Uint8Array(5000), writes: new Map([['x', utf8.encode('1')]]) })
    await tx.run({ model: 'in-edge', key: 'k', invocationId: 'large' }, large)
    const err = await tx.run({ model: 'in-edge', key: 'k', invocationId: 'large' }, large).catch((e) => e)
    expect(err.name).to.equal('StateConflictError')
    expect(backend.record.version).to.equal(1)
  })

  it('in-client: the state goes in and out as an envelope; a refused model is named', async () => {
    const tx = new Transactions({ backends: {} }, { maxBytes: 1 << 20, maxConflictRetries: 2 })
    const runs = { n: 0 }
    let envelope: Uint8Array | undefined
    for (let i = 1; i <= 3; i++) {
      const result = await tx.run({ model: 'in-client', key: 'me', invocationId: `c${i}`, clientState: envelope }, increment(runs))
      expect(text.decode(result.output)).to.equal(String(i))
      envelope = result.state.clientState
    }
    expect(decodeClientState(envelope!).version).to.equal(3)
    const bad = Uint8Array.from(envelope!)
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1
    expect((await tx.run({ model: 'in-client', key: 'me', invocationId: 'x', clientState: bad }, increment(runs)).catch((e) => e)).name).to.equal('InvalidStateError')
    expect(() => encodeClientState({ version: 1, entries: new Map([['v', new Uint8Array(60_000)]]) })).to.throw().with.property('name', 'StateTooLargeError')
    expect((await tx.run({ model: 'external', key: 'k', invocationId: 'e' }, increment(runs)).catch((e) => e)).name).to.equal('UnsupportedStateModelError')
  })

  it('serialises one node\'s transactions on a key: concurrent increments never conflict', async () => {
    const backend = new MemoryBackend()
    const tx = new Transactions({ backends: { 'in-edge': backend } }, { maxBytes: 1 << 20, maxConflictRetries: 0 })
    const runs = { n: 0 }
    const slow = async (state: GuestState): Promise<{ output: Uint8Array, writes: WriteSet }> => {
      await new Promise((resolve) => setTimeout(resolve, 2))
      return increment(runs)(state)
    }
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => tx.run({ model: 'in-edge', key: 'k', invocationId: `p${i}` }, slow)))
    expect(results.map((r) => Number(text.decode(r.output))).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1))
  })
})

describe('key lock', () => {
  it('keeps the key held while its holder runs, even when the last waiter leaves', async () => {
    const lock = new KeyLock()
    const events: string[] = []
    let finish!: () => void
    const holder = lock.run('k', async () => { events.push('holder start'); await new Promise<void>((resolve) => { finish = resolve }); events.push('holder end') })
    const controller = new AbortController()
    const quitter = lock.run('k', async () => { events.push('quitter ran') }, controller.signal).catch((e) => e.message)
    controller.abort(new Error('left'))
    expect(await quitter).to.equal('left')
    const third = lock.run('k', async () => { events.push('third') })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(events).to.deep.equal(['holder start'])
    finish()
    await Promise.all([holder, third])
    expect(events).to.deep.equal(['holder start', 'holder end', 'third'])
    await new Promise((resolve) => setTimeout(resolve, 1))
    expect(lock.size).to.equal(0)
  })
})

describe('primary leases', () => {
  it('grants a key to one id at a time, in arrival order; the holder may read again', async () => {
    const leases = new KeyLeases()
    const order: string[] = []
    await leases.acquire('k', 'a', 10_000)
    await leases.acquire('k', 'a', 10_000)
    const b = leases.acquire('k', 'b', 10_000).then(() => { order.push('b') })
    const c = leases.acquire('k', 'c', 10_000).then(() => { order.push('c') })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(order).to.deep.equal([])
    leases.release('k', 'c') // not the holder: nothing
    leases.release('k', 'a')
    await b
    expect(order).to.deep.equal(['b'])
    leases.release('k', 'b')
    await c
    leases.release('k', 'c')
    expect(leases.size).to.equal(0)
  })

  it('asking again never extends a lease', async () => {
    const leases = new KeyLeases()
    await leases.acquire('k', 'greedy', 50)
    await new Promise((resolve) => setTimeout(resolve, 30))
    await leases.acquire('k', 'greedy', 60_000)
    const started = performance.now()
    await leases.acquire('k', 'next', 10_000)
    expect(performance.now() - started).to.be.below(1000)
    leases.release('k', 'next')
  })

  it('grants no lease longer than its own bound, and lets no READ wait past its bound (KeyBusyError)', async () => {
    const capped = new KeyLeases(40, 10_000)
    await capped.acquire('k', 'greedy', 60_000)
    const started = performance.now()
    await capped.acquire('k', 'next', 10_000)
    expect(performance.now() - started, 'the 60 s asked for was cut to 40 ms').to.be.below(1000)
    capped.release('k', 'next')

    const impatient = new KeyLeases(60_000, 30)
    await impatient.acquire('k', 'holder', 60_000)
    const err = await impatient.acquire('k', 'waiter', 60_000).catch((e) => e)
    expect(err.name).to.equal('KeyBusyError')
    impatient.release('k', 'holder')
    expect(impatient.size).to.equal(0)
  })

  it('holds at most MAX_LEASED_KEYS keys at once: a READ of one more key is BUSY', async () => {
    const leases = new KeyLeases(60_000, 10)
    for (let i = 0; i < MAX_LEASED_KEYS; i++) await leases.acquire(`k${i}`, 'hog', 60_000)
    expect((await leases.acquire('one-more', 'honest', 60_000).catch((e) => e)).name).to.equal('KeyBusyError')
    leases.release('k0', 'hog')
    await leases.acquire('one-more', 'honest', 60_000)
    for (let i = 1; i < MAX_LEASED_KEYS; i++) leases.release(`k${i}`, 'hog')
    leases.release('one-more', 'honest')
    expect(leases.size).to.equal(0)
  })

  it('a lapsed lease passes the key on; a waiter whose signal aborts leaves the queue', async () => {
    const leases = new KeyLeases()
    await leases.acquire('k', 'gone', 30)
    const controller = new AbortController()
    const quitter = leases.acquire('k', 'quitter', 10_000, controller.signal).catch((e) => e)
    const patient = leases.acquire('k', 'patient', 10_000)
    controller.abort(new Error('left'))
    expect((await quitter).message).to.equal('left')
    const started = performance.now()
    await patient
    expect(performance.now() - started).to.be.below(2000)
    leases.release('k', 'patient')
    expect(leases.size).to.equal(0)
  })
})
