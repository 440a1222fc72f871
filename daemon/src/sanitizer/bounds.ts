/**
 * A structural pre-check on the raw bytes, before V8 compiles them and before binaryen reads
 * them: both parsers allocate in proportion to the numbers a module declares (a 128-byte module
 * declaring `(table 5000000 funcref)` makes V8 abort the process; 950,000 empty functions make
 * binaryen take seconds and gigabytes), so those numbers are checked first, by walking the section
 * headers and the few vectors whose sizes matter. Reads only: every read is bounds-checked, and
 * the walk is linear in the module's size (it stops at the first bound exceeded).
 *
 * Refusals are `InvalidModuleError` naming the bound, the value and the limit. Malformed bytes
 * are refused too; V8 would refuse them a moment later.
 */
import { InvalidModuleError } from '../errors.js'
import type { ModuleBounds } from './constants.js'

/** What the walk has counted so far. */
interface Counts {
  functions: number
  tables: number
  types: number
  imports: number
  exports: number
  globals: number
  elementSegments: number
  elements: number
  dataSegments: number
  locals: number
  bodies: number
}

interface Table { initial: number, maximum?: number }

// section ids and import kinds (WebAssembly core spec, binary format)
const SECTION = { type: 1, import: 2, function: 3, table: 4, global: 6, export: 7, element: 9, code: 10, data: 11, dataCount: 12, tag: 13 } as const
const IMPORT = { function: 0, table: 1, memory: 2, global: 3, tag: 4 } as const

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

/** A cursor over `bytes[pos, end)`. Every read throws `InvalidModuleError` past `end`. */
class Reader {
  constructor (readonly bytes: Uint8Array, public pos: number, readonly end: number) {}

  get done (): boolean { return this.pos >= this.end }

  u8 (): number {
    if (this.pos >= this.end) throw malformed('unexpected end', this.pos)
    return this.bytes[this.pos++]!
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32 (): number {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8()
      if (shift === 28 && (byte & 0x70) !== 0) throw malformed('integer too large', this.pos - 1)
      result += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return result
    }
    throw malformed('integer too long', this.pos)
  }

  /** Any LEB128 of at most `maxBytes` bytes (signed constants, 64-bit values), skipped. */
  skipLeb (maxBytes: number): void {
    for (let i = 0; i < maxBytes; i++) {
      if ((this.u8() & 0x80) === 0) return
    }
    throw malformed('integer too long', this.pos)
  }

  skip (n: number): void {
    if (n > this.end - this.pos) throw malformed('unexpected end', this.pos)
    this.pos += n
  }

  /** A name or byte vector: its length, then that many bytes. */
  skipVec (): void { this.skip(this.u32()) }
}

function malformed (what: string, pos: number): InvalidModuleError {
  return new InvalidModuleError(`not a valid Wasm module: ${what} at byte ${pos}`)
}

function exceeds (what: string, value: number, limit: number, hint = ''): InvalidModuleError {
  return new InvalidModuleError(`module declares ${value} ${what}; the limit is ${limit}${hint}`)
}

function check (what: string, value: number, limit: number, hint?: string): void {
  if (value > limit) throw exceeds(what, value, limit, hint)
}

/**
 * Checks what `bytes` declares against `bounds` and `maxTableEntries`. Throws
 * `InvalidModuleError` naming the first bound exceeded.
 */
export function checkBounds (bytes: Uint8Array, bounds: ModuleBounds, maxTableEntries: number): void {
  if (bytes.byteLength < 8 || MAGIC_AND_VERSION.some((b, i) => bytes[i] !== b)) {
    throw new InvalidModuleError('not a valid Wasm module: no Wasm magic number and version 1')
  }
  const counts: Counts = { functions: 0, tables: 0, types: 0, imports: 0, exports: 0, globals: 0, elementSegments: 0, elements: 0, dataSegments: 0, locals: 0, bodies: 0 }
  const module = new Reader(bytes, 8, bytes.byteLength)
  while (!module.done) {
    const id = module.u8()
    const size = module.u32()
    const start = module.pos
    module.skip(size)
    const r = new Reader(bytes, start, start + size)
    switch (id) {
      case SECTION.type:
        check('function types', counts.types += r.u32(), bounds.maxTypes)
        break
      case SECTION.import:
        readImports(r, counts, bounds, maxTableEntries)
        break
      case SECTION.function:
        check(FUNCTIONS, counts.functions += r.u32(), bounds.maxFunctions)
        break
      case SECTION.table:
        for (let n = r.u32(), i = 0; i < n; i++) addTable(counts, readTable(r), bounds, maxTableEntries)
        break
      case SECTION.global:
        check('globals', counts.globals += r.u32(), bounds.maxGlobals)
        break
      case SECTION.export:
        check('exports', counts.exports += r.u32(), bounds.maxExports)
        break
      case SECTION.element:
        readElements(r, counts, bounds)
        break
      case SECTION.code:
        readCode(r, counts, bounds)
        break
      case SECTION.data:
        check('data segments', counts.dataSegments += r.u32(), bounds.maxDataSegments)
        break
      case SECTION.dataCount:
        check('data segments (data count section)', r.u32(), bounds.maxDataSegments)
        break
      case SECTION.tag:
        // refused here rather than by binaryen's validator, which would print the module
        throw new InvalidModuleError('module declares exception tags; exception handling is not supported')
      default:
        // custom, memory, start: nothing in them scales what a parser allocates beyond their
        // size, which the module size cap bounds; V8 rejects unknown section ids
        break
    }
  }
}

const FUNCTIONS = 'functions (imported and defined)'

