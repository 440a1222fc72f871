/**
 * Fuel bills bulk work and tables bound their growth, end to end: modules sanitized for real and
 * run by the executor, so the outcome is the named error a caller sees.
 */
import { expect } from 'chai'
import type { Executor, RunnableModule } from '../src/executor/index.js'
import { sanitize } from '../src/sanitizer/sanitize.js'
import { BULK_FUEL_PER_BYTE, TABLE_GROW_FUEL_PER_ENTRY } from '../src/sanitizer/constants.js'
import { expectError } from './contracts/executor.js'
import { wasm } from './support/paths.js'
import { startExecutor } from './support/executors.js'
import { ABI_RUNTIME_EXPORTS, MEMORY_IMPORT, wat } from './support/wat.js'

const LIMITS = { maxModuleBytes: 4 << 20, memoryPages: 256 }
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/**
 * `handle` reads a decimal length from its input and runs `op` with it once (in `$n`), after
 * growing the memory to 16 MiB. The input is parsed by hand: these modules have no runtime.
 */
const bulk = (op: string, declarations = ''): RunnableModule => sanitize(wat(`(module ${MEMORY_IMPORT} ${declarations}
  (func $handle (export "handle") (param $input i32) (result i32) (local $n i32) (local $i i32) (local $len i32)
    (local.set $len (i32.load (i32.sub (local.get $input) (i32.const 4))))
    (loop $digits
      (if (i32.lt_u (local.get $i) (local.get $len)) (then
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
          (i32.sub (i32.load8_u (i32.add (local.get $input) (local.get $i))) (i32.const 48))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digits))))
    (if (i32.eq (memory.grow (i32.const 255)) (i32.const -1)) (then (unreachable)))
    ${op}
    (local.get $input))
  (func $new (param $size i32) (param $id i32) (result i32)
    ;; an AssemblyScript-like header: the payload at 16, its size at 12
    (i32.store (i32.const 12) (local.get $size)) (i32.store (i32.const 8) (local.get $id)) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (export "__new" (func $new)) (export "__pin" (func $pin)) (export "__unpin" (func $unpin))
  (export "memory" (memory $mem)))`), LIMITS)

const MODULES: Record<string, RunnableModule> = {
  fill: bulk('(memory.fill (i32.const 4096) (i32.const 7) (local.get $n))'),
  copy: bulk('(memory.copy (i32.const 8388608) (i32.const 4096) (local.get $n))'),
  init: bulk('(memory.init $seg (i32.const 4096) (i32.const 0) (local.get $n))', `(data $seg "${'x'.repeat(65536)}")`),
  'table-grow': bulk('(if (i32.eq (table.grow $t (ref.null func) (local.get $n)) (i32.const -1)) (then (unreachable)))', '(table $t 1 funcref)'),
  'fill-bomb': sanitize(wasm('hostile/fill-bomb'), LIMITS),
  'copy-bomb': sanitize(wasm('hostile/copy-bomb'), LIMITS),
  'table-grow-loop': sanitize(wasm('hostile/table-grow-loop'), LIMITS),
  'table-grow-loop-100': sanitize(wasm('hostile/table-grow-loop'), { ...LIMITS, maxTableEntries: 100 }),
  'name-collision': sanitize(wasm('hostile/name-collision'), LIMITS)
}

async function start (limits: { fuel?: number, timeoutMs?: number }): Promise<Executor> {
  return startExecutor(MODULES, { slots: 1, spares: 0, limits: { memoryPages: 256, ...limits } })
}

describe('fuel for bulk work and bounded tables (through the executor)', function () {
  this.timeout(60_000)
  let exec: Executor
  let rich: Executor

  before(async function () {
    // the node's default budget (1e9), and one large enough to finish the bombs
    exec = await start({ timeoutMs: 20_000 })
    rich = await start({ fuel: 1e11, timeoutMs: 20_000 })
  })

  after(async function () {
    await exec?.stop()
    await rich?.stop()
  })

  // eight digits whatever the length: parsing the input costs the same fuel every time
  const fuel = async (name: string, n: number): Promise<number> => (await exec.invoke(name, enc(String(n).padStart(8, '0')))).fuelUsed

  for (const [name, small, large] of [['fill', 1e6, 16e6], ['copy', 5e5, 8e6], ['init', 4096, 65536], ['table-grow', 1000, 16000]] as const) {
    it(`${name} costs fuel in proportion to its length (${large} ~ ${large / small}x ${small})`, async function () {
      const rate = name === 'table-grow' ? TABLE_GROW_FUEL_PER_ENTRY : BULK_FUEL_PER_BYTE
      const none = await fuel(name, 0)
      const a = await fuel(name, small)
      const b = await fuel(name, large)
      expect(a - none).to.equal(small * rate)
      expect(b - none).to.equal(large * rate)
      expect(b / a).to.be.within(0.95 * large / small, large / small)
      // at least one unit per byte (or entry): the documented contract, whatever the constants say
      expect(b - none).to.be.at.least(large)
    })
  }

  it('200 fills of 16 MB exhaust the default budget: OutOfFuelError', async function () {
    const started = performance.now()
    await expectError(exec.invoke('fill-bomb', enc('')), 'OutOfFuelError')
    console.log(`      fill-bomb stopped after ${Math.round(performance.now() - started)} ms`)
  })

  it('400 copies of 8 MB exhaust the default budget: OutOfFuelError', async function () {
    await expectError(exec.invoke('copy-bomb', enc('')), 'OutOfFuelError')
  })

  it('with a budget large enough, the fill bomb runs and is billed for every byte', async function () {
    const { fuelUsed } = await rich.invoke('fill-bomb', enc(''))
    expect(fuelUsed).to.be.within(200 * 16e6 * BULK_FUEL_PER_BYTE, 200 * 16e6 * BULK_FUEL_PER_BYTE + 100_000)
  })

  it('a table grown in a loop stops at the node\'s cap, within the default budget: OutOfMemoryError', async function () {
    // the grow helper's refusal, not a sandbox V8 ended (which is an OutOfMemoryError too)
    const replaced = exec.stats().replaced
    const capHit = async (cid: string, input: string): Promise<void> => {
      const err = await expectError(exec.invoke(cid, enc(input)), 'OutOfMemoryError')
      expect(err.message).to.equal('the function exceeded its memory limit')
    }
    await capHit('table-grow-loop', '')
    // the same module sanitized for a node whose cap is 100 entries stops there
    await capHit('table-grow-loop-100', '')
    // one grow past the cap from a table at 1 entry: -1, then the guest traps
    await capHit('table-grow', '00065536')
    expect(exec.stats().replaced, 'no sandbox died').to.equal(replaced)
  })

  it('a module using the instrumenter\'s internal names runs', async function () {
    const { output } = await exec.invoke('name-collision', enc('hi'))
    expect(new TextDecoder().decode(output)).to.equal('hi')
  })
})
