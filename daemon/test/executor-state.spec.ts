/**
 * The guest state API through the real executor (sandbox processes): the snapshot goes in, the
 * write set comes out after a normal return only, the caps and keys are checked inside the guest
 * call, and a guest's garbage pointers end its call, never the sandbox.
 */
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { run } from '../src/executor/run.js'
import { STATE_IMPORTS } from '../src/executor/state-imports.js'
import { sanitize } from '../src/sanitizer/sanitize.js'
import { ALLOWED_FUNCTION_IMPORTS, sanitizer } from '../src/sanitizer/index.js'
import { MAX_ENTRIES, MAX_ENTRY_KEY_BYTES } from '../src/state/constants.js'
import { expectError } from './contracts/executor.js'
import { startExecutor } from './support/executors.js'
import { wasm } from './support/paths.js'
import { ABI_EXPORTS, MEMORY_IMPORT, wat } from './support/wat.js'
import type { Executor, InvokeResult, RunnableModule } from '../src/executor/index.js'
import type { RunRequest } from '../src/executor/messages.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const LIMITS = { maxModuleBytes: 4 << 20, memoryPages: 256 }
const sanitized = (name: string): RunnableModule => sanitize(wasm(name), LIMITS)
const MAX_BYTES = 1 << 20

/** A state from text values. */
function entries (values: Record<string, string> = {}): Map<string, Uint8Array> {
  return new Map(Object.entries(values).map(([k, v]) => [k, enc(v)]))
}

/** A write set as text, `null` for a delete. */
function text (writes: InvokeResult['writes']): Record<string, string | null> {
  expect(writes, 'a call with state returns its writes').to.be.instanceOf(Map)
  return Object.fromEntries([...writes!].map(([k, v]) => [k, v == null ? null : dec(v)]))
}

