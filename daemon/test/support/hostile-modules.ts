/**
 * Builds large hostile modules straight to binary: binaryen takes seconds and gigabytes on the
 * ones that matter (950,000 functions), which is exactly what they test. Each module carries the
 * ABI (imports `env.memory`, exports `handle`, `__new`, `__pin`, `__unpin`, `memory`), so only
 * what the caller adds can get it refused.
 */

/** A growable byte buffer with the LEB128 encodings of the Wasm binary format. */
class Writer {
  private buf = new Uint8Array(1024)
  length = 0

  private reserve (n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  u8 (...values: number[]): this {
    this.reserve(values.length)
    for (const v of values) this.buf[this.length++] = v
    return this
  }

  u32 (value: number): this {
    do {
      let byte = value & 0x7f
      value = Math.floor(value / 128)
      if (value !== 0) byte |= 0x80
      this.u8(byte)
    } while (value !== 0)
    return this
  }

  bytes (b: Uint8Array | number[]): this {
    this.reserve(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
    return this
  }

  name (s: string): this {
    const b = new TextEncoder().encode(s)
    return this.u32(b.length).bytes(b)
  }

  section (id: number, content: Writer): this {
    if (content.length === 0) return this
    return this.u8(id).u32(content.length).bytes(content.result())
  }

  result (): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

const I32 = 0x7f
const FUNCREF = 0x70
const END = 0x0b

export interface HostileModuleParts {
  /** Extra functions `() -> ()`, each with `body` (instructions, without its final `end`). @default 0 */
  functions?: number
  body?: Uint8Array | number[]
  /** Local declarations of each extra function, as `[count, valtype]` runs. @default [] */
  locals?: Array<[number, number]>
  /** Extra function types (`() -> ()`, unused). @default 0 */
  types?: number
  /** Extra `(global i32 (i32.const 0))`. @default 0 */
  globals?: number
  /** Extra exports, each of the first extra function (needs `functions` >= 1). @default 0 */
  exports?: number
  /** Extra imports, each of `env.abort`. @default 0 */
  imports?: number
  /** Tables (funcref), as declared. @default [] */
  tables?: Array<{ initial: number, maximum?: number }>
  /** Active element segments at offset 0 of table 0, each with `entries` references to `handle`. */
  elements?: { segments: number, entries: number }
  /** Passive data segments of one byte each (a data-count section announces them). @default 0 */
  dataSegments?: number
  /** Instructions of `handle (param i32) (result i32)` before it returns its input. @default [] */
  handle?: Uint8Array | number[]
}

/** Encodes a module with the ABI and `parts`. */
export function hostileModule (parts: HostileModuleParts = {}): Uint8Array {
  const extraFunctions = parts.functions ?? 0
  const extraImports = parts.imports ?? 0
  const out = new Writer().u8(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)

  // types: 0 (i32 i32)->i32  1 (i32)->i32  2 (i32)->()  3 ()->()  4 (i32 i32 i32 i32)->() [abort]
  const extraTypes = parts.types ?? 0
  const types = new Writer().u32(5 + extraTypes)
  types.u8(0x60, 2, I32, I32, 1, I32).u8(0x60, 1, I32, 1, I32).u8(0x60, 1, I32, 0).u8(0x60, 0, 0).u8(0x60, 4, I32, I32, I32, I32, 0)
  // repeats of () -> (): without the GC proposal a type section may list one signature many times
  for (let i = 0; i < extraTypes; i++) types.u8(0x60, 0, 0)
  out.section(1, types)

  const imports = new Writer().u32(1 + extraImports)
  imports.name('env').name('memory').u8(0x02, 0x00).u32(1)
  for (let i = 0; i < extraImports; i++) imports.name('env').name('abort').u8(0x00).u32(4)
  out.section(2, imports)

  // functions: new, pin, unpin, handle, then the extra ones
  const functions = new Writer().u32(4 + extraFunctions).u8(0, 1, 2, 1)
  for (let i = 0; i < extraFunctions; i++) functions.u8(3)
  out.section(3, functions)

  const tables = new Writer()
  if (parts.tables != null && parts.tables.length > 0) {
    tables.u32(parts.tables.length)
    for (const t of parts.tables) {
      tables.u8(FUNCREF)
      if (t.maximum == null) tables.u8(0x00).u32(t.initial)
      else tables.u8(0x01).u32(t.initial).u32(t.maximum)
    }
  }
  out.section(4, tables)

  const globals = new Writer()
  if ((parts.globals ?? 0) > 0) {
    globals.u32(parts.globals!)
    for (let i = 0; i < parts.globals!; i++) globals.u8(I32, 0x00, 0x41, 0x00, END)
  }
  out.section(6, globals)

  // imported functions come first in the function index space
  const fn = (i: number): number => extraImports + i
  const exports = new Writer().u32(5 + (parts.exports ?? 0))
  exports.name('__new').u8(0x00).u32(fn(0)).name('__pin').u8(0x00).u32(fn(1)).name('__unpin').u8(0x00).u32(fn(2))
  exports.name('handle').u8(0x00).u32(fn(3)).name('memory').u8(0x02).u32(0)
  for (let i = 0; i < (parts.exports ?? 0); i++) exports.name(`f${i}`).u8(0x00).u32(fn(4))
  out.section(7, exports)

  const elements = new Writer()
  if (parts.elements != null) {
    elements.u32(parts.elements.segments)
    for (let s = 0; s < parts.elements.segments; s++) {
      elements.u8(0x00, 0x41, 0x00, END).u32(parts.elements.entries)
      for (let e = 0; e < parts.elements.entries; e++) elements.u32(fn(3))
    }
  }
  out.section(9, elements)

  if ((parts.dataSegments ?? 0) > 0) out.section(12, new Writer().u32(parts.dataSegments!))

  const code = new Writer().u32(4 + extraFunctions)
  const body = (locals: Array<[number, number]>, instructions: Uint8Array | number[]): void => {
    const b = new Writer().u32(locals.length)
    for (const [count, type] of locals) b.u32(count).u8(type)
    b.bytes(instructions).u8(END)
    code.u32(b.length).bytes(b.result())
  }
  body([], [0x41, 0x10]) // __new: i32.const 16
  body([], [0x20, 0x00]) // __pin: local.get 0
  body([], []) // __unpin
  body([], [...(parts.handle ?? []), 0x20, 0x00]) // handle: ...; local.get 0
  // the extra bodies are identical: encode one, repeat its bytes
  if (extraFunctions > 0) {
    const start = code.length
    body(parts.locals ?? [], parts.body ?? [])
    const one = code.result().slice(start)
    for (let i = 1; i < extraFunctions; i++) code.bytes(one)
  }
  out.section(10, code)

  if ((parts.dataSegments ?? 0) > 0) {
    const data = new Writer().u32(parts.dataSegments!)
    for (let i = 0; i < parts.dataSegments!; i++) data.u8(0x01, 1, 0x2a)
    out.section(11, data)
  }
  return out.result().slice()
}

/** `count` empty functions: the 950,000-function module is `manyFunctions(950_000)` (3.8 MB). */
export function manyFunctions (count: number): Uint8Array {
  return hostileModule({ functions: count })
}

/**
 * The costliest module the default bounds admit, for measuring the sanitizer: `functions`
 * functions whose bodies fill `totalBytes` with the instruction pattern binaryen and the metering
 * spend the most on per byte (`kind`).
 */
export function worstCaseModule (kind: 'loops' | 'constants' | 'fills', functions: number, totalBytes: number): Uint8Array {
  const pattern = {
    // `loop (br_if 0 (i32.const 0))`: 7 bytes, and a loop a branch targets gets a fuel charge
    // (8 nodes, ~17 bytes); an unconditional `br` would make binaryen drop the code after it
    loops: [0x03, 0x40, 0x41, 0x00, 0x0d, 0x00, END],
    // i32.const 0; drop: two nodes in 3 bytes
    constants: [0x41, 0x00, 0x1a],
    // memory.fill(0, 0, 0): a helper call per 11 bytes
    fills: [0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x00]
  }[kind]
  const perFunction = Math.max(0, Math.floor(totalBytes / functions) - 4)
  const body: number[] = []
  while (body.length + pattern.length <= perFunction) body.push(...pattern)
  return hostileModule({ functions, body })
}
