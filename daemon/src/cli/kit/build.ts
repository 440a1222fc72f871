/**
 * `faasmesh build [dir]`: compiles a function project with this package's own AssemblyScript
 * (imported in-process, never whatever `npx asc` finds), the ABI's compiler options and the SDK
 * resolved from this installation, then runs the sanitizer's interface checks on the result so a
 * module the daemon would refuse fails here, before any deploy.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { checkInterface } from '../../sanitizer/index.js'
import { bytes } from '../format.js'
import { print, type CliIo } from '../io.js'
import { CompileError, NotAFunctionProjectError } from './errors.js'
import { kitOptions, kitPaths, type AscOptions } from './installation.js'
import { sdkResolution } from './sdk-resolution.js'
import type { Command } from '../commands.js'

/** Where a scaffolded project keeps its code; asconfig.json `entries` may say otherwise. */
export const DEFAULT_ENTRY = 'assembly/index.ts'

interface AsConfig {
  entries?: string[]
  options?: AscOptions
  targets?: Record<string, AscOptions>
}

export interface BuildResult {
  /** The function's name: package.json `name`, else the directory's. */
  name: string
  /** Absolute path of the module written. */
  out: string
  size: number
  ms: number
}

async function readJson<T> (file: string): Promise<T | undefined> {
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T
  } catch (err: any) {
    throw new NotAFunctionProjectError(`${file} is not valid JSON: ${String(err?.message ?? err)}`)
  }
}

/** asconfig-style options as asc flags (asc's own `configToArguments` is not in its typings). */
function toArguments (options: AscOptions): string[] {
  return Object.entries(options).flatMap(([key, value]) => value === true ? [`--${key}`] : value === false ? [] : [`--${key}`, String(value)])
}

/** A path as the user would type it: relative when under the working directory. */
function shown (path: string): string {
  const rel = relative(process.cwd(), path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

export async function buildProject (dir: string, io: CliIo, options: { out?: string } = {}): Promise<BuildResult> {
  const pkg = await readJson<{ name?: string }>(join(dir, 'package.json'))
  const asconfig = await readJson<AsConfig>(join(dir, 'asconfig.json')) ?? {}
  const name = pkg?.name ?? basename(dir)
  // asc adds asconfig's entries itself; naming them again would parse them twice
  const entry = asconfig.entries?.[0] ?? DEFAULT_ENTRY
  if (!existsSync(join(dir, entry))) {
    throw new NotAFunctionProjectError(`${shown(join(dir, entry))} does not exist: is ${shown(dir)} a function project? (faasmesh new <name> makes one)`)
  }
  const out = resolve(options.out ?? join(dir, 'build', `${name}.wasm`))
  const { abi, defaults } = await kitOptions()
  // the project's asconfig may choose its own optimization and runtime; never its ABI
  const chosen = { ...asconfig.options, ...asconfig.targets?.release }
  const recommended = Object.fromEntries(Object.entries(defaults).filter(([key]) => !(key in chosen)))
  const sdk = sdkResolution(kitPaths.sdk(), dir)

  // a specifier in a variable: the compiler's own .d.ts files clash with @types/node when type-checked
  const ascModule: string = 'assemblyscript/asc'
  const asc: { main: (args: string[], options: object) => Promise<{ error: Error | null }> } = await import(ascModule)
  const args = [
    ...(asconfig.entries != null ? [] : [entry]),
    '--baseDir', dir, '--outFile', out, '--path', sdk.packagesDir,
    ...toArguments({ ...recommended, ...abi })
  ]
  const started = performance.now()
  const { error } = await asc.main(args, { stdout: io.stdout, stderr: io.stderr, readFile: sdk.readFile })
  if (error != null) throw new CompileError(`${entry} did not compile: ${error.message}`)
  const ms = performance.now() - started

  const wasm = await readFile(out)
  checkInterface(wasm)
  return { name, out, size: wasm.byteLength, ms }
}

export const BUILD_COMMAND: Command = {
  name: 'build',
  usage: 'faasmesh build [dir] [--out FILE]',
  summary: 'Compile a function project (faasmesh new) into build/<name>.wasm, ready to deploy',
  positionals: [0, 1],
  options: {
    out: { type: 'string', short: 'o', arg: '<file>', help: 'Write the module here (default: <dir>/build/<name>.wasm)' }
  },
  async run (args, io) {
    const dir = resolve(args.positionals[0] ?? '.')
    const built = await buildProject(dir, io, { out: args.values.out as string | undefined })
    print(io.stdout, `built ${shown(built.out)} (${bytes(built.size)} in ${(built.ms / 1000).toFixed(1)} s)\n` +
      `next: faasmesh deploy ${built.name} ${shown(built.out)}`)
    return 0
  }
}
