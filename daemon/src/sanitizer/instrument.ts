/**
 * Fuel metering and memory-grow tracking, injected into a module's code with binaryen.
 *
 * The rewrite is deterministic and does not trust the publisher: every node instruments the
 * bytes it runs. What it adds:
 *
 * - a mutable i64 global exported as `__faasmesh_fuel`; every function entry and every loop
 *   iteration subtracts the static cost of the straight-line code it is about to run and traps
 *   (`unreachable`) once the budget drops below zero. The host sets the budget before a call and
 *   reads what is left afterwards, so `fuel used = budget - left`, identical on every node.
 * - every `memory.grow` goes through a helper that raises the exported i32 global
 *   `__faasmesh_oom` when the grow fails, so the host can tell a memory cap hit from any other
 *   `unreachable` trap.
 * - every table gets a maximum (its own or the node's cap, whichever is smaller), and every
 *   `table.grow` goes through a helper that refuses a grow past that cap (returns -1 and raises
 *   `__faasmesh_oom`) and charges fuel per entry added.
 * - every `memory.fill`, `memory.copy` and `memory.init` goes through a helper that charges fuel
 *   per byte of its length before doing the work.
 * - the start function (which would otherwise run, unmetered and unbounded, inside
 *   `new WebAssembly.Instance`) is unhooked and exported as `__faasmesh_start`, so the host
 *   calls it under the same fuel budget as `handle`.
 *
 * Cost model: one unit per expression node. Both arms of an `if` are charged at the enclosing
 * entry point, so the charge over-approximates and never depends on data. Bulk operations and
 * `table.grow` pay their node plus their length times a rate (constants.ts), charged inside the
 * helper from the length operand the guest passed: still the same on every node. The helpers
 * take the operation's operands as call arguments in the original order, so operand evaluation
 * order and side effects are unchanged.
 */
import binaryen from 'binaryen'
import { InvalidModuleError } from '../errors.js'
import {
  BULK_FUEL_PER_BYTE, DEFAULT_MAX_TABLE_ENTRIES, FUEL_GLOBAL_EXPORT, HELPER_NAME_PREFIX, INSTRUMENTER_VERSION,
  OOM_GLOBAL_EXPORT, START_EXPORT, TABLE_GROW_FUEL_PER_ENTRY
} from './constants.js'

/**
 * The Wasm features a function may use: what AssemblyScript emits and V8 in Node 20 runs.
 * Threads/atomics (shared memory), memory64, exceptions, GC and stack switching are refused:
 * they either break the memory cap or the metering's cost model.
 */
const SUPPORTED_FEATURES: number = binaryen.Features.MutableGlobals | binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SignExt | binaryen.Features.ReferenceTypes | binaryen.Features.Multivalue |
  binaryen.Features.CallIndirectOverlong

