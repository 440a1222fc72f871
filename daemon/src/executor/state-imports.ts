/**
 * The guest's state API on the host side (DESIGN.md section 10; the ABI is in
 * wasm-functions/README.md, "State"). An invocation runs against a working copy of its state
 * key's snapshot; the `faasmesh.state_*` imports read and write that copy synchronously, and the
 * sandbox hands back what changed (the write set) only when `handle` returned normally.
 *
 * Every pointer and length comes from a guest that may be hostile: each range is checked against
 * the memory before it is read or written (`GuestTrapError` otherwise), every check comes before
 * any change (a guest that survives an error sees the copy as it was), and bytes moved across an
 * import pay fuel as bulk memory operations do, so a loop of large copies is bounded by fuel
 * like any other loop.
 *
 * The caps mirror `checkEntryKey` and `checkCaps` of `state/record.ts`, kept as running totals
 * here (a check per `set` must not walk the whole state). That module is not imported: it pulls
 * in the protobuf runtime, ~50 ms more for every sandbox to start.
 */
import { GuestTrapError, InvalidStateKeyError, OutOfFuelError, StateTooLargeError } from '../errors.js'
import { BULK_FUEL_PER_BYTE } from '../sanitizer/constants.js'
import { MAX_ENTRIES, MAX_ENTRY_KEY_BYTES } from '../state/constants.js'

/** What the daemon sends with an invocation that has a state key. */
export interface StateInit {
  entries: Array<[string, Uint8Array]>
  /** What the state may hold in all, keys (UTF-8) and values. */
  maxBytes: number
}

/** A key set (to its new value) or deleted (`null`) by the invocation. */
export type WireWrites = Array<[string, Uint8Array | null]>

/** The state import names, as the sanitizer's allowlist lists them. */
export const STATE_IMPORTS = ['state_get', 'state_set', 'state_delete', 'state_keys'] as const

/** Returned by `state_get` for a key the state does not hold. */
export const ABSENT = -1

const utf8 = new TextEncoder()
// fatal: two different byte strings must never decode to one key; ignoreBOM: a key may start with U+FEFF
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The working copy of one invocation's state: the snapshot plus what the guest did, with the
 * caps checked at every write.
 */
export class StateTransaction {
  readonly maxBytes: number
  private readonly entries: Map<string, Uint8Array>
  // keys set or deleted, in the order first written
  private readonly written = new Set<string>()
  private bytes = 0
  // `state_keys`' answer, kept until the next change: asking its size then its bytes builds it once
  private encodedKeys?: Uint8Array

  constructor ({ entries, maxBytes }: StateInit) {
    this.maxBytes = maxBytes
    this.entries = new Map(entries)
    for (const [key, value] of this.entries) this.bytes += utf8.encode(key).byteLength + value.byteLength
  }

  get (key: string): Uint8Array | undefined {
    return this.entries.get(key)
  }

  /** True while `encodeKeys` has an answer kept from before. */
  get hasEncodedKeys (): boolean {
    return this.encodedKeys != null
  }

  /** Keeps a copy of `value`; throws StateTooLargeError, changing nothing, when the state would pass a cap. */
  set (key: string, keyBytes: number, value: Uint8Array): void {
    const old = this.entries.get(key)
    const size = this.entries.size + (old == null ? 1 : 0)
    if (size > MAX_ENTRIES) throw new StateTooLargeError(`a state holds at most ${MAX_ENTRIES} keys, this one would hold ${size}`)
    const bytes = this.bytes - (old == null ? 0 : keyBytes + old.byteLength) + keyBytes + value.byteLength
    if (bytes > this.maxBytes) throw new StateTooLargeError(`a state holds at most ${this.maxBytes} bytes, this one would hold ${bytes}`)
    this.entries.set(key, value.slice())
    this.bytes = bytes
    this.written.add(key)
    this.encodedKeys = undefined
  }

  delete (key: string, keyBytes: number): void {
    const old = this.entries.get(key)
    if (old == null) return
    this.entries.delete(key)
    this.bytes -= keyBytes + old.byteLength
    this.written.add(key)
    this.encodedKeys = undefined
  }

  /** The keys, sorted, each as a u32 (little-endian) byte length and its UTF-8 bytes. */
  encodeKeys (): Uint8Array {
    if (this.encodedKeys != null) return this.encodedKeys
    const keys = [...this.entries.keys()].sort().map((key) => utf8.encode(key))
    const out = new Uint8Array(keys.reduce((n, k) => n + 4 + k.byteLength, 0))
    const view = new DataView(out.buffer)
    let at = 0
    for (const key of keys) {
      view.setUint32(at, key.byteLength, true)
      out.set(key, at + 4)
      at += 4 + key.byteLength
    }
    this.encodedKeys = out
    return out
  }

