// No imports here: executor workers load these names and must not pull in binaryen.

/**
 * Bumped whenever the rewrite in `instrument.ts` changes; cached instrumented bytes carry it.
 * 2: bulk memory operations and `table.grow` pay in proportion to their length, tables get a
 * maximum, helper names never collide with the module's own.
 */
export const INSTRUMENTER_VERSION = 2

/** Exported mutable i64 global holding the fuel left. */
export const FUEL_GLOBAL_EXPORT = '__faasmesh_fuel'
/** Exported mutable i32 global set to 1 when a `memory.grow` failed (the memory cap was hit). */
export const OOM_GLOBAL_EXPORT = '__faasmesh_oom'
/** The module's original start function, exported so the host runs it under the fuel budget. */
export const START_EXPORT = '__faasmesh_start'
/**
 * Prefix of the internal helpers `memory.grow`, `table.grow` and the bulk memory operations are
 * routed through (`__faasmesh_grow`, `__faasmesh_fill`...). Internal names, these and the
 * globals', get a suffix when the module already uses them: its name section is the publisher's.
 */
export const HELPER_NAME_PREFIX = '__faasmesh_'

/** Export names the host reserves; a module that already exports one is rejected. */
export const RESERVED_EXPORT_PREFIX = '__faasmesh_'

/**
 * Host functions a module may import, by namespace. Everything else is `ForbiddenImportError`.
 * `env.*` are what AssemblyScript's runtime emits; `faasmesh.*` is our host API: the log and
 * the state API (`executor/state-imports.ts`, wasm-functions/README.md "State").
 */
export const ALLOWED_FUNCTION_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  env: ['abort', 'trace', 'seed', 'Date.now'],
  faasmesh: ['log', 'state_get', 'state_set', 'state_delete', 'state_keys']
}

/** Exports the host ABI needs (`--exportRuntime` provides the `__` ones). */
export const REQUIRED_FUNCTION_EXPORTS = ['handle', '__new', '__pin', '__unpin'] as const

/**
 * Fuel per byte of `memory.fill`, `memory.copy` and `memory.init`, charged before the operation
 * from its length operand. Measured on the 2-core reference machine (64 MiB operations, beyond
 * the caches; interleaved with ordinary metered code in the same process): fill 0.03-0.04 ns and
 * copy 0.06-0.09 ns per byte, against 0.05-0.17 ns per fuel unit of ordinary code (a load-and-add
 * loop, a hash loop, a recursion). A byte of bulk work is therefore worth 0.5-1.8 units; one unit
 * per byte keeps fuel a bound on run time, and 200 fills of 16 MiB (3.4e9 units) exhaust the
 * default budget of 1e9 instead of costing a constant.
 */
export const BULK_FUEL_PER_BYTE = 1

/**
 * Fuel per table entry added by `table.grow`. V8 spends 180-400 ns per entry growing a funcref
 * table (and up to ~1 us per entry when the table grows in steps that make it copy the whole
 * table each time), i.e. 1,000-10,000 units at 0.1-0.4 ns per unit: 4096 makes growing a table
 * to the default cap of 65,536 entries cost 2.7e8 units, about a quarter of the default budget.
 */
export const TABLE_GROW_FUEL_PER_ENTRY = 4096

/**
 * Entries a table may hold, initially or after growing, unless the node says otherwise
 * (`executor.maxTableEntries`). V8 keeps a funcref table on the JS heap (16 bytes per entry,
 * measured) and fills it at every instantiation (~180 ns per entry, every invocation gets a fresh
 * instance), and a table of a few million entries can make V8 abort the whole process. An
 * AssemblyScript module's table holds the functions whose address is taken: tens to a few
 * thousand. 65,536 entries cost 1 MiB and ~12 ms per instantiation at most.
 */
export const DEFAULT_MAX_TABLE_ENTRIES = 65_536

/** V8's own limit on a table's size (`--wasm-max-table-size`): the most a node may allow. */
export const MAX_TABLE_ENTRIES_LIMIT = 10_000_000

/**
 * What a module may declare, checked on the raw bytes before V8 or binaryen parse them (each
 * parser allocates in proportion to these numbers; docs/sandbox.md, "Bounds"). Every limit is far
 * above what an AssemblyScript function uses (the samples, 2-23 KB: at most 41 functions, 17
 * types, 10 globals, 7 exports, one table of 2 entries, 1 element, 82 data segments, 18 locals in
 * a function) and at or below V8's own limits, which guard V8 and not the daemon.
 */
export const MODULE_BOUNDS = {
  /**
   * Functions, imported and defined. A large AssemblyScript application has a few thousand; V8
   * allows 1,000,000, and binaryen spends ~1 KiB and ~20 us per function: a module of 950,000 empty
   * functions (3.8 MB) took 15-23 s and 1.2-1.8 GB to sanitize. 50,000 keeps the worst module
   * the size cap admits within a few seconds.
   */
  maxFunctions: 50_000,
  /** Function types; AssemblyScript emits one per distinct signature (tens). V8 allows 1,000,000. */
  maxTypes: 10_000,
  /**
   * Imports: the allowlist has ten names (memory included), each imported once; a module that
   * imports one name several times is still far below this.
   */
  maxImports: 100,
  /**
   * Exports: the ABI needs five. Instantiation builds a wrapper for every exported function and
   * the loader walks every export on every invocation (~2 us each, wasm.md section 6).
   */
  maxExports: 1_000,
  /** Globals: V8 allocates them per instance (up to 16 bytes each). AssemblyScript emits tens. */
  maxGlobals: 10_000,
  /** Tables: AssemblyScript uses one; each may hold up to the node's table-entry cap. */
  maxTables: 4,
  /** Element segments; AssemblyScript emits one. */
  maxElementSegments: 1_000,
  /** Entries over all element segments: copied into tables at every instantiation. */
  maxElements: 65_536,
  /**
   * Data segments (and the data-count section). AssemblyScript emits one per static string or
   * array (82 in a 20 KB sample, so ~15,000 in a 4 MiB module): V8's own limit, checked before
   * binaryen reads them (~100 bytes each there).
   */
  maxDataSegments: 100_000,
  /** Locals declared by one function (V8 allows 50,000; binaryen keeps every one). */
  maxLocalsPerFunction: 50_000,
  /**
   * Locals declared over the whole module. One declaration of 50,000 locals takes 4 bytes, so
   * without a total a 4 MiB module could make binaryen hold billions of them.
   */
  maxLocals: 1_000_000
} as const

export type ModuleBounds = { -readonly [K in keyof typeof MODULE_BOUNDS]: number }
