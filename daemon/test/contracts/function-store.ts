/** The FunctionStore contract: every implementation passes these. */
import { expect } from 'chai'
import { wasm } from '../support/paths.js'
import { expectError } from './executor.js'
import type { FunctionStore } from '../../src/store/index.js'

export interface FunctionStoreSetup {
  /** A started store over `dir`; the same dir gives the same contents (a restart). */
  open(dir: string): Promise<FunctionStore>
  tempDir(): Promise<{ path: string, cleanup(): Promise<void> }>
}

export function functionStoreContract (setup: FunctionStoreSetup): void {
  describe('FunctionStore contract', function () {
    let dir: { path: string, cleanup(): Promise<void> }
    let store: FunctionStore

    beforeEach(async function () {
      dir = await setup.tempDir()
      store = await setup.open(dir.path)
    })

    afterEach(async function () {
      await store.stop()
      await dir.cleanup()
    })

    it('deploys a module under a name and its CID (CIDv1 raw sha2-256)', async function () {
      const deployed = await store.deploy('hello', wasm('hello'))
      expect(deployed).to.include({ name: 'hello', size: wasm('hello').byteLength, version: 1 })
      expect(deployed.cid).to.match(/^bafkrei[a-z2-7]{52}$/)
      expect(await store.resolve('hello')).to.equal(deployed.cid)
      expect(await store.resolve(deployed.cid)).to.equal(deployed.cid)
      expect(store.has(deployed.cid)).to.equal(true)
    })

    it('gives the same bytes the same CID, and different bytes a different one', async function () {
      const a = await store.deploy('a', wasm('hello'))
      const b = await store.deploy('b', wasm('hello'))
      const c = await store.deploy('c', wasm('fib'))
      expect(a.cid).to.equal(b.cid)
      expect(c.cid).to.not.equal(a.cid)
      const list = await store.list()
      expect(list).to.have.length(2)
      expect(list.find((f) => f.cid === a.cid)?.names).to.deep.equal(['a', 'b'])
    })

    it('rebinds a name on redeploy and bumps its version', async function () {
      await store.deploy('fn', wasm('hello'))
      const second = await store.deploy('fn', wasm('fib'))
      expect(second.version).to.equal(2)
      expect(await store.resolve('fn')).to.equal(second.cid)
    })

    it('keeps modules, names and versions across a restart', async function () {
      const deployed = await store.deploy('hello', wasm('hello'))
      await store.deploy('hello', wasm('hello'))
      await store.stop()
      store = await setup.open(dir.path)
      expect(await store.resolve('hello')).to.equal(deployed.cid)
      expect((await store.deploy('hello', wasm('hello'))).version).to.equal(3)
      const runnable = await store.loadRunnable(deployed.cid)
      expect(runnable.bytes.byteLength).to.be.greaterThan(0)
    })

    it('never lets a bad module in: the store is unchanged after each rejection', async function () {
      await store.deploy('hello', wasm('hello'))
      const before = await store.list()
      await expectError(store.deploy('bad', new TextEncoder().encode('not wasm')), 'InvalidModuleError')
      await expectError(store.deploy('bad', wasm('hostile/forbidden-import')), 'ForbiddenImportError')
      await expectError(store.deploy('hello', wasm('hostile/forbidden-import')), 'ForbiddenImportError')
      expect(await store.list()).to.deep.equal(before)
      await expectError(store.resolve('bad'), 'FunctionNotFoundError')
      expect(await store.resolve('hello')).to.equal(before[0]!.cid)
    })

    it('refuses invalid names with InvalidParametersError', async function () {
      for (const name of ['', 'Hello', '-x', 'a/b', 'a'.repeat(64), '../etc', 'héllo']) {
        await expectError(store.deploy(name, wasm('hello')), 'InvalidParametersError')
      }
      expect(await store.list()).to.deep.equal([])
    })

    it('fails unknown names and CIDs with FunctionNotFoundError', async function () {
      await expectError(store.resolve('nope'), 'FunctionNotFoundError')
      await expectError(store.resolve('bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u'), 'FunctionNotFoundError')
      await expectError(store.loadRunnable('bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u'), 'FunctionNotFoundError')
    })

    it('serialises concurrent deploys without losing a binding', async function () {
      const names = Array.from({ length: 8 }, (_, i) => `fn-${i}`)
      await Promise.all(names.map(async (n, i) => store.deploy(n, wasm(i % 2 === 0 ? 'hello' : 'fib'))))
      await store.stop()
      store = await setup.open(dir.path)
      for (const n of names) expect(await store.resolve(n)).to.be.a('string')
    })
  })
}