function readImports (r: Reader, counts: Counts, bounds: ModuleBounds, maxTableEntries: number): void {
  const n = r.u32()
  check('imports', counts.imports += n, bounds.maxImports)
  for (let i = 0; i < n; i++) {
    r.skipVec() // module
    r.skipVec() // name
    const kind = r.u8()
    switch (kind) {
      case IMPORT.function:
        r.u32()
        check(FUNCTIONS, ++counts.functions, bounds.maxFunctions)
        break
      case IMPORT.table:
        addTable(counts, readTableType(r), bounds, maxTableEntries)
        break
      case IMPORT.memory: {
        const flags = r.u8()
        const width = (flags & 0x04) !== 0 ? 10 : 5 // memory64 limits are 64-bit
        r.skipLeb(width)
        if ((flags & 0x01) !== 0) r.skipLeb(width)
        break
      }
      case IMPORT.global:
        skipValType(r)
        r.u8() // mutability
        break
      case IMPORT.tag:
        throw new InvalidModuleError('module imports an exception tag; exception handling is not supported')
      default:
        throw malformed(`unknown import kind ${kind}`, r.pos - 1)
    }
  }
}

function addTable (counts: Counts, table: Table, bounds: ModuleBounds, maxTableEntries: number): void {
  check('tables', ++counts.tables, bounds.maxTables)
  // only the initial size is refused: a larger declared maximum is lowered to the cap by the instrumenter
  check(`entries in table ${counts.tables - 1} at start`, table.initial, maxTableEntries, ' (executor.maxTableEntries)')
}

/** A table in the table section: a table type, or (function-references proposal) 0x40 0x00, a table type and an initializer. */
function readTable (r: Reader): Table {
  if (r.bytes[r.pos] === 0x40) {
    r.u8()
    if (r.u8() !== 0x00) throw malformed('bad table initializer prefix', r.pos - 1)
    const table = readTableType(r)
    skipConstExpr(r)
    return table
  }
  return readTableType(r)
}

function readTableType (r: Reader): Table {
  skipValType(r)
  const flags = r.u8()
  if (flags > 0x01) {
    // 0x02/0x03 shared, 0x04-0x07 64-bit (table64): neither is something our runtime supports
    throw new InvalidModuleError(`module declares a table with limits flags 0x${flags.toString(16)}; only 32-bit, unshared tables are supported`)
  }
  const initial = r.u32()
  return (flags & 0x01) !== 0 ? { initial, maximum: r.u32() } : { initial }
}

/** A value type: one byte, or a reference type's prefix followed by its heap type (a signed LEB). */
function skipValType (r: Reader): void {
  const code = r.u8()
  if (code === 0x63 || code === 0x64) r.skipLeb(5) // (ref null ht) / (ref ht)
}

/**
 * A constant expression, up to and including its `end`. Knows the opcodes constant expressions
 * may use (MVP, reference types, extended-const, SIMD); anything else is refused rather than
 * guessed at.
 */
function skipConstExpr (r: Reader): void {
  for (;;) {
    const op = r.u8()
    switch (op) {
      case 0x0b: return // end
      case 0x41: r.skipLeb(5); break // i32.const
      case 0x42: r.skipLeb(10); break // i64.const
      case 0x43: r.skip(4); break // f32.const
      case 0x44: r.skip(8); break // f64.const
      case 0x23: r.u32(); break // global.get
      case 0xd2: r.u32(); break // ref.func
      case 0xd0: r.skipLeb(5); break // ref.null heaptype
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break // extended-const add/sub/mul
      case 0xfd: // v128.const
        if (r.u32() !== 12) throw malformed('unsupported instruction in a constant expression', r.pos - 1)
        r.skip(16)
        break
      default:
        throw new InvalidModuleError(`module uses opcode 0x${op.toString(16)} in a constant expression; it is not supported`)
    }
  }
}

function readElements (r: Reader, counts: Counts, bounds: ModuleBounds): void {
  const n = r.u32()
  check('element segments', counts.elementSegments += n, bounds.maxElementSegments)
  for (let i = 0; i < n; i++) {
    const flags = r.u32()
    if (flags > 7) throw malformed(`unknown element segment flags ${flags}`, r.pos - 1)
    const passiveOrDeclarative = (flags & 0x01) !== 0
    const explicitTable = (flags & 0x02) !== 0
    const expressions = (flags & 0x04) !== 0
    if (!passiveOrDeclarative) {
      if (explicitTable) r.u32()
      skipConstExpr(r)
    }
    // flags 0 and 4 imply funcref; the others name an element kind (one byte) or a reference type
    if (passiveOrDeclarative || explicitTable) {
      if (expressions) skipValType(r)
      else r.u8()
    }
    const entries = r.u32()
    check('table elements (over all element segments)', counts.elements += entries, bounds.maxElements)
    for (let j = 0; j < entries; j++) {
      if (expressions) skipConstExpr(r)
      else r.u32()
    }
  }
}

/**
 * The code section: only each body's local declarations are read (a count and a type per run of
 * locals); the instructions are skipped by the body's size.
 */
function readCode (r: Reader, counts: Counts, bounds: ModuleBounds): void {
  const n = r.u32()
  check('function bodies', counts.bodies += n, bounds.maxFunctions)
  for (let i = 0; i < n; i++) {
    const size = r.u32()
    const end = r.pos + size
    if (size > r.end - r.pos) throw malformed('function body past the end of its section', r.pos)
    const body = new Reader(r.bytes, r.pos, end)
    let locals = 0
    for (let decls = body.u32(), d = 0; d < decls; d++) {
      locals += body.u32()
      check(`locals in function body ${i}`, locals, bounds.maxLocalsPerFunction)
      skipValType(body)
    }
    check('locals (over all functions)', counts.locals += locals, bounds.maxLocals)
    r.pos = end
  }
}