/** Which fields of each expression kind hold child expressions; `[]` marks a list field. */
const CHILD_FIELDS: Record<number, string[]> = {
  [binaryen.NopId]: [],
  [binaryen.BlockId]: ['children[]'],
  [binaryen.IfId]: ['condition', 'ifTrue', 'ifFalse'],
  [binaryen.LoopId]: ['body'],
  [binaryen.BreakId]: ['condition', 'value'],
  [binaryen.SwitchId]: ['condition', 'value'],
  [binaryen.CallId]: ['operands[]'],
  [binaryen.CallIndirectId]: ['target', 'operands[]'],
  [binaryen.LocalGetId]: [],
  [binaryen.LocalSetId]: ['value'],
  [binaryen.GlobalGetId]: [],
  [binaryen.GlobalSetId]: ['value'],
  [binaryen.LoadId]: ['ptr'],
  [binaryen.StoreId]: ['ptr', 'value'],
  [binaryen.ConstId]: [],
  [binaryen.UnaryId]: ['value'],
  [binaryen.BinaryId]: ['left', 'right'],
  [binaryen.SelectId]: ['ifTrue', 'ifFalse', 'condition'],
  [binaryen.DropId]: ['value'],
  [binaryen.ReturnId]: ['value'],
  [binaryen.MemorySizeId]: [],
  [binaryen.MemoryGrowId]: ['delta'],
  [binaryen.UnreachableId]: [],
  [binaryen.MemoryInitId]: ['dest', 'offset', 'size'],
  [binaryen.DataDropId]: [],
  [binaryen.MemoryCopyId]: ['dest', 'source', 'size'],
  [binaryen.MemoryFillId]: ['dest', 'value', 'size'],
  [binaryen.SIMDExtractId]: ['vec'],
  [binaryen.SIMDReplaceId]: ['vec', 'value'],
  [binaryen.SIMDShuffleId]: ['left', 'right'],
  [binaryen.SIMDTernaryId]: ['a', 'b', 'c'],
  [binaryen.SIMDShiftId]: ['vec', 'shift'],
  [binaryen.SIMDLoadId]: ['ptr'],
  [binaryen.SIMDLoadStoreLaneId]: ['ptr', 'vec'],
  [binaryen.RefNullId]: [],
  [binaryen.RefIsNullId]: ['value'],
  [binaryen.RefFuncId]: [],
  [binaryen.RefEqId]: ['left', 'right'],
  [binaryen.TableGetId]: ['index'],
  [binaryen.TableSetId]: ['index', 'value'],
  [binaryen.TableSizeId]: [],
  [binaryen.TableGrowId]: ['value', 'delta'],
  [binaryen.TupleMakeId]: ['operands[]'],
  [binaryen.TupleExtractId]: ['tuple']
}

/** binaryen's expression wrapper classes (`WRAPPERS[binaryen.LoopId]!.getBody!(expr)` ...) by expression id. */
const WRAPPERS: Record<number, Record<string, (...args: any[]) => any>> = {}
/** Instruction names by expression id, for refusals. */
const EXPRESSION_NAMES: Record<number, string> = {}
for (const [key, id] of Object.entries(binaryen)) {
  if (typeof id === 'number' && key.endsWith('Id') && !key.startsWith('_')) {
    EXPRESSION_NAMES[id] = key.slice(0, -2)
    const wrapper = (binaryen as any)[key.slice(0, -2)]
    if (wrapper != null) WRAPPERS[id] = wrapper
  }
}
// binaryen.js 131 reads these instructions but offers no way to build or inspect them, so the
// metering cannot bill their length: they are refused (AssemblyScript never emits them)
for (const [fn, name] of [['_BinaryenTableFillId', 'table.fill'], ['_BinaryenTableCopyId', 'table.copy'], ['_BinaryenTableInitId', 'table.init'], ['_BinaryenElemDropId', 'elem.drop']] as const) {
  EXPRESSION_NAMES[(binaryen as any)[fn]()] = name
}

// binaryen.js has these wrappers at runtime; its type declarations lag behind
const FunctionWrapper = (binaryen as any).Function as { getBody(func: number): number, setBody(func: number, body: number): void }
const TableWrapper = (binaryen as any).Table as {
  getName(table: number): string
  getInitial(table: number): number
  hasMax(table: number): boolean
  getMax(table: number): number
  setMax(table: number, max: number): void
  getType(table: number): binaryen.Type
}

export interface InstrumentOptions {
  /** Every table's maximum is lowered to this (a table without one gets it). @default DEFAULT_MAX_TABLE_ENTRIES */
  maxTableEntries?: number
}

export interface InstrumentResult {
  /** The rewritten module. */
  bytes: Uint8Array
  /** The memory the module imports, as declared (pages of 64 KiB). */
  memory: { initialPages: number, maximumPages?: number }
  /** Version of this rewrite; cached instrumented bytes are keyed by it. */
  instrumenterVersion: number
}

type Slot = { parent: number, field: string, index?: number } | { func: number }

