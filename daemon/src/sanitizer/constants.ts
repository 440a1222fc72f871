// No imports here: executor workers load these names and must not pull in binaryen.

/** Bumped whenever the rewrite in `instrument.ts` changes; cached instrumented bytes carry it. */
export const INSTRUMENTER_VERSION = 1

/** Exported mutable i64 global holding the fuel left. */
export const FUEL_GLOBAL_EXPORT = '__faasmesh_fuel'
/** Exported mutable i32 global set to 1 when a `memory.grow` failed (the memory cap was hit). */
export const OOM_GLOBAL_EXPORT = '__faasmesh_oom'
/** The module's original start function, exported so the host runs it under the fuel budget. */
export const START_EXPORT = '__faasmesh_start'
/** Internal helper every `memory.grow` is routed through. */
export const GROW_HELPER_NAME = '__faasmesh_grow'

/** Export names the host reserves; a module that already exports one is rejected. */
export const RESERVED_EXPORT_PREFIX = '__faasmesh_'

/**
 * Host functions a module may import, by namespace. Everything else is `ForbiddenImportError`.
 * `env.*` are what AssemblyScript's runtime emits; `faasmesh.*` is our host API.
 */
export const ALLOWED_FUNCTION_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  env: ['abort', 'trace', 'seed', 'Date.now'],
  faasmesh: ['log']
}

/** Exports the host ABI needs (`--exportRuntime` provides the `__` ones). */
export const REQUIRED_FUNCTION_EXPORTS = ['handle', '__new', '__pin', '__unpin'] as const
