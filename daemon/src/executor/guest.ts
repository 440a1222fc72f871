/**
 * The guest ABI, bytes in and bytes out, behind an interface so the marshaling library can be
 * replaced (`@assemblyscript/loader` is deprecated upstream, though still published with every
 * release; shared/research/wasm.md section 6).
 */
import { instantiateSync } from '@assemblyscript/loader'
import { GuestTrapError, PayloadTooLargeError } from '../errors.js'

export interface GuestInstance {
  /** The raw (unwrapped) exports, for the host's own globals. */
  readonly exports: WebAssembly.Exports
  /** Copies `input` into the guest, calls `handle`, checks and copies the output back. */
  call(input: Uint8Array, maxOutputBytes: number): Uint8Array
}

export interface GuestAbi {
  /** Instantiates without running guest code (the start function is exported, not run). */
  instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): GuestInstance
}

// AssemblyScript object header: the runtime type id and the payload size sit in the 8 bytes
// before the payload (std/assembly/rt/common.ts)
const RT_ID_OFFSET = 8
const RT_SIZE_OFFSET = 4
const ARRAY_BUFFER_ID = 1

/** The AssemblyScript loader's marshaling, with the output checked before it is copied. */
export const loaderGuest: GuestAbi = {
  instantiate (module, imports) {
    const { exports, instance } = instantiateSync<Record<string, unknown>>(module, imports)
    const raw = instance.exports
    const memory = raw.memory as WebAssembly.Memory
    return {
      exports: raw,
      call (input, maxOutputBytes) {
        const ptr = exports.__newArrayBuffer(input as unknown as ArrayBuffer)
        const out = (raw.handle as (ptr: number) => number)(ptr) >>> 0
        const buffer = memory.buffer
        // the guest controls this header: check it before trusting it for an allocation
        if (out < RT_ID_OFFSET || out > buffer.byteLength) throw new GuestTrapError(`handle returned an invalid pointer ${out}`)
        const view = new DataView(buffer)
        if (view.getUint32(out - RT_ID_OFFSET, true) !== ARRAY_BUFFER_ID) throw new GuestTrapError('handle must return an ArrayBuffer')
        const size = view.getUint32(out - RT_SIZE_OFFSET, true)
        if (size > maxOutputBytes) throw new PayloadTooLargeError(`output is ${size} bytes; the limit is ${maxOutputBytes}`)
        if (out + size > buffer.byteLength) throw new GuestTrapError('handle returned a buffer outside its memory')
        return new Uint8Array(exports.__getArrayBuffer(out))
      }
    }
  }
}
