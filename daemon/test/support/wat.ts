import binaryen from 'binaryen'

/** Assembles WebAssembly text into a binary, for hand-made hostile modules. */
export function wat (text: string): Uint8Array {
  const module = binaryen.parseText(text)
  try {
    module.setFeatures(binaryen.Features.All)
    return module.emitBinary()
  } finally {
    module.dispose()
  }
}

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
