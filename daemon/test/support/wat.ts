import binaryen from 'binaryen'

/**
 * The features V8 in Node 20 runs. Not `Features.All`: with GC enabled binaryen encodes
 * `(ref.null func)` as `ref.null nofunc`, which V8 11 cannot read.
 */
export const WAT_FEATURES: number = binaryen.Features.Atomics | binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt | binaryen.Features.SIMD128 | binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt | binaryen.Features.SignExt | binaryen.Features.ReferenceTypes |
  binaryen.Features.Multivalue | binaryen.Features.CallIndirectOverlong | binaryen.Features.ExceptionHandling

/** Assembles WebAssembly text into a binary, for hand-made hostile modules. */
export function wat (text: string, features: number = WAT_FEATURES): Uint8Array {
  const module = binaryen.parseText(text)
  try {
    module.setFeatures(features)
    return module.emitBinary()
  } finally {
    module.dispose()
  }
}

/**
 * The memory import every function needs (`asc --importMemory`): the host owns the memory and
 * its cap. `ABI_EXPORTS` exports it as `$mem`.
 */
export const MEMORY_IMPORT = '(import "env" "memory" (memory $mem 1))'

/** The exports every valid function needs, for hand-written modules (bodies do the minimum). */
export const ABI_EXPORTS = `
  (func $new (param i32 i32) (result i32) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (func $handle (param i32) (result i32) (local.get 0))
  (export "handle" (func $handle))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem))`

/** `ABI_EXPORTS` without `handle`, for modules that write their own `handle` (param i32) (result i32). */
export const ABI_RUNTIME_EXPORTS = `
  (func $new (param i32 i32) (result i32) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem))`
