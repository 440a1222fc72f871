import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { sanitizer } from '../src/sanitizer/index.js'
import { cidOf, functionStore } from '../src/store/index.js'
import { functionStoreContract } from './contracts/function-store.js'
import { tempDir, wasm } from './support/paths.js'
import type { FunctionStore } from '../src/store/index.js'

describe('function store (on disk)', function () {
  const s = sanitizer()({ logger: defaultLogger() })
  after(async function () { await s.stop() })

  const open = async (dir: string): Promise<FunctionStore> => {
    const store = functionStore({ dataDir: dir })({ logger: defaultLogger(), sanitizer: s })
    await store.start()
    return store
  }

  functionStoreContract({ open, tempDir })

  it('stores the original bytes under their CID and rebuilds a lost runnable form from them', async function () {
    const dir = await tempDir()
    try {
      const store = await open(dir.path)
      const { cid } = await store.deploy('hello', wasm('hello'))
      expect(cid).to.equal(await cidOf(wasm('hello')))
      expect(await readdir(join(dir.path, 'functions', 'modules'))).to.deep.equal([`${cid}.wasm`])
      await rm(join(dir.path, 'functions', 'runnable'), { recursive: true })
      await store.stop()
      const reopened = await open(dir.path)
      const runnable = await reopened.loadRunnable(cid)
      expect(WebAssembly.Module.exports(new WebAssembly.Module(runnable.bytes as Uint8Array<ArrayBuffer>)).map((e) => e.name)).to.include('__faasmesh_fuel')
      await reopened.stop()
    } finally {
      await dir.cleanup()
    }
  })
  it('re-sanitizes a stored module when the node\'s caps change: a table cap lowered since deploy holds', async function () {
    const dir = await tempDir()
    try {
      const bomb = wasm('hostile/table-bomb')
      const lifted = functionStore({ dataDir: dir.path, maxTableEntries: 10_000_000 })({ logger: defaultLogger(), sanitizer: s })
      await lifted.start()
      const { cid } = await lifted.deploy('bomb', bomb)
      expect((await lifted.loadRunnable(cid)).bytes.byteLength).to.be.greaterThan(0)
      await lifted.stop()
      const lowered = await open(dir.path)
      try {
        await lowered.loadRunnable(cid)
        expect.fail('the module was loaded under the cap it was deployed with')
      } catch (err: any) {
        expect(err.name).to.equal('InvalidModuleError')
        expect(err.message).to.include('executor.maxTableEntries')
      }
      await lowered.stop()
    } finally {
      await dir.cleanup()
    }
  })
})

describe('function store cache of fetched modules', function () {
  const s = sanitizer()({ logger: defaultLogger() })
  after(async function () { await s.stop() })

  it('keeps fetched modules within the byte budget, least recently used out first, deployed ones pinned', async function () {
    const dir = await tempDir()
    const [fib, stats, words, hello] = ['fib', 'sensor-stats', 'wordcount', 'hello'].map((n) => wasm(n)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array]
    // room for two of the three cached modules (18-23 KB each)
    const store = functionStore({ dataDir: dir.path, maxCacheBytes: 45_000 })({ logger: defaultLogger(), sanitizer: s })
    await store.start()
    try {
      const evicted: string[] = []
      store.addEventListener('function:evicted', (evt) => { evicted.push(evt.detail.cid) })
      await store.deploy('hello', hello)
      const fibCid = await store.putCached(fib)
      const statsCid = await store.putCached(stats)
      await new Promise((resolve) => setTimeout(resolve, 5))
      store.touch(fibCid) // fib is now more recently used than sensor-stats
      const wordsCid = await store.putCached(words)
      expect(evicted).to.deep.equal([statsCid])
      expect(store.has(statsCid)).to.equal(false)
      expect(store.has(fibCid) && store.has(wordsCid)).to.equal(true)
      const list = await store.list()
      expect(list.find((f) => f.names.includes('hello'))).to.include({ origin: 'local', pinned: true })
      expect(list.find((f) => f.cid === fibCid)).to.include({ origin: 'cached', pinned: false })
      // an evicted module's files are gone, and it is served to nobody
      expect(await store.getOriginal(statsCid)).to.equal(undefined)
      // deploying a cached module here pins it
      await store.deploy('fib', fib)
      expect((await store.list()).find((f) => f.cid === fibCid)).to.include({ origin: 'local', pinned: true })
      // origins survive a restart
      await store.stop()
      const reopened = functionStore({ dataDir: dir.path, maxCacheBytes: 45_000 })({ logger: defaultLogger(), sanitizer: s })
      await reopened.start()
      expect((await reopened.list()).find((f) => f.cid === wordsCid)).to.include({ origin: 'cached' })
      await reopened.stop()
    } finally {
      await dir.cleanup()
    }
  })
})