/** An expression the rewrite replaces by a call to a helper, and where it hangs. */
interface Rerouted { expr: number, id: number, slot: Slot }

/** Expression kinds routed through a helper. */
const REROUTED = new Set([binaryen.MemoryGrowId, binaryen.MemoryFillId, binaryen.MemoryCopyId, binaryen.MemoryInitId, binaryen.TableGrowId])

function capitalize (s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/**
 * What a thrown value says. binaryen.js throws its C++ exceptions as objects without a message
 * (they print as "[object Object]"); `getExceptionMessage` recovers the text.
 */
function describe (err: unknown): string {
  if (err instanceof Error) return err.message
  try {
    const message = (binaryen as any).getExceptionMessage(err) as string | string[]
    // [type, what], e.g. ['std::bad_alloc', 'std::bad_alloc'] or ['', 'Fatal: Module::addFunction: ...']
    return (Array.isArray(message) ? [...new Set(message.filter((m) => m !== ''))].join(': ') : String(message)).trim()
  } catch {
    return String(err)
  }
}

/**
 * Rewrites `bytes` (already compiled once by V8, so structurally valid) with fuel metering and
 * grow tracking. Throws `InvalidModuleError` for modules it cannot meter safely.
 */
export function instrument (bytes: Uint8Array, startFuel: bigint, options: InstrumentOptions = {}): InstrumentResult {
  let module: binaryen.Module
  try {
    module = binaryen.readBinaryWithFeatures(bytes, SUPPORTED_FEATURES)
  } catch (err) {
    throw refusal(err, 'module uses an unsupported Wasm feature')
  }
  try {
    return rewrite(module, startFuel, options.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES)
  } catch (err) {
    throw refusal(err, 'module could not be instrumented')
  } finally {
    module.dispose()
  }
}

/**
 * What to throw for a failure inside binaryen. A C++ exception binaryen threw on purpose (a
 * malformed construct, a name collision) unwound cleanly and is the module's fault:
 * `InvalidModuleError` with binaryen's message. A JS error (`RuntimeError: Aborted()` when its
 * memory cap is hit, a RangeError) means binaryen itself failed and its state cannot be trusted:
 * it goes up as it is, so the sanitizer process that ran this job is replaced (sanitizer.ts
 * treats a name it does not expect that way, and reports InvalidModuleError to the caller).
 */
function refusal (err: unknown, context: string): unknown {
  if (err instanceof Error) return err
  const message = describe(err)
  if (message.includes('bad_alloc')) {
    return new InvalidModuleError(`${context}: the instrumenter ran out of memory (${message}; the cap is sanitizer.memoryMb)`)
  }
  return new InvalidModuleError(`${context}: ${message}`)
}

function rewrite (module: binaryen.Module, startFuel: bigint, maxTableEntries: number): InstrumentResult {
  module.setFeatures(SUPPORTED_FEATURES)
  if (!module.hasMemory()) throw new InvalidModuleError('module has no memory; build it with --importMemory')
  const memoryInfo = module.getMemoryInfo() as { module: string | null, base: string | null, initial: number, max?: number, shared: boolean, is64: boolean }
  if (memoryInfo.module !== 'env' || memoryInfo.base !== 'memory') {
    throw new InvalidModuleError('module defines its own memory; build it with --importMemory so the host owns the memory and its cap')
  }
  if (memoryInfo.shared || memoryInfo.is64) throw new InvalidModuleError('shared and 64-bit memories are not supported')

  // internal names: a module may already use ours (its name section is the publisher's to write)
  const functionName = (base: string): string => freshName(base, (n) => module.getFunction(n) !== 0)
  const fuel = freshName(FUEL_GLOBAL_EXPORT, (n) => module.getGlobal(n) !== 0)
  module.addGlobal(fuel, binaryen.i64, true, module.i64.const(startFuel))
  module.addGlobalExport(fuel, FUEL_GLOBAL_EXPORT)
  const oom = freshName(OOM_GLOBAL_EXPORT, (n) => module.getGlobal(n) !== 0)
  module.addGlobal(oom, binaryen.i32, true, module.i32.const(0))
  module.addGlobalExport(oom, OOM_GLOBAL_EXPORT)

  const trapIfExhausted = (): number =>
    module.if(module.i64.lt_s(module.global.get(fuel, binaryen.i64), module.i64.const(0n)), module.unreachable())
  const chargeExpr = (amount: number): number[] => [
    module.global.set(fuel, module.i64.sub(module.global.get(fuel, binaryen.i64), amount)),
    trapIfExhausted()
  ]
  const charge = (cost: number): number[] => chargeExpr(module.i64.const(BigInt(cost)))
  /** Charges `rate` per unit of the i32 local `index`, read as unsigned. */
  const chargePer = (index: number, rate: number): number[] => {
    const units = module.i64.extend_u(module.local.get(index, binaryen.i32))
    return chargeExpr(rate === 1 ? units : module.i64.mul(units, module.i64.const(BigInt(rate))))
  }

  const tables = capTables(module, maxTableEntries)

  const functions: number[] = []
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const func = module.getFunctionByIndex(i)
    if (binaryen.getFunctionInfo(func).module === '') functions.push(func) // skip imports
  }

  // helpers are created on first use, one per instruction kind (and per table or data segment)
  const helpers = new Map<string, string>()
  const helper = (key: string, create: (name: string) => void): string => {
    let name = helpers.get(key)
    if (name == null) {
      name = functionName(`${HELPER_NAME_PREFIX}${key}`)
      create(name)
      helpers.set(key, name)
    }
    return name
  }
  const i32x3 = binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32])
  const reroute = (expr: number, id: number): number => {
    const w = WRAPPERS[id]!
    switch (id) {
      case binaryen.MemoryGrowId:
        return module.call(helper('grow', (name) => {
          module.addFunction(name, binaryen.i32, binaryen.i32, [binaryen.i32], module.block(null, [
            module.local.set(1, module.memory.grow(module.local.get(0, binaryen.i32))),
            module.if(module.i32.lt_s(module.local.get(1, binaryen.i32), module.i32.const(0)),
              module.global.set(oom, module.i32.const(1))),
            module.local.get(1, binaryen.i32)
          ], binaryen.i32))
        }), [w.getDelta!(expr)], binaryen.i32)
      case binaryen.MemoryFillId:
        return module.call(helper('fill', (name) => {
          module.addFunction(name, i32x3, binaryen.none, [], module.block(null, [
            ...chargePer(2, BULK_FUEL_PER_BYTE),
            module.memory.fill(module.local.get(0, binaryen.i32), module.local.get(1, binaryen.i32), module.local.get(2, binaryen.i32))
          ]))
        }), [w.getDest!(expr), w.getValue!(expr), w.getSize!(expr)], binaryen.none)
      case binaryen.MemoryCopyId:
        return module.call(helper('copy', (name) => {
          module.addFunction(name, i32x3, binaryen.none, [], module.block(null, [
            ...chargePer(2, BULK_FUEL_PER_BYTE),
            module.memory.copy(module.local.get(0, binaryen.i32), module.local.get(1, binaryen.i32), module.local.get(2, binaryen.i32))
          ]))
        }), [w.getDest!(expr), w.getSource!(expr), w.getSize!(expr)], binaryen.none)
      case binaryen.MemoryInitId: {
        const segment: string = w.getSegment!(expr)
        return module.call(helper(`init_${segment}`, (name) => {
          module.addFunction(name, i32x3, binaryen.none, [], module.block(null, [
            ...chargePer(2, BULK_FUEL_PER_BYTE),
            module.memory.init(segment, module.local.get(0, binaryen.i32), module.local.get(1, binaryen.i32), module.local.get(2, binaryen.i32))
          ]))
        }), [w.getDest!(expr), w.getOffset!(expr), w.getSize!(expr)], binaryen.none)
      }
      case binaryen.TableGrowId: {
        const table: string = w.getTable!(expr)
        const { type, cap } = tables.get(table)!
        return module.call(helper(`table_grow_${table}`, (name) => {
          module.addFunction(name, binaryen.createType([type, binaryen.i32]), binaryen.i32, [binaryen.i32], module.block(null, [
            // past the cap: refused before V8 allocates anything, reported as a memory cap hit
            module.if(module.i32.gt_u(module.local.get(1, binaryen.i32), module.i32.sub(module.i32.const(cap), module.table.size(table))),
              module.block(null, [module.global.set(oom, module.i32.const(1)), module.return(module.i32.const(-1))])),
            ...chargePer(1, TABLE_GROW_FUEL_PER_ENTRY),
            module.local.set(2, module.table.grow(table, module.local.get(0, type), module.local.get(1, binaryen.i32))),
            module.if(module.i32.lt_s(module.local.get(2, binaryen.i32), module.i32.const(0)),
              module.global.set(oom, module.i32.const(1))),
            module.local.get(2, binaryen.i32)
          ], binaryen.i32))
        }), [w.getValue!(expr), w.getDelta!(expr)], binaryen.i32)
      }
      default:
        throw new Error(`no helper for expression id ${id}`)
    }
  }

  for (const func of functions) {
    const info = binaryen.getFunctionInfo(func)
    const entryCost = meterBody(module, info.body, { func }, charge, reroute)
    const body = FunctionWrapper.getBody(func)
    FunctionWrapper.setBody(func, module.block(null, [...charge(entryCost), body], info.results))
  }

  const start = module.getStart()
  if (start !== 0) {
    module.setStart(0 as unknown as binaryen.FunctionRef)
    module.addFunctionExport(binaryen.getFunctionInfo(start).name, START_EXPORT)
  }

  if (module.validate() !== 1) throw new InvalidModuleError('module failed validation after instrumentation')
  return {
    bytes: module.emitBinary(),
    memory: memoryInfo.max != null && memoryInfo.max < 65536
      ? { initialPages: memoryInfo.initial, maximumPages: memoryInfo.max }
      : { initialPages: memoryInfo.initial },
    instrumenterVersion: INSTRUMENTER_VERSION
  }
}

