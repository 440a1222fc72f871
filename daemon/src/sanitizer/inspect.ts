/**
 * Structural checks on a compiled module, before any instrumentation: the import allowlist and
 * the exports the host ABI needs. Uses only `WebAssembly.Module.imports/exports`, which list
 * names and kinds without instantiating anything.
 */
import { ForbiddenImportError, InvalidModuleError } from '../errors.js'
import { ALLOWED_FUNCTION_IMPORTS, REQUIRED_FUNCTION_EXPORTS, RESERVED_EXPORT_PREFIX } from './constants.js'

/** Compiles `bytes`, turning V8's `CompileError` into `InvalidModuleError`. */
export function compile (bytes: Uint8Array): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)
  } catch (err: any) {
    throw new InvalidModuleError(`not a valid Wasm module: ${String(err?.message ?? err)}`)
  }
}

/** Throws `ForbiddenImportError` for any import outside the allowlist, naming every offender. */
export function checkImports (module: WebAssembly.Module): void {
  const forbidden: string[] = []
  let memoryImports = 0
  for (const { module: ns, name, kind } of WebAssembly.Module.imports(module)) {
    if (ns === 'env' && name === 'memory' && kind === 'memory') {
      memoryImports++
      continue
    }
    // Object.hasOwn: a name such as `constructor` must not match through the prototype chain
    const allowed = Object.hasOwn(ALLOWED_FUNCTION_IMPORTS, ns) && kind === 'function' &&
      ALLOWED_FUNCTION_IMPORTS[ns]!.includes(name)
    if (!allowed) forbidden.push(`${ns}.${name} (${kind})`)
  }
  if (forbidden.length > 0) {
    throw new ForbiddenImportError(`module imports ${forbidden.join(', ')}; allowed: env.memory, ${
      Object.entries(ALLOWED_FUNCTION_IMPORTS).flatMap(([ns, names]) => names.map((n) => `${ns}.${n}`)).join(', ')}`)
  }
  if (memoryImports === 0) {
    throw new InvalidModuleError('module does not import env.memory; build it with --importMemory so the host owns the memory and its cap')
  }
}

/** Throws `InvalidModuleError` unless the module exports what the host ABI calls. */
export function checkExports (module: WebAssembly.Module): void {
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]))
  const missing = REQUIRED_FUNCTION_EXPORTS.filter((name) => exports.get(name) !== 'function')
  if (missing.length > 0) {
    throw new InvalidModuleError(`module does not export ${missing.join(', ')}; a function exports handle(input: ArrayBuffer): ArrayBuffer and is built with --exportRuntime`)
  }
  if (exports.get('memory') !== 'memory') {
    throw new InvalidModuleError('module does not export its memory as "memory"')
  }
  const reserved = [...exports.keys()].filter((name) => name.startsWith(RESERVED_EXPORT_PREFIX))
  if (reserved.length > 0) {
    throw new InvalidModuleError(`module exports names reserved for the host: ${reserved.join(', ')}`)
  }
}
