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
})