describe('executor: the guest state API', function () {
  let exec: Executor
  const NAMES = ['counter', 'sensor-baseline', 'hello', 'fixtures/state-ops', 'fixtures/state-copy', 'hostile/state-trap', 'hostile/state-bomb', 'hostile/state-garbage']

  before(async function () {
    const modules = Object.fromEntries(NAMES.map((n) => [n, sanitized(n)]))
    // one slot, no spare: every call goes to the same sandbox, so "keeps serving" means that one
    exec = await startExecutor(modules, { slots: 1, spares: 0, limits: { timeoutMs: 10_000 } })
  })

  after(async function () {
    await exec?.stop()
  })

  const call = async (cid: string, input: string, state?: Map<string, Uint8Array>, maxBytes = MAX_BYTES, limits = {}): Promise<InvokeResult> =>
    exec.invoke(cid, enc(input), { limits, ...(state != null ? { state: { entries: state, maxBytes } } : {}) })

  describe('reads and writes', function () {
    it('counter: the snapshot goes in, the new count comes out as a write', async function () {
      const first = await call('counter', '', entries())
      expect(dec(first.output)).to.equal('1')
      expect(text(first.writes)).to.deep.equal({ count: '1' })

      const snapshot = entries({ count: '41', other: 'x'.repeat(10_000) })
      const next = await call('counter', '5', snapshot, MAX_BYTES, { maxInputBytes: 16 })
      expect(dec(next.output)).to.equal('46')
      // only what changed, and the caller's snapshot is not touched
      expect(text(next.writes)).to.deep.equal({ count: '46' })
      expect(dec(snapshot.get('count')!)).to.equal('41')
    })

    it('get, has, delete and keys see the snapshot and the invocation\'s own writes', async function () {
      const script = ['get a', 'del b', 'get b', 'has b', 'has a', 'set c 3', 'set ü é', 'keys', 'del nope', 'get c', 'set empty ', 'get empty'].join('\n')
      const result = await call('fixtures/state-ops', script, entries({ a: '1', b: '2', z: '26' }))
      expect(JSON.parse(dec(result.output))).to.deep.equal(['1', null, false, true, ['a', 'c', 'z', 'ü'], '3', ''])
      // deleting an absent key writes nothing; an empty value is a value
      expect(text(result.writes)).to.deep.equal({ b: null, c: '3', ü: 'é', empty: '' })
      expect(result.writes!.get('c')).to.be.instanceOf(Uint8Array)
    })

    it('a key set then deleted leaves as a delete, a key deleted then set as its value', async function () {
      const result = await call('fixtures/state-ops', 'set n 1\ndel n\ndel a\nset a 2\nkeys', entries({ a: '1' }))
      expect(JSON.parse(dec(result.output))).to.deep.equal([['a']])
      expect(text(result.writes)).to.deep.equal({ n: null, a: '2' })
    })

    it('a call without state returns no writes; with state and no write, an empty set', async function () {
      expect((await call('hello', 'x')).writes).to.equal(undefined)
      expect((await call('hello', 'x', entries({ a: '1' }))).writes).to.deep.equal(new Map())
    })
  })

  describe('transactions', function () {
    it('a trap or an abort after a write returns no writes, only GuestTrapError', async function () {
      const snapshot = entries({ count: '1', keep: 'yes' })
      const aborted = await expectError(call('hostile/state-trap', '', snapshot), 'GuestTrapError')
      expect(aborted.message).to.include('failing after a write')
      expect(aborted).to.not.have.property('writes')
      const trapped = await expectError(call('hostile/state-trap', 'unreachable', snapshot), 'GuestTrapError')
      expect(trapped).to.not.have.property('writes')
      expect(dec(snapshot.get('count')!)).to.equal('1')
    })

    it('the sandbox answers a failed call with no write set at all', function () {
      const module = sanitized('hostile/state-trap')
      const request: RunRequest = {
        cid: 'state-trap-direct',
        code: module.bytes,
        drop: [],
        memory: { initialPages: module.memory.initialPages, maximumPages: 16 },
        input: enc(''),
        fuel: 1e9,
        maxOutputBytes: 1024,
        context: { seed: 1, nowMs: 0 },
        extraMsPerFuel: 0,
        state: { entries: [['count', enc('1')]], maxBytes: MAX_BYTES }
      }
      const response = run(request)
      expect(response.ok).to.equal(false)
      expect(response).to.not.have.property('writes')
    })
  })

  describe('caps and keys', function () {
    it('refuses values past state.maxBytes with StateTooLargeError', async function () {
      const err = await expectError(call('hostile/state-bomb', '', entries()), 'StateTooLargeError')
      expect(err.message).to.include(String(MAX_BYTES))
    })

    it(`refuses more than ${MAX_ENTRIES} keys with StateTooLargeError`, async function () {
      const err = await expectError(call('hostile/state-bomb', 'keys', entries()), 'StateTooLargeError')
      expect(err.message).to.include(String(MAX_ENTRIES))
    })

    it('counts keys and values, replaced values by their new size, up to the cap exactly', async function () {
      // maxBytes 10: "k" + 8 bytes is 9; a 9-byte value makes it 10, the cap
      const snapshot = entries({ k: '12345678' })
      const atCap = await call('fixtures/state-ops', 'set k 123456789', snapshot, 10)
      expect(text(atCap.writes)).to.deep.equal({ k: '123456789' })
      await expectError(call('fixtures/state-ops', 'set k 1234567890', snapshot, 10), 'StateTooLargeError')
      // a smaller value frees room for another key; a deleted key frees all of its own
      const shrunk = await call('fixtures/state-ops', 'set k 1\nset j 1234567', snapshot, 10)
      expect(text(shrunk.writes)).to.deep.equal({ k: '1', j: '1234567' })
      await expectError(call('fixtures/state-ops', 'set k 1\nset j 12345678', snapshot, 10), 'StateTooLargeError')
      const freed = await call('fixtures/state-ops', 'del k\nset j 123456789', snapshot, 10)
      expect(text(freed.writes)).to.deep.equal({ k: null, j: '123456789' })
    })

    it('refuses an empty key, a key over 256 bytes and a key that is not UTF-8 with InvalidStateKeyError', async function () {
      const longest = 'é'.repeat(MAX_ENTRY_KEY_BYTES / 2)
      const ok = await call('fixtures/state-ops', `set ${longest} v`, entries())
      expect(text(ok.writes)).to.deep.equal({ [longest]: 'v' })
      for (const script of ['set  v', 'get ', 'del ', `set ${longest}x v`, `get ${'a'.repeat(MAX_ENTRY_KEY_BYTES + 1)}`, 'lone']) {
        const err = await expectError(call('fixtures/state-ops', script, entries()), 'InvalidStateKeyError')
        expect(err.message, script).to.match(/1-256 bytes|UTF-8/)
      }
    })

    it('without a state, a state call fails with InvalidStateKeyError naming the header', async function () {
      const err = await expectError(call('counter', ''), 'InvalidStateKeyError')
      expect(err.message).to.include('x-faasmesh-state-key')
    })

    it('bytes moved through the state imports pay a fuel unit each, and can exhaust the budget', async function () {
      const snapshot = new Map([['k', new Uint8Array(30_000).fill(7)]])
      const fuel = async (op: string): Promise<number> => (await call('fixtures/state-copy', op, snapshot)).fuelUsed
      // the same guest instructions, with and without the copy
      expect(await fuel('g') - await fuel('l')).to.equal(30_000)
      expect(await fuel('s') - await fuel('z')).to.equal(40_000)
      // one unit short of what the copy costs
      await expectError(call('fixtures/state-copy', 'g', snapshot, MAX_BYTES, { fuel: await fuel('g') - 1 }), 'OutOfFuelError')
      await call('fixtures/state-copy', 'g', snapshot, MAX_BYTES, { fuel: await fuel('g') })
    })
  })

  describe('a hostile guest', function () {
    it('garbage pointers and lengths end the call with GuestTrapError, and the sandbox keeps serving', async function () {
      const before = exec.stats().replaced
      for (const op of ['0', '1', '2', '3', '4', '5', '6']) {
        const err = await expectError(call('hostile/state-garbage', op, entries({ k: 'v' })), 'GuestTrapError')
        expect(err.message, `op ${op}`).to.include('outside the guest\'s memory')
        expect(dec((await call('counter', '', entries({ count: '1' }))).output)).to.equal('2')
      }
      // the same call with sane input returns its input untouched
      expect(dec((await call('hostile/state-garbage', 'x', entries())).output)).to.equal('x')
      expect(exec.stats().replaced).to.equal(before)
    })
  })

  describe('sensor-baseline', function () {
    it('keeps a running mean per sensor and flags a reading far from it after 5 readings', async function () {
      let state = entries()
      const send = async (input: string): Promise<any> => {
        const result = await call('sensor-baseline', input, state)
        const next = new Map(state)
        for (const [k, v] of result.writes!) {
          if (v == null) next.delete(k)
          else next.set(k, v)
        }
        state = next
        return JSON.parse(dec(result.output))
      }
      // no anomaly before the baseline has 5 readings, however far a reading is
      for (const value of [21, 21.2, 30, 500]) expect((await send(JSON.stringify({ sensor: 's1', value }))).anomaly, String(value)).to.equal(false)
      state = entries()
      const steady = [21.0, 21.2, 20.9, 21.1, 21.0, 20.8, 21.2, 21.1, 20.9, 21.0]
      for (const [i, value] of steady.entries()) {
        const out = await send(JSON.stringify({ sensor: 's1', value }))
        expect(out.anomaly, `reading ${i}`).to.equal(false)
        expect(out.count).to.equal(i + 1)
      }
      const normal = await send('{"sensor":"s1","value":21.3}')
      expect(normal.anomaly).to.equal(false)
      const spike = await send('{"sensor":"s1","value":25}')
      expect(spike).to.include({ sensor: 's1', value: 25, anomaly: true, count: 12 })
      expect(spike.z).to.be.above(3)
      // the mean before the spike was 21.04; it moved towards 25
      expect(spike.mean).to.be.within(21.2, 21.5)
      // other sensors keep their own baseline, under their own key
      const other = await send('7')
      expect(other).to.include({ sensor: 'default', value: 7, mean: 7, count: 1, anomaly: false, z: 0 })
      expect([...state.keys()].sort()).to.deep.equal(['baseline:default', 'baseline:s1'])
      expect(state.get('baseline:s1')!.byteLength).to.equal(24)
    })
  })

  describe('the sanitizer', function () {
    it('allows every state import the host provides', function () {
      expect(ALLOWED_FUNCTION_IMPORTS.faasmesh).to.include.members([...STATE_IMPORTS])
    })

    it('accepts modules importing the state API and still refuses an unknown faasmesh import', async function () {
      const s = sanitizer()({ logger: defaultLogger() })
      try {
        for (const name of ['counter', 'sensor-baseline', 'hostile/state-garbage']) {
          const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm(name) as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}`)
          expect(imports.some((i) => i.startsWith('faasmesh.state_')), name).to.equal(true)
          await s.sanitize(wasm(name), LIMITS)
        }
        for (const name of ['state_exec', 'state_get_all', 'State_get']) {
          const bytes = wat(`(module ${MEMORY_IMPORT} (import "faasmesh" "${name}" (func $f (param i32 i32) (result i32))) ${ABI_EXPORTS})`)
          const err = await expectError(s.sanitize(bytes, LIMITS), 'ForbiddenImportError')
          expect(err.message).to.include(`faasmesh.${name}`)
        }
      } finally {
        await s.stop()
      }
    })
  })
})
