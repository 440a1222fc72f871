/**
 * The sanitizer's static bounds (docs/sandbox.md, "Bounds") and the rewrite of tables, grows and
 * bulk memory operations. Unit tests of the pure `sanitize()`; one case goes through the
 * sanitizer service to show the named error survives its process boundary.
 */
import { defaultLogger } from '@libp2p/logger'
import binaryen from 'binaryen'
import { expect } from 'chai'
import { checkBounds } from '../src/sanitizer/bounds.js'
import { DEFAULT_MAX_TABLE_ENTRIES, MODULE_BOUNDS, sanitizer } from '../src/sanitizer/index.js'
import { sanitize, type SanitizeLimits } from '../src/sanitizer/sanitize.js'
import { hostileModule, manyFunctions } from './support/hostile-modules.js'
import { wasm } from './support/paths.js'
import { ABI_RUNTIME_EXPORTS, MEMORY_IMPORT, wat } from './support/wat.js'
import type { HostileModuleParts } from './support/hostile-modules.js'

const LIMITS: SanitizeLimits = { maxModuleBytes: 4 << 20, memoryPages: 256 }
const I32 = 0x7f
/** The ABI's own functions (`__new`, `__pin`, `__unpin`, `handle`) and exports (those and `memory`). */
const ABI_FUNCTIONS = 4
const ABI_EXPORTS = 5

/** Runs `sanitize` and returns the error it throws, or fails the test. */
function refusal (bytes: Uint8Array, limits: SanitizeLimits = LIMITS): Error {
  try {
    sanitize(bytes, limits)
  } catch (err: any) {
    return err
  }
  throw new Error('expected the module to be refused')
}

function expectRefused (bytes: Uint8Array, ...mentions: string[]): Error {
  const err = refusal(bytes)
  expect(err.name, err.message).to.equal('InvalidModuleError')
  for (const m of mentions) expect(err.message).to.include(m)
  return err
}

/** A module with the ABI runtime exports and this `handle` body (param $input i32, result i32). */
const module = (declarations: string, handleBody = ''): Uint8Array => wat(`(module ${MEMORY_IMPORT} ${declarations}
  (func $handle (export "handle") (param $input i32) (result i32) ${handleBody} (local.get $input))
  ${ABI_RUNTIME_EXPORTS})`)

/** Each table of instrumented bytes: its initial size and maximum. */
function tablesOf (bytes: Uint8Array): Array<{ initial: number, max?: number }> {
  const m = binaryen.readBinaryWithFeatures(bytes, binaryen.Features.All)
  try {
    const tables = []
    for (let i = 0; i < m.getNumTables(); i++) {
      const { initial, max } = binaryen.getTableInfo(m.getTableByIndex(i)) as { initial: number, max?: number }
      tables.push({ initial, max })
    }
    return tables
  } finally {
    m.dispose()
  }
}

/** Instantiates sanitized bytes directly (no executor) with a budget, for structural checks. */
function instantiate (bytes: Uint8Array, fuel = 10n ** 12n): Record<string, any> {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 256 })
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { memory } }).exports as Record<string, any>
  exports.__faasmesh_fuel.value = fuel
  return exports
}

