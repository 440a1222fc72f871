/**
 * Scaffolding a function project from `wasm-functions/templates/`: `common/` (README, tsconfig
 * for editors, .gitignore) plus one template's `assembly/index.ts` and test input, with the
 * package.json and asconfig.json written from this installation (its AssemblyScript version and
 * compiler options, so they are never copied by hand).
 */
import { cp, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DirectoryNotEmptyError } from './errors.js'
import { assemblyScriptVersion, kitOptions, kitPaths } from './installation.js'

export const TEMPLATES = ['hello', 'json', 'stateful'] as const
export type TemplateName = typeof TEMPLATES[number]

/** Extra arguments of the invoke line shown in the README and by `faasmesh new`. */
export const INVOKE_ARGS: Record<TemplateName, string> = {
  hello: '',
  json: '',
  // a stateful function needs a state key to keep its state under
  stateful: ' --state-key demo'
}

export interface Scaffolded {
  /** Files written, relative to the project directory, sorted. */
  files: string[]
  /** The test input file, relative to the project directory. */
  input: string
}

/** Throws `DirectoryNotEmptyError` unless `dir` is absent or an empty directory. */
async function checkEmpty (dir: string): Promise<void> {
  const info = await stat(dir).catch((err: any) => { if (err?.code === 'ENOENT') return undefined; throw err })
  if (info == null) return
  if (!info.isDirectory()) throw new DirectoryNotEmptyError(`${dir} exists and is not a directory`)
  const entries = await readdir(dir)
  if (entries.length > 0) throw new DirectoryNotEmptyError(`${dir} is not empty (${entries.length} entries): choose a new name or --dir, or empty it first`)
}

async function listFiles (dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name)
    if (entry.isDirectory()) out.push(...await listFiles(dir, path))
    else out.push(path)
  }
  return out
}

export async function scaffold (dir: string, name: string, template: TemplateName): Promise<Scaffolded> {
  await checkEmpty(dir)
  const templates = kitPaths.templates()
  const input = (await readdir(join(templates, template))).find((f) => f.startsWith('input.'))
  if (input == null) throw new Error(`template ${template} has no input file`)
  const { abi, defaults } = await kitOptions()

  await mkdir(dir, { recursive: true })
  await cp(join(templates, 'common'), dir, { recursive: true })
  await cp(join(templates, template), dir, { recursive: true })
  // stored without its dot, so the template's own folder does not ignore anything
  await rename(join(dir, '_gitignore'), join(dir, '.gitignore'))
  const readme = join(dir, 'README.md')
  const values: Record<string, string> = { name, template, input, invokeArgs: INVOKE_ARGS[template] }
  await writeFile(readme, (await readFile(readme, 'utf8')).replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? ''))

  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    description: `A faasmesh function (template ${template})`,
    scripts: { asbuild: 'faasmesh build' },
    devDependencies: { assemblyscript: await assemblyScriptVersion() }
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  const asconfig = { entries: ['assembly/index.ts'], options: { outFile: `build/${name}.wasm`, ...defaults, ...abi } }
  await writeFile(join(dir, 'asconfig.json'), JSON.stringify(asconfig, null, 2) + '\n')
  return { files: (await listFiles(dir)).sort(), input }
}
