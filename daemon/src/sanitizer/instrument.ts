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
 * - the start function (which would otherwise run, unmetered and unbounded, inside
 *   `new WebAssembly.Instance`) is unhooked and exported as `__faasmesh_start`, so the host
 *   calls it under the same fuel budget as `handle`.
 *
 * Cost model: one unit per expression node. Both arms of an `if` are charged at the enclosing
 * entry point, so the charge over-approximates and never depends on data. Bulk memory operations
 * cost their node only: their size is bounded by the memory cap.
 */
import binaryen from 'binaryen'
import { InvalidModuleError } from '../errors.js'
import {
  FUEL_GLOBAL_EXPORT, GROW_HELPER_NAME, INSTRUMENTER_VERSION, OOM_GLOBAL_EXPORT, START_EXPORT
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
for (const [key, id] of Object.entries(binaryen)) {
  if (typeof id === 'number' && key.endsWith('Id') && !key.startsWith('_')) {
    const wrapper = (binaryen as any)[key.slice(0, -2)]
    if (wrapper != null) WRAPPERS[id] = wrapper
  }
}

// binaryen.js has these wrappers at runtime; its type declarations lag behind
const FunctionWrapper = (binaryen as any).Function as { getBody(func: number): number, setBody(func: number, body: number): void }

export interface InstrumentResult {
  /** The rewritten module. */
  bytes: Uint8Array
  /** The memory the module imports, as declared (pages of 64 KiB). */
  memory: { initialPages: number, maximumPages?: number }
  /** Version of this rewrite; cached instrumented bytes are keyed by it. */
  instrumenterVersion: number
}

type Slot = { parent: number, field: string, index?: number } | { func: number }

function capitalize (s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/**
 * Rewrites `bytes` (already compiled once by V8, so structurally valid) with fuel metering and
 * grow tracking. Throws `InvalidModuleError` for modules it cannot meter safely.
 */
export function instrument (bytes: Uint8Array, startFuel: bigint): InstrumentResult {
  let module: binaryen.Module
  try {
    module = binaryen.readBinaryWithFeatures(bytes, SUPPORTED_FEATURES)
  } catch (err: any) {
    throw new InvalidModuleError(`module uses an unsupported Wasm feature: ${String(err?.message ?? err)}`)
  }
  try {
    module.setFeatures(SUPPORTED_FEATURES)
    if (!module.hasMemory()) throw new InvalidModuleError('module has no memory; build it with --importMemory')
    const memoryInfo = module.getMemoryInfo() as { module: string | null, base: string | null, initial: number, max?: number, shared: boolean, is64: boolean }
    if (memoryInfo.module !== 'env' || memoryInfo.base !== 'memory') {
      throw new InvalidModuleError('module defines its own memory; build it with --importMemory so the host owns the memory and its cap')
    }
    if (memoryInfo.shared || memoryInfo.is64) throw new InvalidModuleError('shared and 64-bit memories are not supported')

    module.addGlobal(FUEL_GLOBAL_EXPORT, binaryen.i64, true, module.i64.const(startFuel))
    module.addGlobalExport(FUEL_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT)
    module.addGlobal(OOM_GLOBAL_EXPORT, binaryen.i32, true, module.i32.const(0))
    module.addGlobalExport(OOM_GLOBAL_EXPORT, OOM_GLOBAL_EXPORT)

    const charge = (cost: number): number[] => [
      module.global.set(FUEL_GLOBAL_EXPORT, module.i64.sub(module.global.get(FUEL_GLOBAL_EXPORT, binaryen.i64), module.i64.const(BigInt(cost)))),
      module.if(module.i64.lt_s(module.global.get(FUEL_GLOBAL_EXPORT, binaryen.i64), module.i64.const(0n)), module.unreachable())
    ]

    const functions: number[] = []
    for (let i = 0; i < module.getNumFunctions(); i++) {
      const func = module.getFunctionByIndex(i)
      if (binaryen.getFunctionInfo(func).module === '') functions.push(func) // skip imports
    }

    for (const func of functions) {
      const info = binaryen.getFunctionInfo(func)
      const entryCost = meterBody(module, info.body, { func }, charge)
      const body = FunctionWrapper.getBody(func)
      FunctionWrapper.setBody(func, module.block(null, [...charge(entryCost), body], info.results))
    }

    module.addFunction(GROW_HELPER_NAME, binaryen.i32, binaryen.i32, [binaryen.i32], module.block(null, [
      module.local.set(1, module.memory.grow(module.local.get(0, binaryen.i32))),
      module.if(module.i32.lt_s(module.local.get(1, binaryen.i32), module.i32.const(0)),
        module.global.set(OOM_GLOBAL_EXPORT, module.i32.const(1))),
      module.local.get(1, binaryen.i32)
    ], binaryen.i32))

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
  } finally {
    module.dispose()
  }
}

/**
 * Walks one function body (iteratively: guest code can nest deeply). Prepends a fuel charge to
 * every loop body and routes every `memory.grow` through the tracking helper. Returns the static
 * cost of the code outside any loop, which the caller charges at function entry.
 */
function meterBody (module: binaryen.Module, root: number, rootSlot: Slot, charge: (cost: number) => number[]): number {
  // each frame: an expression, where it hangs, and which loop (by index in `loops`) it is cost-charged to
  interface Frame { expr: number, slot: Slot, owner: number }
  const loops: Array<{ expr: number, cost: number }> = []
  let entryCost = 0
  const stack: Frame[] = [{ expr: root, slot: rootSlot, owner: -1 }]
  const grows: Array<{ expr: number, slot: Slot }> = []

  while (stack.length > 0) {
    const { expr, slot, owner } = stack.pop()!
    const id = binaryen.getExpressionId(expr)
    const fields = CHILD_FIELDS[id]
    const wrapper = WRAPPERS[id]
    // leaf kinds (nop, unreachable) have no wrapper class in binaryen.js, and need none
    if (fields == null || (fields.length > 0 && wrapper == null)) {
      throw new InvalidModuleError(`module uses an instruction the metering does not support (expression id ${id})`)
    }
    if (owner === -1) entryCost++
    else loops[owner]!.cost++

    let childOwner = owner
    if (id === binaryen.LoopId) {
      loops.push({ expr, cost: 0 })
      childOwner = loops.length - 1
    }
    if (id === binaryen.MemoryGrowId) grows.push({ expr, slot })

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

  for (const { expr, slot } of grows) {
    const delta = WRAPPERS[binaryen.MemoryGrowId]!.getDelta!(expr)
    replace(slot, module.call(GROW_HELPER_NAME, [delta], binaryen.i32))
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
