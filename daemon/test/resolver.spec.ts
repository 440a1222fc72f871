/**
 * The resolver with real code transfer between libp2p nodes on 127.0.0.1 and a real store, and
 * the DHT replaced by a map, so that the order in which providers answer is the test's choice.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { Registry } from 'prom-client'
import { createNameRecord, nameKey } from '../../protocols/src/names/index.js'
import { codeNode, stopCodeNodes, type CodeNode } from '../../protocols/test/support/code-nodes.js'
import { MAX_CACHED_NAMES, resolver, type Resolver, type ResolverComponents, type ResolverInit } from '../src/resolver/index.js'
import { sanitizer } from '../src/sanitizer/index.js'
import { cidOf, functionStore, type FunctionStore } from '../src/store/index.js'
import { expectError } from './contracts/executor.js'
import { tempDir, wasm } from './support/paths.js'
import { waitFor } from './support/wait.js'
import type { PeerInfo, PrivateKey } from '@libp2p/interface'

/** Settles only when `signal` aborts, with its reason: a DHT or peer that never answers. */
async function hang (signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
  })
}

/** Waits `ms` unless `signal` aborts first: a slow but honest DHT or peer. */
async function slow (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
  })
}

describe('resolver', function () {
  this.timeout(20_000)
  const s = sanitizer()({ logger: defaultLogger() })
  let dir: { path: string, cleanup(): Promise<void> }
  let store: FunctionStore
  let me: PrivateKey
  let client: CodeNode
  let honest: CodeNode
  let tampering: CodeNode
  let registry: Registry
  let dht: Map<string, Uint8Array>
  let providers: CodeNode[]
  let fetchCalls: number
  let provided: string[]
  let candidates: string[]
  let trusted: string[]
  let res: Resolver
  let components: ResolverComponents
  let others: Resolver[]

  /** A resolver on the same store, DHT map and code nodes, with some components replaced. */
  const another = (init: ResolverInit, replaced: Partial<ResolverComponents>): Resolver => {
    const r = resolver({ trusted, ...init })({ ...components, registry: new Registry(), ...replaced })
    others.push(r)
    return r
  }

  const fib = wasm('fib')
  let fibCid: string

  before(async function () {
    fibCid = await cidOf(fib)
  })

  beforeEach(async function () {
    dir = await tempDir()
    store = functionStore({ dataDir: dir.path })({ logger: defaultLogger(), sanitizer: s })
    await store.start()
    me = await generateKeyPair('Ed25519')
    ;[client, honest, tampering] = await Promise.all([codeNode(), codeNode(), codeNode()])
    honest.services.code.setLookup(async (cid) => cid === fibCid ? fib : undefined)
    tampering.services.code.setLookup(async () => { const b = new Uint8Array(fib); b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 0xff; return b })
    await client.dial(honest.getMultiaddrs())
    await client.dial(tampering.getMultiaddrs())
    registry = new Registry()
    dht = new Map()
    providers = []
    fetchCalls = 0
    provided = []
    candidates = []
    trusted = []
    others = []
    components = {
      store,
      peerId: peerIdFromPrivateKey(me),
      privateKey: me,
      logger: defaultLogger(),
      registry,
      candidates: () => candidates,
      async * findProviders () {
        for (const p of providers) yield { id: p.peerId, multiaddrs: [] } satisfies PeerInfo
      },
      fetchCode: async (provider, cid, options) => {
        fetchCalls++
        return client.services.code.fetch(provider.id, cid, options)
      },
      provide: async (cid) => { provided.push(cid) },
      putRecord: async (key, value) => { dht.set(new TextDecoder().decode(key), value) },
      getRecord: async (key) => {
        const value = dht.get(new TextDecoder().decode(key))
        if (value == null) throw Object.assign(new Error('not found'), { name: 'NotFoundError' })
        return value
      }
    }
    // sanitizing the first fetched module starts a sandbox process: seconds on a loaded machine
    res = resolver({ resolveTimeoutMs: 10_000, trusted })(components)
    await res.start()
  })

  afterEach(async function () {
    for (const r of others) await r.stop()
    await res.stop()
    await store.stop()
    await stopCodeNodes()
    await dir.cleanup()
  })

  after(async function () {
    await s.stop()
  })

  const metric = async (text: RegExp): Promise<number> => Number(text.exec(await registry.metrics())?.[1] ?? 0)

  it('skips a provider whose bytes do not match the CID, counts it, and takes the next', async function () {
    providers = [tampering, honest]
    const resolved = await res.resolve(fibCid)
    expect(resolved).to.deep.include({ cid: fibCid, fetched: true })
    // where the fetch's time went: the search (the tampering provider included), the transfer, sanitizing
    expect(resolved.timings).to.have.all.keys('providers', 'transfer', 'sanitize')
    expect(resolved.timings!.sanitize).to.be.greaterThan(0)
    expect(store.has(fibCid)).to.equal(true)
    expect((await store.list()).find((f) => f.cid === fibCid)).to.include({ origin: 'cached', pinned: false })
    expect(await metric(/faasmesh_code_fetches_total\{outcome="integrity"\} (\d+)/)).to.equal(1)
    expect(await metric(/faasmesh_code_fetches_total\{outcome="ok"\} (\d+)/)).to.equal(1)
    // fetched code is provided in turn, so popular code spreads
    await waitFor(() => provided.includes(fibCid), 2000, 'provide')
    // the second time it is local: no fetch
    expect(await res.resolve(fibCid)).to.deep.equal({ cid: fibCid, fetched: false })
    expect(fetchCalls).to.equal(2)
  })

  it('fails with FunctionNotFoundError when every provider is bad or there is none', async function () {
    providers = [tampering]
    await expectError(res.resolve(fibCid), 'FunctionNotFoundError')
    providers = []
    await expectError(res.resolve(fibCid), 'FunctionNotFoundError')
    expect(store.has(fibCid)).to.equal(false)
  })

  it('shares one fetch between concurrent invocations of the same missing CID', async function () {
    providers = [honest]
    const all = await Promise.all(Array.from({ length: 5 }, async () => res.resolve(fibCid)))
    expect(all.every((r) => r.cid === fibCid)).to.equal(true)
    expect(fetchCalls).to.equal(1)
  })

  it('resolves names through signed records: trusted publishers first, untrusted only if they agree', async function () {
    const pubA = await generateKeyPair('Ed25519')
    const pubB = await generateKeyPair('Ed25519')
    const idA = peerIdFromPrivateKey(pubA).toString()
    const idB = peerIdFromPrivateKey(pubB).toString()
    const helloCid = await cidOf(wasm('hello'))
    dht.set(new TextDecoder().decode(nameKey(idA, 'calc')), await createNameRecord(pubA, 'calc', fibCid, 1))
    dht.set(new TextDecoder().decode(nameKey(idB, 'calc')), await createNameRecord(pubB, 'calc', helloCid, 1))
    providers = [honest]

    candidates = [idA]
    expect((await res.resolve('calc')).cid).to.equal(fibCid)

    candidates = [idA, idB]
    await expectError(res.resolve('fresh-name-so-no-cache'), 'FunctionNotFoundError')
    dht.set(new TextDecoder().decode(nameKey(idA, 'both')), await createNameRecord(pubA, 'both', fibCid, 1))
    dht.set(new TextDecoder().decode(nameKey(idB, 'both')), await createNameRecord(pubB, 'both', helloCid, 1))
    const err = await expectError(res.resolve('both'), 'AmbiguousNameError')
    expect(err.message).to.include(`${idA}/both`).and.include(`${idB}/both`)
    // publisher/name is never ambiguous
    expect((await res.resolve(`${idA}/both`)).cid).to.equal(fibCid)

    trusted.push(idB)
    providers = []
    await store.deploy('hello', wasm('hello'))
    expect((await res.resolve(`${idB}/both`)).cid).to.equal(helloCid)
  })

  it('ignores a forged record: signed by someone else under a publisher\'s key', async function () {
    const victim = await generateKeyPair('Ed25519')
    const attacker = await generateKeyPair('Ed25519')
    const victimId = peerIdFromPrivateKey(victim).toString()
    dht.set(new TextDecoder().decode(nameKey(victimId, 'bank')), await createNameRecord(attacker, 'bank', fibCid, 99))
    candidates = [victimId]
    providers = [honest]
    await expectError(res.resolve('bank'), 'FunctionNotFoundError')
    await expectError(res.resolve(`${victimId}/bank`), 'FunctionNotFoundError')
  })

  it('announces a deployed function: a valid signed record under this node\'s key, and a provider entry', async function () {
    const deployed = await store.deploy('greeter', wasm('hello'))
    const key = new TextDecoder().decode(nameKey(peerIdFromPrivateKey(me).toString(), 'greeter'))
    await waitFor(() => dht.has(key) && provided.includes(deployed.cid), 3000, 'announcement')
    candidates = []
    // another resolver with this DHT would find it: resolve it by publisher/name from the map
    expect((await res.resolve(`${peerIdFromPrivateKey(me).toString()}/greeter`)).cid).to.equal(deployed.cid)
  })

  it('gives a caller whose deadline passed the deadline\'s error, not "not found"', async function () {
    providers = []
    const controller = new AbortController()
    const reason = Object.assign(new Error('deadline'), { name: 'DeadlineExceededError' })
    setTimeout(() => { controller.abort(reason) }, 50)
    candidates = [peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()]
    const slowRes = res as unknown as { components: { getRecord: unknown } }
    slowRes.components.getRecord = async (_key: Uint8Array, options: { signal: AbortSignal }) => new Promise((resolve, reject) => {
      options.signal.addEventListener('abort', () => { reject(options.signal.reason) })
    })
    await expectError(res.resolve('slow-name', { signal: controller.signal }), 'DeadlineExceededError')
  })

  it('answers an unknown name or CID with FunctionNotFoundError at the resolve timeout when the DHT never answers', async function () {
    this.timeout(5000)
    candidates = [peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()]
    const r = another({ resolveTimeoutMs: 400 }, {
      getRecord: async (_key, options) => hang(options.signal!),
      async * findProviders (_cid, options) { await hang(options.signal!) }
    })
    for (const target of ['nobody-has-this', fibCid]) {
      const started = Date.now()
      await expectError(r.resolve(target), 'FunctionNotFoundError')
      expect(Date.now() - started, target).to.be.within(380, 1500)
    }
  })

  it('a caller that gives up does not end a shared fetch: the others get the code, and it is kept', async function () {
    providers = [honest]
    let shared: AbortSignal | undefined
    const r = another({}, {
      async * findProviders (cid, options) {
        shared = options.signal
        yield * components.findProviders(cid, options)
      },
      fetchCode: async (provider, cid, options) => {
        await slow(100, options.signal!)
        return components.fetchCode(provider, cid, options)
      }
    })
    const deadline = AbortSignal.timeout(5)
    const first = r.resolve(fibCid, { signal: deadline })
    const second = r.resolve(fibCid)
    expect(await expectError(first, 'TimeoutError')).to.equal(deadline.reason)
    expect(shared?.aborted, 'the shared fetch\'s signal').to.equal(false)
    expect(await second).to.deep.include({ cid: fibCid, fetched: true })
    expect(fetchCalls).to.equal(1)
    expect(await r.resolve(fibCid)).to.deep.equal({ cid: fibCid, fetched: false })
  })

  it('fetches a name\'s code from the publisher that signed its record when no provider record has spread yet', async function () {
    const pub = await generateKeyPair('Ed25519')
    const pubId = peerIdFromPrivateKey(pub).toString()
    dht.set(new TextDecoder().decode(nameKey(pubId, 'calc')), await createNameRecord(pub, 'calc', fibCid, 1))
    candidates = [pubId]
    // the DHT knows no provider; the publisher (here served by the honest node) has the bytes
    providers = []
    const asked: string[] = []
    const r = another({ resolveTimeoutMs: 5000 }, {
      fetchCode: async (provider, cid, options) => {
        asked.push(provider.id.toString())
        if (provider.id.toString() !== pubId) throw Object.assign(new Error('no'), { name: 'CodeNotFoundError' })
        return client.services.code.fetch(honest.peerId, cid, options)
      }
    })
    expect(await r.resolve('calc')).to.deep.include({ cid: fibCid, fetched: true })
    expect(asked).to.deep.equal([pubId])
    expect(store.has(fibCid)).to.equal(true)
  })

  it('a caller that gives up does not end a shared name lookup: the others get the CID, and it is cached', async function () {
    const pub = await generateKeyPair('Ed25519')
    const pubId = peerIdFromPrivateKey(pub).toString()
    dht.set(new TextDecoder().decode(nameKey(pubId, 'calc')), await createNameRecord(pub, 'calc', fibCid, 1))
    candidates = [pubId]
    let shared: AbortSignal | undefined
    let gets = 0
    const r = another({}, {
      getRecord: async (key, options) => {
        gets++
        shared = options.signal
        await slow(100, options.signal!)
        return components.getRecord(key, options)
      }
    })
    const deadline = AbortSignal.timeout(5)
    const first = r.lookup('calc', { signal: deadline })
    const second = r.lookup('calc')
    expect(await expectError(first, 'TimeoutError')).to.equal(deadline.reason)
    expect(shared?.aborted, 'the shared lookup\'s signal').to.equal(false)
    expect(await second).to.equal(fibCid)
    expect(await r.lookup('calc')).to.equal(fibCid)
    expect(gets).to.equal(1)
  })

  it('stop() ends shared fetches and lookups with NodeStoppingError', async function () {
    const pubId = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    candidates = [pubId]
    const signals: AbortSignal[] = []
    const r = another({ resolveTimeoutMs: 30_000 }, {
      getRecord: async (_key, options) => { signals.push(options.signal!); return hang(options.signal!) },
      async * findProviders (_cid, options) { signals.push(options.signal!); await hang(options.signal!) }
    })
    const pending = [r.resolve(fibCid), r.lookup(`${pubId}/calc`), r.lookup('calc')]
    for (const p of pending) p.catch(() => {})
    await waitFor(() => signals.length === 3, 2000, 'shared work to start')
    await r.stop()
    expect(signals.map((s) => s.aborted)).to.deep.equal([true, true, true])
    for (const p of pending) await expectError(p, 'NodeStoppingError')
  })

  it('asks the publisher directly before the DHT, and takes its "no such name" as the last word', async function () {
    const pub = await generateKeyPair('Ed25519')
    const pubId = peerIdFromPrivateKey(pub).toString()
    const record = await createNameRecord(pub, 'direct', fibCid, 3)
    let gets = 0
    const asked: string[] = []
    const r = another({}, {
      getRecord: async () => { gets++; throw Object.assign(new Error('not found'), { name: 'NotFoundError' }) },
      queryName: async (peer, publisher, name) => {
        asked.push(`${peer}:${publisher}/${name}`)
        return name === 'direct' ? { publisher, name, cid: fibCid, seq: 3, timestamp: 0, bytes: record } : undefined
      }
    })
    expect(await r.lookup(`${pubId}/direct`)).to.equal(fibCid)
    await expectError(r.lookup(`${pubId}/absent`), 'FunctionNotFoundError')
    expect(asked).to.deep.equal([`${pubId}:${pubId}/direct`, `${pubId}:${pubId}/absent`])
    expect(gets, 'DHT gets').to.equal(0)
  })

  it('remembers a miss briefly; the publisher announcing the name ends it at once', async function () {
    const pub = await generateKeyPair('Ed25519')
    const pubId = peerIdFromPrivateKey(pub).toString()
    let handler: Parameters<NonNullable<ResolverComponents['serveNames']>>[0] | undefined
    let asked = 0
    const r = another({ negativeCacheTtlMs: 60_000 }, {
      queryName: async () => { asked++; return undefined },
      serveNames: (h) => { handler = h }
    })
    await r.start()
    candidates = [pubId]
    await expectError(r.lookup('late'), 'FunctionNotFoundError')
    await expectError(r.lookup('late'), 'FunctionNotFoundError')
    expect(asked, 'the second miss asked nobody').to.equal(1)
    const bytes = await createNameRecord(pub, 'late', fibCid, 1)
    handler!.announced({ publisher: pubId, name: 'late', cid: fibCid, seq: 1, timestamp: 0, bytes })
    expect(await r.lookup('late')).to.equal(fibCid)
    expect(asked, 'the announced record answered').to.equal(1)
    // and this node answers peers' queries for its own names, signed, and nothing for others'
    await store.deploy('mine', fib)
    const own = await handler!.lookup(peerIdFromPrivateKey(me).toString(), 'mine', {})
    expect(own).to.be.instanceOf(Uint8Array)
    expect(await handler!.lookup(peerIdFromPrivateKey(me).toString(), 'not-mine', {})).to.equal(undefined)
  })

  it('an announced binding tells the node its code may be asked for soon (the sanitizer gets ready); a tombstone does not', async function () {
    const pub = await generateKeyPair('Ed25519')
    const pubId = peerIdFromPrivateKey(pub).toString()
    let handler: Parameters<NonNullable<ResolverComponents['serveNames']>>[0] | undefined
    const expected: string[] = []
    const r = another({}, { serveNames: (h) => { handler = h }, codeMayArrive: (cid) => { expected.push(cid) } })
    await r.start()
    const bytes = await createNameRecord(pub, 'soon', fibCid, 1)
    handler!.announced({ publisher: pubId, name: 'soon', cid: fibCid, seq: 1, timestamp: 0, bytes })
    expect(expected).to.deep.equal([fibCid])
    handler!.announced({ publisher: pubId, name: 'soon', cid: fibCid, seq: 2, timestamp: 0, bytes, deleted: true })
    expect(expected).to.deep.equal([fibCid])
  })

  it('a deploy\'s record is handed to the connected peers, and announced() says to how many', async function () {
    const pushed: Uint8Array[] = []
    const r = another({}, { pushName: async (record) => { pushed.push(record); return 3 } })
    await r.start()
    const { cid } = await store.deploy('handed', fib)
    expect(await r.announced('handed', cid)).to.deep.equal({ peers: 3 })
    expect(pushed).to.have.length(1)
    expect(await r.announced('never-deployed', cid)).to.deep.equal({ peers: 0 })
  })

  it('keeps at most MAX_CACHED_NAMES names, dropping the least recently used', async function () {
    this.timeout(60_000)
    const pub = await generateKeyPair('Ed25519')
    const pubId = peerIdFromPrivateKey(pub).toString()
    let gets = 0
    const r = another({ nameCacheTtlMs: 600_000 }, {
      getRecord: async (key) => {
        gets++
        const name = new TextDecoder().decode(key).split('/').pop()!
        return createNameRecord(pub, name, fibCid, 1)
      }
    })
    const names = (r as unknown as { names: Map<string, unknown> }).names
    for (let i = 0; i < MAX_CACHED_NAMES; i++) await r.lookup(`${pubId}/n-${i}`)
    // n-0 used again: now the most recently used, n-1 the least
    await r.lookup(`${pubId}/n-0`)
    expect(gets).to.equal(MAX_CACHED_NAMES)
    for (let i = MAX_CACHED_NAMES; i < MAX_CACHED_NAMES + 50; i++) await r.lookup(`${pubId}/n-${i}`)
    expect(names.size).to.equal(MAX_CACHED_NAMES)
    gets = 0
    await r.lookup(`${pubId}/n-0`)
    expect(gets, 'n-0 was used recently: still cached').to.equal(0)
    await r.lookup(`${pubId}/n-1`)
    expect(gets, 'n-1 was the least recently used: looked up again').to.equal(1)
  })
})
