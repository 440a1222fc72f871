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
import { resolver, type Resolver } from '../src/resolver/index.js'
import { sanitizer } from '../src/sanitizer/index.js'
import { cidOf, functionStore, type FunctionStore } from '../src/store/index.js'
import { expectError } from './contracts/executor.js'
import { tempDir, wasm } from './support/paths.js'
import { waitFor } from './support/wait.js'
import type { PeerInfo, PrivateKey } from '@libp2p/interface'

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
    res = resolver({ resolveTimeoutMs: 3000, trusted })({
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
    })
    await res.start()
  })

  afterEach(async function () {
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
    expect(resolved).to.deep.equal({ cid: fibCid, fetched: true })
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

  it('answers an unknown name with FunctionNotFoundError within the resolve timeout', async function () {
    candidates = [peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()]
    const started = Date.now()
    await expectError(res.resolve('nobody-has-this'), 'FunctionNotFoundError')
    expect(Date.now() - started).to.be.lessThan(3500)
  })
})