/** `base`, or `base_1`, `base_2`... whichever `taken` says is free. */
function freshName (base: string, taken: (name: string) => boolean): string {
  let name = base
  for (let i = 1; taken(name); i++) name = `${base}_${i}`
  return name
}

/**
 * Gives every table a maximum of at most `cap` entries, so V8 itself refuses to grow past it.
 * Returns each table's reference type and cap, by name, for the `table.grow` helpers.
 */
function capTables (module: binaryen.Module, cap: number): Map<string, { type: binaryen.Type, cap: number }> {
  const tables = new Map<string, { type: binaryen.Type, cap: number }>()
  for (let i = 0; i < module.getNumTables(); i++) {
    const table = module.getTableByIndex(i)
    const initial = TableWrapper.getInitial(table)
    // the structural check refuses this first; kept so the rewrite never depends on it
    if (initial > cap) throw new InvalidModuleError(`module declares ${initial} entries in table ${i} at start; the limit is ${cap} (executor.maxTableEntries)`)
    const max = TableWrapper.hasMax(table) ? Math.min(TableWrapper.getMax(table) >>> 0, cap) : cap
    TableWrapper.setMax(table, max)
    tables.set(TableWrapper.getName(table), { type: TableWrapper.getType(table), cap: max })
  }
  return tables
}

