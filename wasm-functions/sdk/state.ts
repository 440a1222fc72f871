// The state API: a small map of string keys to bytes, kept by the mesh for the invocation's state
// key (the `x-faasmesh-state-key` header). See ../README.md, "State", for the ABI and the rules.
//
// Every invocation is a transaction: it sees one snapshot, and its writes count only if `handle`
// returns normally. Calls are synchronous; nothing here touches the network.
//
// Errors end the invocation under their own name: a key of 0 or more than 256 bytes (or an
// invocation without a state key) is `InvalidStateKeyError`, a write past the caps is
// `StateTooLargeError`.

// -1 when the key is absent; else the value's length, copied to dst only when it fits in dstCap
@external('faasmesh', 'state_get')
declare function hostGet (keyPtr: usize, keyLen: usize, dstPtr: usize, dstCap: usize): i32
@external('faasmesh', 'state_set')
declare function hostSet (keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): void
@external('faasmesh', 'state_delete')
declare function hostDelete (keyPtr: usize, keyLen: usize): void
// the keys' encoding length (u32 LE length + UTF-8, per key, sorted), copied only when it fits
@external('faasmesh', 'state_keys')
declare function hostKeys (dstPtr: usize, dstCap: usize): i32

function ptr (buffer: ArrayBuffer): usize {
  return changetype<usize>(buffer)
}

/** `key` as UTF-8; a lone surrogate makes bytes the host refuses as a key. */
function utf8 (key: string): ArrayBuffer {
  return String.UTF8.encode(key)
}

// A class of static functions rather than a namespace: `delete` is a keyword, valid as a method
// name only.
@final
export abstract class state {
  /** The value of `key`, or null when the state has no such key. */
  static get (key: string): ArrayBuffer | null {
    const k = utf8(key)
    const length = hostGet(ptr(k), <usize>k.byteLength, 0, 0)
    if (length < 0) return null
    const value = new ArrayBuffer(length)
    if (length > 0) hostGet(ptr(k), <usize>k.byteLength, ptr(value), <usize>length)
    return value
  }

  /** True when the state holds `key`. */
  static has (key: string): bool {
    const k = utf8(key)
    return hostGet(ptr(k), <usize>k.byteLength, 0, 0) >= 0
  }

  /** Sets `key` to a copy of `value`. */
  static set (key: string, value: ArrayBuffer): void {
    const k = utf8(key)
    hostSet(ptr(k), <usize>k.byteLength, ptr(value), <usize>value.byteLength)
  }

  /** Removes `key` (nothing happens when it is absent). */
  static delete (key: string): void {
    const k = utf8(key)
    hostDelete(ptr(k), <usize>k.byteLength)
  }

  /** Every key of the state, sorted. */
  static keys (): string[] {
    const length = hostKeys(0, 0)
    const out = new Array<string>()
    if (length <= 0) return out
    const buffer = new ArrayBuffer(length)
    hostKeys(ptr(buffer), <usize>length)
    const base = ptr(buffer)
    let at: usize = 0
    while (at + 4 <= <usize>length) {
      const n = <usize>load<u32>(base + at)
      out.push(String.UTF8.decodeUnsafe(base + at + 4, n))
      at += 4 + n
    }
    return out
  }

  /** The value of `key` as UTF-8 text, or `fallback` when absent. */
  static getString (key: string, fallback: string = ''): string {
    const value = state.get(key)
    return value == null ? fallback : String.UTF8.decode(value)
  }

  /** Sets `key` to `text` as UTF-8. */
  static setString (key: string, text: string): void {
    state.set(key, String.UTF8.encode(text))
  }

  /** The value of `key` as a little-endian f64, or `fallback` when absent; aborts when it is not 8 bytes. */
  static getF64 (key: string, fallback: f64 = 0): f64 {
    const value = state.get(key)
    if (value == null) return fallback
    if (value.byteLength != 8) abort('state key "' + key + '" holds ' + value.byteLength.toString() + ' bytes, not an f64')
    return load<f64>(ptr(value))
  }

  /** Sets `key` to `n` as 8 bytes, little-endian. */
  static setF64 (key: string, n: f64): void {
    const value = new ArrayBuffer(8)
    store<f64>(ptr(value), n)
    state.set(key, value)
  }

  /** The value of `key` as a little-endian i64, or `fallback` when absent; aborts when it is not 8 bytes. */
  static getI64 (key: string, fallback: i64 = 0): i64 {
    const value = state.get(key)
    if (value == null) return fallback
    if (value.byteLength != 8) abort('state key "' + key + '" holds ' + value.byteLength.toString() + ' bytes, not an i64')
    return load<i64>(ptr(value))
  }

  /** Sets `key` to `n` as 8 bytes, little-endian. */
  static setI64 (key: string, n: i64): void {
    const value = new ArrayBuffer(8)
    store<i64>(ptr(value), n)
    state.set(key, value)
  }
}