  /** What changed: each key written, with its value now or `null` if it is gone. */
  writes (): WireWrites {
    return [...this.written].map((key) => [key, this.entries.get(key) ?? null])
  }
}

export interface StateImportsInit {
  memory: WebAssembly.Memory
  /** Undefined when the invocation has no state key: every import then throws InvalidStateKeyError. */
  state?: StateTransaction
  /** Takes `units` of fuel from the guest's budget; throws OutOfFuelError when it runs out. */
  charge(units: number): void
}

/** A `charge` over the instance's fuel global, which exists only once the module is instantiated. */
export function fuelCharger (fuel: () => WebAssembly.Global | undefined): (units: number) => void {
  return (units) => {
    const global = fuel()
    if (global == null || units <= 0) return
    const left = (global.value as bigint) - BigInt(units)
    global.value = left
    if (left < 0n) throw new OutOfFuelError('the function used up its fuel budget')
  }
}

/** The `faasmesh.state_*` host functions, by name. */
export function stateImports ({ memory, state, charge }: StateImportsInit): Record<typeof STATE_IMPORTS[number], (...args: number[]) => number | undefined> {
  const tx = (): StateTransaction => {
    if (state == null) throw new InvalidStateKeyError('this invocation has no state: the state API needs a state key (x-faasmesh-state-key)')
    return state
  }
  const bytesAt = (what: string, ptr: number, length: number): Uint8Array => {
    ptr >>>= 0
    length >>>= 0
    const buffer = memory.buffer
    if (ptr + length > buffer.byteLength) {
      throw new GuestTrapError(`${what} (${length} bytes at ${ptr}) lies outside the guest's memory (${buffer.byteLength} bytes)`)
    }
    return new Uint8Array(buffer, ptr, length)
  }
  const keyAt = (call: string, ptr: number, length: number): { key: string, keyBytes: number } => {
    const bytes = bytesAt(`faasmesh.${call}: the key`, ptr, length)
    if (bytes.byteLength === 0 || bytes.byteLength > MAX_ENTRY_KEY_BYTES) {
      throw new InvalidStateKeyError(`a key inside a state is 1-${MAX_ENTRY_KEY_BYTES} bytes, got ${bytes.byteLength}`)
    }
    charge(bytes.byteLength * BULK_FUEL_PER_BYTE)
    try {
      return { key: utf8Strict.decode(bytes), keyBytes: bytes.byteLength }
    } catch {
      throw new InvalidStateKeyError('a key inside a state is UTF-8 text; this one is not valid UTF-8')
    }
  }
  /** Copies `data` to the guest when it fits in `cap`; returns its length either way. */
  const copyOut = (call: string, data: Uint8Array, dstPtr: number, dstCap: number): number => {
    const dst = bytesAt(`faasmesh.${call}: the destination`, dstPtr, dstCap)
    if (data.byteLength <= dst.byteLength) {
      charge(data.byteLength * BULK_FUEL_PER_BYTE)
      dst.set(data)
    }
    return data.byteLength
  }

  return {
    state_get (keyPtr, keyLen, dstPtr, dstCap) {
      const s = tx()
      const { key } = keyAt('state_get', keyPtr, keyLen)
      const value = s.get(key)
      return value == null ? ABSENT : copyOut('state_get', value, dstPtr, dstCap)
    },
    state_set (keyPtr, keyLen, valuePtr, valueLen) {
      const s = tx()
      const { key, keyBytes } = keyAt('state_set', keyPtr, keyLen)
      const value = bytesAt('faasmesh.state_set: the value', valuePtr, valueLen)
      charge(value.byteLength * BULK_FUEL_PER_BYTE)
      s.set(key, keyBytes, value)
      return undefined
    },
    state_delete (keyPtr, keyLen) {
      const s = tx()
      const { key, keyBytes } = keyAt('state_delete', keyPtr, keyLen)
      s.delete(key, keyBytes)
      return undefined
    },
    state_keys (dstPtr, dstCap) {
      const s = tx()
      const fresh = !s.hasEncodedKeys
      const keys = s.encodeKeys()
      // building the list is work in proportion to it, whether or not it is copied this time
      if (fresh) charge(keys.byteLength * BULK_FUEL_PER_BYTE)
      return copyOut('state_keys', keys, dstPtr, dstCap)
    }
  }
}