describe('sanitizer bounds', function () {
  describe('tables', function () {
    it('refuses the table bomb (5,000,000 entries) naming the limit, before V8 sees it', function () {
      const err = expectRefused(wasm('hostile/table-bomb'), '5000000', 'table 0', String(DEFAULT_MAX_TABLE_ENTRIES), 'executor.maxTableEntries')
      expect(err.message).to.match(/^module declares/)
      // by the structural check on the raw bytes, before V8 compiles or binaryen reads them
      expect(() => checkBounds(wasm('hostile/table-bomb'), MODULE_BOUNDS, DEFAULT_MAX_TABLE_ENTRIES)).to.throw(/5000000 entries in table 0/)
    })

    it('refuses the table bomb through the sanitizer service with the same named error', async function () {
      this.timeout(30_000)
      const s = sanitizer()({ logger: defaultLogger() })
      try {
        const err = await s.sanitize(wasm('hostile/table-bomb'), LIMITS).then(() => undefined, (e: Error) => e)
        expect(err?.name).to.equal('InvalidModuleError')
        expect(err?.message).to.include('executor.maxTableEntries')
      } finally {
        await s.stop()
      }
    })

    it('accepts a table of exactly the limit and refuses one entry more; the limit is the node\'s', function () {
      expect(tablesOf(sanitize(hostileModule({ tables: [{ initial: DEFAULT_MAX_TABLE_ENTRIES }] }), LIMITS).bytes)[0]!.initial).to.equal(DEFAULT_MAX_TABLE_ENTRIES)
      expectRefused(hostileModule({ tables: [{ initial: DEFAULT_MAX_TABLE_ENTRIES + 1 }] }), String(DEFAULT_MAX_TABLE_ENTRIES + 1))
      // a node configured higher (up to V8's 10 M) accepts what the default refuses
      const raised = sanitize(wasm('hostile/table-bomb'), { ...LIMITS, maxTableEntries: 10_000_000 })
      expect(tablesOf(raised.bytes)[0]).to.deep.equal({ initial: 5_000_000, max: 10_000_000 })
      const err = refusal(hostileModule({ tables: [{ initial: 11 }] }), { ...LIMITS, maxTableEntries: 10 })
      expect(err.message).to.include('the limit is 10')
    })

    it('imposes a maximum on a table without one, and lowers a larger one', function () {
      const bytes = hostileModule({ tables: [{ initial: 1 }, { initial: 2, maximum: 1_000_000 }, { initial: 3, maximum: 7 }] })
      expect(tablesOf(sanitize(bytes, LIMITS).bytes)).to.deep.equal([
        { initial: 1, max: DEFAULT_MAX_TABLE_ENTRIES },
        { initial: 2, max: DEFAULT_MAX_TABLE_ENTRIES },
        { initial: 3, max: 7 }
      ])
    })

    it('routes table.grow through a helper: -1 and the out-of-memory flag past the cap, fuel per entry', function () {
      // handle(n) grows the table by n and returns what table.grow returned
      const exports = instantiate(sanitize(wat(`(module ${MEMORY_IMPORT} (table $t 1 funcref)
        (func $handle (export "handle") (param $input i32) (result i32) (table.grow $t (ref.null func) (local.get $input)))
        ${ABI_RUNTIME_EXPORTS})`), { ...LIMITS, maxTableEntries: 100 }).bytes)
      const before = exports.__faasmesh_fuel.value as bigint
      expect(exports.handle(10)).to.equal(1) // the old size
      const charged = Number(before - (exports.__faasmesh_fuel.value as bigint))
      expect(charged).to.be.within(10 * 4096, 10 * 4096 + 100)
      expect(exports.__faasmesh_oom.value).to.equal(0)
      expect(exports.handle(90)).to.equal(-1) // 11 + 90 > 100
      expect(exports.__faasmesh_oom.value).to.equal(1)
      expect(exports.handle(89)).to.equal(11) // exactly to the cap
    })

    it('refuses table.fill, which the metering cannot bill, by name', function () {
      expectRefused(wasm('hostile/table-fill'), 'table.fill')
    })

    it('refuses more tables than the bound', function () {
      const tables = Array.from({ length: MODULE_BOUNDS.maxTables + 1 }, () => ({ initial: 1 }))
      expectRefused(hostileModule({ tables }), `${MODULE_BOUNDS.maxTables + 1} tables`, `the limit is ${MODULE_BOUNDS.maxTables}`)
    })
  })

  describe('what a module declares', function () {
    // each case: the parts that reach the bound exactly, the parts one past it, and what the message names
    const cases: Array<{ bound: keyof typeof MODULE_BOUNDS, at: HostileModuleParts, over: HostileModuleParts, names: string }> = [
      { bound: 'maxFunctions', at: { functions: MODULE_BOUNDS.maxFunctions - ABI_FUNCTIONS }, over: { functions: MODULE_BOUNDS.maxFunctions - ABI_FUNCTIONS + 1 }, names: 'functions' },
      { bound: 'maxImports', at: { imports: MODULE_BOUNDS.maxImports - 1 }, over: { imports: MODULE_BOUNDS.maxImports }, names: 'imports' },
      { bound: 'maxTypes', at: { types: MODULE_BOUNDS.maxTypes - 5 }, over: { types: MODULE_BOUNDS.maxTypes - 4 }, names: 'function types' },
      { bound: 'maxGlobals', at: { globals: MODULE_BOUNDS.maxGlobals }, over: { globals: MODULE_BOUNDS.maxGlobals + 1 }, names: 'globals' },
      { bound: 'maxExports', at: { functions: 1, exports: MODULE_BOUNDS.maxExports - ABI_EXPORTS }, over: { functions: 1, exports: MODULE_BOUNDS.maxExports - ABI_EXPORTS + 1 }, names: 'exports' },
      { bound: 'maxElementSegments', at: { tables: [{ initial: 1 }], elements: { segments: MODULE_BOUNDS.maxElementSegments, entries: 0 } }, over: { tables: [{ initial: 1 }], elements: { segments: MODULE_BOUNDS.maxElementSegments + 1, entries: 0 } }, names: 'element segments' },
      { bound: 'maxElements', at: { tables: [{ initial: MODULE_BOUNDS.maxElements }], elements: { segments: 1, entries: MODULE_BOUNDS.maxElements } }, over: { tables: [{ initial: 1 }], elements: { segments: 1, entries: MODULE_BOUNDS.maxElements + 1 } }, names: 'table elements' },
      { bound: 'maxDataSegments', at: { dataSegments: MODULE_BOUNDS.maxDataSegments }, over: { dataSegments: MODULE_BOUNDS.maxDataSegments + 1 }, names: 'data segments' },
      { bound: 'maxLocalsPerFunction', at: { functions: 1, locals: [[MODULE_BOUNDS.maxLocalsPerFunction - 1, I32], [1, 0x7e]] }, over: { functions: 1, locals: [[MODULE_BOUNDS.maxLocalsPerFunction, I32], [1, 0x7e]] }, names: 'locals in function body' },
      { bound: 'maxLocals', at: { functions: MODULE_BOUNDS.maxLocals / MODULE_BOUNDS.maxLocalsPerFunction, locals: [[MODULE_BOUNDS.maxLocalsPerFunction, I32]] }, over: { functions: MODULE_BOUNDS.maxLocals / MODULE_BOUNDS.maxLocalsPerFunction + 1, locals: [[MODULE_BOUNDS.maxLocalsPerFunction, I32]] }, names: 'locals (over all functions)' }
    ]

    for (const { bound, at, over, names } of cases) {
      it(`${bound} (${MODULE_BOUNDS[bound]}): refused one past it, with a message naming it`, function () {
        // at the bound: the structural check passes and V8 accepts the module
        const ok = hostileModule(at)
        expect(() => checkBounds(ok, MODULE_BOUNDS, DEFAULT_MAX_TABLE_ENTRIES)).not.to.throw()
        expect(WebAssembly.validate(ok as Uint8Array<ArrayBuffer>), 'the module at the bound is valid Wasm').to.equal(true)
        expectRefused(hostileModule(over), names, `the limit is ${MODULE_BOUNDS[bound]}`)
      })
    }

    it('sanitizes a module at several bounds at once', function () {
      const result = sanitize(hostileModule({ functions: 100, globals: MODULE_BOUNDS.maxGlobals, exports: 100, dataSegments: 100, types: 100, tables: [{ initial: 4 }], elements: { segments: 2, entries: 2 } }), LIMITS)
      expect(result.bytes.byteLength).to.be.greaterThan(0)
    })

    it('refuses the 950,000-function module (3.8 MB) in well under 10 s', function () {
      const bytes = manyFunctions(950_000)
      expect(bytes.byteLength).to.be.within(3_700_000, 4 << 20)
      const started = performance.now()
      expectRefused(bytes, '950004 functions', `the limit is ${MODULE_BOUNDS.maxFunctions}`)
      const ms = performance.now() - started
      console.log(`      950,000-function module refused in ${ms.toFixed(1)} ms`)
      expect(ms).to.be.below(5_000)
    })

    it('refuses malformed section headers and truncated vectors with InvalidModuleError', function () {
      const good = hostileModule({ functions: 3 })
      for (const cut of [9, 12, 30, good.byteLength - 1]) expectRefused(good.slice(0, cut))
      // a section size running past the end of the module
      expectRefused(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'unexpected end')
      // a LEB128 longer than 5 bytes
      expectRefused(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x03, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 'integer too')
    })
  })

  describe('the rewrite', function () {
    it('accepts a module that uses the instrumenter\'s own internal names, and runs it', function () {
      const exports = instantiate(sanitize(wasm('hostile/name-collision'), LIMITS).bytes)
      expect(exports.handle(16)).to.equal(16)
      expect(exports.__faasmesh_oom.value).to.equal(0)
    })

    it('keeps the evaluation order of bulk operands (each a call with a side effect)', function () {
      // each operand appends its letter to memory at 1000 + n; the fill then writes 3 bytes of 0x21
      const exports = instantiate(sanitize(module(`
        (global $n (mut i32) (i32.const 0))
        (func $mark (param $c i32) (param $v i32) (result i32)
          (i32.store8 (i32.add (i32.const 1000) (global.get $n)) (local.get $c))
          (global.set $n (i32.add (global.get $n) (i32.const 1)))
          (local.get $v))`, `
        (memory.fill (call $mark (i32.const 97) (i32.const 2000)) (call $mark (i32.const 98) (i32.const 33)) (call $mark (i32.const 99) (i32.const 3)))
        (memory.copy (call $mark (i32.const 100) (i32.const 3000)) (call $mark (i32.const 101) (i32.const 2000)) (call $mark (i32.const 102) (i32.const 3)))`), LIMITS).bytes)
      exports.handle(0)
      const mem = new Uint8Array((exports.memory as WebAssembly.Memory).buffer)
      expect(new TextDecoder().decode(mem.subarray(1000, 1006))).to.equal('abcdef')
      expect([...mem.subarray(3000, 3004)]).to.deep.equal([33, 33, 33, 0])
    })

    it('charges memory.fill, memory.copy and memory.init per byte, before the work', function () {
      const exports = instantiate(sanitize(module(`(data $seg "${'x'.repeat(4096)}")
        (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 1) (local.get 0)))
        (func (export "copy") (param i32) (memory.copy (i32.const 0) (i32.const 8) (local.get 0)))
        (func (export "init") (param i32) (memory.init $seg (i32.const 0) (i32.const 0) (local.get 0)))`), LIMITS).bytes)
      const cost = (name: string, n: number): number => {
        const before = exports.__faasmesh_fuel.value as bigint
        exports[name](n)
        return Number(before - (exports.__faasmesh_fuel.value as bigint))
      }
      for (const name of ['fill', 'copy', 'init']) {
        const base = cost(name, 0)
        expect(cost(name, 4096) - base, name).to.equal(4096)
        expect(cost(name, 1) - base, name).to.equal(1)
      }
      // not enough fuel: the trap comes before a byte is written
      exports.__faasmesh_fuel.value = 1000n
      expect(() => exports.fill(60_000)).to.throw(WebAssembly.RuntimeError)
      expect(new Uint8Array((exports.memory as WebAssembly.Memory).buffer)[10_000]).to.equal(0)
    })

    it('charges a loop no branch targets with the code around it (it runs once), and a targeted loop per iteration', function () {
      // fuel charges in the rewrite: each ends in a trap when the budget is gone
      const charges = (bytes: Uint8Array): number => {
        const m = binaryen.readBinaryWithFeatures(bytes, binaryen.Features.All)
        try {
          return m.emitText().split('\n').filter((line) => line.includes('i64.lt_s')).length
        } finally {
          m.dispose()
        }
      }
      const base = charges(sanitize(module(''), LIMITS).bytes)
      expect(charges(sanitize(module('', '(loop (drop (i32.const 1)))'.repeat(100)), LIMITS).bytes)).to.equal(base)
      expect(charges(sanitize(module('', '(loop $l (br_if $l (i32.const 0)))'.repeat(100)), LIMITS).bytes)).to.equal(base + 100)
    })

    it('refuses exception tags by name rather than failing validation', function () {
      const err = expectRefused(module('(tag $e (param i32))'), 'exception')
      expect(err.message).not.to.include('validation')
    })

    it('refuses tail calls by name rather than failing validation', function () {
      const err = expectRefused(module('(func $f (result i32) (i32.const 1)) (func $g (result i32) (return_call $f))'), 'return_call')
      expect(err.message).not.to.include('validation')
    })
  })
})
