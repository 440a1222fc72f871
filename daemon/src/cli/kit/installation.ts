/**
 * What the kit takes from this installation of faasmesh: the templates, the guest SDK, the
 * AssemblyScript version it is pinned to and the compiler options the host ABI needs. The options
 * live in `wasm-functions/asc-options.json`, which `npm run build:wasm` reads too.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../version.js'

/** asc options in asconfig.json form (`optimizeLevel`, `runtime`, ...). */
export type AscOptions = Record<string, string | number | boolean>

export interface KitOptions {
  /** What the host ABI requires: `faasmesh build` always applies them. */
  abi: AscOptions
  /** What the kit recommends: a project's asconfig.json may choose otherwise. */
  defaults: AscOptions
}

function root (): string {
  // PACKAGE_ROOT is only missing when dist/ was copied away from its package.json
  if (PACKAGE_ROOT == null) throw new Error('cannot find the faasmesh package this command belongs to')
  return PACKAGE_ROOT
}

export const kitPaths = {
  templates: (): string => join(root(), 'wasm-functions', 'templates'),
  sdk: (): string => join(root(), 'wasm-functions', 'sdk')
}

export async function kitOptions (): Promise<KitOptions> {
  return JSON.parse(await readFile(join(root(), 'wasm-functions', 'asc-options.json'), 'utf8'))
}

/** The AssemblyScript version this package depends on (a scaffolded project pins the same). */
export async function assemblyScriptVersion (): Promise<string> {
  const pkg = JSON.parse(await readFile(join(root(), 'package.json'), 'utf8'))
  return String(pkg.dependencies.assemblyscript)
}