/**
 * Walks one function body (iteratively: guest code can nest deeply). Prepends a fuel charge to
 * every loop body and routes grows and bulk operations through their helpers. Returns the
 * static cost of the code outside any loop, which the caller charges at function entry.
 */
function meterBody (module: binaryen.Module, root: number, rootSlot: Slot, charge: (cost: number) => number[], reroute: (expr: number, id: number) => number): number {
  // each frame: an expression, where it hangs, and which loop (by index in `loops`) it is cost-charged to
  interface Frame { expr: number, slot: Slot, owner: number }
  const loops: Array<{ expr: number, cost: number }> = []
  let entryCost = 0
  const stack: Frame[] = [{ expr: root, slot: rootSlot, owner: -1 }]
  const rerouted: Rerouted[] = []

  while (stack.length > 0) {
    const { expr, slot, owner } = stack.pop()!
    const id = binaryen.getExpressionId(expr)
    const fields = CHILD_FIELDS[id]
    const wrapper = WRAPPERS[id]
    // leaf kinds (nop, unreachable) have no wrapper class in binaryen.js, and need none
    if (fields == null || (fields.length > 0 && wrapper == null)) {
      const name = EXPRESSION_NAMES[id]
      throw new InvalidModuleError(`module uses ${name ?? `expression id ${id}`}, which the metering does not support`)
    }
    if ((id === binaryen.CallId || id === binaryen.CallIndirectId) && wrapper!.isReturn!(expr) === true) {
      // refused here, by name: binaryen's validator would refuse it anyway, printing the function
      throw new InvalidModuleError('module uses return_call (tail calls), which is not supported')
    }
    if (owner === -1) entryCost++
    else loops[owner]!.cost++

    let childOwner = owner
    // a loop no branch targets (binaryen leaves it unnamed) runs its body once, like a block:
    // its code is charged with the enclosing code, and it needs no charge of its own (3 bytes of
    // `loop end` would otherwise cost a ~20-byte charge each, a sixfold blow-up of the module)
    if (id === binaryen.LoopId && wrapper!.getName!(expr) != null) {
      loops.push({ expr, cost: 0 })
      childOwner = loops.length - 1
    }
    if (REROUTED.has(id)) rerouted.push({ expr, id, slot })

    for (const field of fields) {
      if (field.endsWith('[]')) {
        const name = field.slice(0, -2)
        const list: number[] = wrapper![`get${capitalize(name)}`]!(expr)
        list.forEach((child, index) => { if (child !== 0) stack.push({ expr: child, slot: { parent: expr, field: name, index }, owner: childOwner }) })
      } else {
        const child: number = wrapper![`get${capitalize(field)}`]!(expr)
        if (child !== 0) stack.push({ expr: child, slot: { parent: expr, field }, owner: childOwner })
      }
    }
  }

  // innermost first: the walk met every expression before its operands, and a helper call takes
  // its operands as they are when it is built, so nested reroutes must already be in place
  for (let i = rerouted.length - 1; i >= 0; i--) {
    const { expr, id, slot } = rerouted[i]!
    replace(slot, reroute(expr, id))
  }
  for (const { expr, cost } of loops) {
    const body = WRAPPERS[binaryen.LoopId]!.getBody!(expr)
    WRAPPERS[binaryen.LoopId]!.setBody!(expr, module.block(null, [...charge(cost), body], binaryen.getExpressionType(body)))
  }
  return entryCost
}

/** Puts `replacement` where the original expression hung: a parent's field or a function body. */
function replace (slot: Slot, replacement: number): void {
  if ('func' in slot) {
    FunctionWrapper.setBody(slot.func, replacement)
    return
  }
  const wrapper = WRAPPERS[binaryen.getExpressionId(slot.parent)]!
  if (slot.index != null) {
    // list fields have singular setters: children -> setChildAt, operands -> setOperandAt
    const singular = slot.field.endsWith('ren') ? slot.field.slice(0, -3) : slot.field.slice(0, -1)
    wrapper[`set${capitalize(singular)}At`]!(slot.parent, slot.index, replacement)
  } else {
    wrapper[`set${capitalize(slot.field)}`]!(slot.parent, replacement)
  }
}
