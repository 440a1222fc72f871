/**
 * Structural checks on a compiled module, before any instrumentation: the ABI's shape, the import
 * allowlist and the exports the host ABI needs. Uses only `WebAssembly.Module.imports/exports`, which list
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

/**
 * How to build a module the host can run, named when one is refused. Any asc runtime works:
 * the host pins the input it passes, and a fresh instance serves each invocation.
 */
const ABI_FLAGS_HINT = 'build it with `faasmesh build`, or with asc\'s --importMemory --exportRuntime ' +
  '(e.g. asc fn.ts -O3 --runtime stub --importMemory --exportRuntime; --runtime incremental or minimal work too)'

/**
 * Throws `InvalidModuleError` unless the module has the ABI's shape: it imports its memory and
 * exports `handle` with the runtime helpers. What asc emits without the ABI flags (its defaults)
 * lacks both; one message names every flag missing, not only the first.
 */
export function checkAbi (module: WebAssembly.Module): void {
  const problems: string[] = []
  const importsMemory = WebAssembly.Module.imports(module).some((i) => i.module === 'env' && i.name === 'memory' && i.kind === 'memory')
  if (!importsMemory) problems.push('it defines its own memory instead of importing env.memory (--importMemory: the host owns the memory and its cap)')
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]))
  const missing = REQUIRED_FUNCTION_EXPORTS.filter((name) => exports.get(name) !== 'function')
  if (missing.length > 0) {
    problems.push(`it does not export ${missing.join(', ')} (a function exports handle(input: ArrayBuffer): ArrayBuffer; --exportRuntime exports the __ helpers)`)
  }
  if (problems.length > 0) throw new InvalidModuleError(`module is not built for the faasmesh ABI: ${problems.join('; ')}; ${ABI_FLAGS_HINT}`)
}

/** Throws `ForbiddenImportError` for any import outside the allowlist, naming every offender. */
export function checkImports (module: WebAssembly.Module): void {
  const forbidden: string[] = []
  for (const { module: ns, name, kind } of WebAssembly.Module.imports(module)) {
    if (ns === 'env' && name === 'memory' && kind === 'memory') continue
    // Object.hasOwn: a name such as `constructor` must not match through the prototype chain
    const allowed = Object.hasOwn(ALLOWED_FUNCTION_IMPORTS, ns) && kind === 'function' &&
      ALLOWED_FUNCTION_IMPORTS[ns]!.includes(name)
    if (!allowed) forbidden.push(`${ns}.${name} (${kind})`)
  }
  if (forbidden.length > 0) {
    throw new ForbiddenImportError(`module imports ${forbidden.join(', ')}; allowed: env.memory, ${
      Object.entries(ALLOWED_FUNCTION_IMPORTS).flatMap(([ns, names]) => names.map((n) => `${ns}.${n}`)).join(', ')}`)
  }
}

/** Throws `InvalidModuleError` unless the module exports its memory and nothing the host reserves. */
export function checkExports (module: WebAssembly.Module): void {
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]))
  if (exports.get('memory') !== 'memory') {
    throw new InvalidModuleError('module does not export its memory as "memory"')
  }
  const reserved = [...exports.keys()].filter((name) => name.startsWith(RESERVED_EXPORT_PREFIX))
  if (reserved.length > 0) {
    throw new InvalidModuleError(`module exports names reserved for the host: ${reserved.join(', ')}`)
  }
}

/**
 * Compiles `bytes` and runs every check above: what a module must pass before instrumentation,
 * and all `faasmesh build` checks on what it just built.
 */
export function checkInterface (bytes: Uint8Array): void {
  const module = compile(bytes)
  checkImports(module)
  checkAbi(module)
  checkExports(module)
}
