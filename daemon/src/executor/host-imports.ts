/**
 * The host functions a guest can import, built fresh for every instance. Each namespace is a
 * null-prototype object holding only allowlisted functions: a plain `{}` would let a module
 * link `env.constructor` or `env.toString` through `Object.prototype`.
 */
import { MAX_LOG_MESSAGE_BYTES } from './limits.js'
import { logCollector } from './logs.js'
import { stateImports, type StateTransaction } from './state-imports.js'
import type { InvocationContext } from './messages.js'

/** Raised inside the guest's call stack by `env.abort`; unwinds the Wasm frames. */
export class GuestAbort extends Error {
  static name = 'GuestAbort'
  constructor (message: string) {
    super(message)
    this.name = 'GuestAbort'
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false })
const utf16 = new TextDecoder('utf-16le', { fatal: false })

/** Reads an AssemblyScript string (UTF-16, byte length in the header) with a cap on its size. */
function readString (memory: WebAssembly.Memory, ptr: number): string {
  ptr >>>= 0
  const buffer = memory.buffer
  if (ptr === 0 || ptr < 4 || ptr > buffer.byteLength) return ''
  const length = Math.min(new DataView(buffer).getUint32(ptr - 4, true), MAX_LOG_MESSAGE_BYTES * 2, buffer.byteLength - ptr)
  return utf16.decode(new Uint8Array(buffer, ptr, length & ~1))
}

export interface HostImportsInit {
  memory: WebAssembly.Memory
  context: InvocationContext
  /** Collects the guest's log lines (capped: the first ones, then a line counting those dropped). */
  logs: string[]
  /** The invocation's working copy of its state; without it the `faasmesh.state_*` imports throw InvalidStateKeyError. */
  state?: StateTransaction
  /** Takes fuel from the guest for work a host function does for it (bytes copied); throws OutOfFuelError. */
  charge(units: number): void
}

export function hostImports ({ memory, context, logs, state, charge }: HostImportsInit): WebAssembly.Imports {
  const log = logCollector(logs)
  const env = Object.create(null)
  env.memory = memory
  env.abort = (msg: number, file: number, line: number, column: number): never => {
    const where = file !== 0 ? ` at ${readString(memory, file)}:${line}:${column}` : ''
    throw new GuestAbort(`${readString(memory, msg) || 'abort'}${where}`)
  }
  env.trace = (msg: number, n: number, ...args: number[]): void => {
    log(`trace: ${readString(memory, msg)}${n > 0 ? ' ' + args.slice(0, n).join(', ') : ''}`)
  }
  env.seed = (): number => context.seed
  env['Date.now'] = (): number => context.nowMs

  const faasmesh = Object.create(null)
  faasmesh.log = (ptr: number, length: number): void => {
    ptr >>>= 0
    const buffer = memory.buffer
    if (ptr > buffer.byteLength) return
    log(utf8.decode(new Uint8Array(buffer, ptr, Math.min(length >>> 0, MAX_LOG_MESSAGE_BYTES, buffer.byteLength - ptr))))
  }
  Object.assign(faasmesh, stateImports({ memory, state, charge }))

  const imports = Object.create(null)
  imports.env = env
  imports.faasmesh = faasmesh
  return imports
}
