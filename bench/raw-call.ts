/**
 * The baseline: a function called in-process with nothing but the WebAssembly API, no worker,
 * no sandbox limits beyond the memory object. This is the floor the executor is compared with.
 */
export interface RawInstance { call(input: Uint8Array): Uint8Array }

/**
 * Instantiates `module` in this thread. For an instrumented (`metered`) module it also sets an
 * ample fuel budget and runs the exported start function, as the executor's worker does.
 */
export function rawInstantiate (module: WebAssembly.Module, metered = false): RawInstance {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 256 })
  const env = Object.create(null)
  env.memory = memory
  env.abort = () => { throw new Error('abort') }
  env.seed = () => 1
  env['Date.now'] = () => 0
  const ex = new WebAssembly.Instance(module, { env }).exports as Record<string, any>
  if (metered) {
    ex.__faasmesh_fuel.value = 10n ** 12n
    ex.__faasmesh_start?.()
  }
  return {
    call (input) {
      const ptr = ex.__new(input.byteLength, 1) >>> 0
      new Uint8Array(memory.buffer).set(input, ptr)
      const out = ex.handle(ptr) >>> 0
      const size = new DataView(memory.buffer).getUint32(out - 4, true)
      return new Uint8Array(memory.buffer.slice(out, out + size))
    }
  }
}
