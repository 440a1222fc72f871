/**
 * The function kit end to end, as a new user outside the repository would use it (issue 16):
 * `faasmesh new` in an empty temp dir, edit, `faasmesh build`, deploy to a real daemon process,
 * invoke. Also: every template builds and runs, `new` never writes into a non-empty directory, a
 * compile error exits 1 with asc's diagnostic, and what AssemblyScript's default runtime means
 * here (incremental works with the ABI flags; asc's defaults are refused, naming the flags).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { BIN, ROOT, tempDir } from './support/paths.js'
import { killAll, startDaemon, type CliResult, type DaemonProcess } from './support/processes.js'

/** Allocates 32 MiB of short-lived garbage, twice the node's default memory cap, then answers. */
const CHURN = `import { inputText, outputText } from 'faasmesh/sdk'

export function handle (input: ArrayBuffer): ArrayBuffer {
  let total = 0
  for (let i = 0; i < 32768; i++) total += new ArrayBuffer(1024).byteLength
  return outputText(inputText(input) + ' ' + total.toString())
}
`

describe('function kit: new, build, deploy, invoke from outside the repository', function () {
  // every build compiles in-process with binaryen's -O3: seconds each on a loaded machine
  this.timeout(180_000)
  let work: { path: string, cleanup(): Promise<void> }
  let daemon: DaemonProcess

  /** `faasmesh <args>` as a process in `cwd`, killed after 120 s. */
  async function faasmesh (cwd: string, ...args: string[]): Promise<CliResult> {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d) => { stdout += String(d) })
    proc.stderr.on('data', (d) => { stderr += String(d) })
    const timer = setTimeout(() => { proc.kill('SIGKILL') }, 120_000)
    const code = await new Promise<number | null>((resolve) => { proc.once('close', resolve) })
    clearTimeout(timer)
    return { code, stdout, stderr }
  }

  async function ok (cwd: string, ...args: string[]): Promise<string> {
    const result = await faasmesh(cwd, ...args)
    expect(result.code, `faasmesh ${args.join(' ')}:\n${result.stdout}${result.stderr}`).to.equal(0)
    return result.stdout
  }

  const api = (): string[] => ['--api', daemon.url]

  /** What `faasmesh invoke` printed, without the newline the CLI ends its output with. */
  async function invoke (cwd: string, ...args: string[]): Promise<string> {
    return (await ok(cwd, 'invoke', ...args, ...api())).replace(/\n$/, '')
  }

  before(async function () {
    work = await tempDir('faasmesh-kit-')
    expect(work.path.startsWith(ROOT)).to.equal(false)
    await mkdir(join(work.path, 'data'))
    daemon = await startDaemon(join(work.path, 'data'))
  })

  after(async function () {
    await daemon?.stop('SIGKILL')
    killAll()
    await work?.cleanup()
  })

  it('new, edit, build, deploy and invoke: the edited function answers', async function () {
    const home = join(work.path, 'home')
    await mkdir(home)
    const created = await ok(home, 'new', 'myfn')
    expect(created).to.include('faasmesh build').and.include('faasmesh deploy myfn build/myfn.wasm')
    const project = join(home, 'myfn')
    for (const file of ['package.json', 'asconfig.json', 'assembly/index.ts', 'input.txt', '.gitignore', 'README.md']) {
      expect(existsSync(join(project, file)), file).to.equal(true)
    }
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'))
    expect(pkg).to.deep.include({ name: 'myfn', private: true, devDependencies: { assemblyscript: '0.28.20' } })
    expect(pkg.dependencies).to.equal(undefined)
    expect(pkg.scripts.asbuild).to.equal('faasmesh build')
    // the ABI's flags come from the file build.mjs reads, not from a copy
    const { abi } = JSON.parse(await readFile(join(ROOT, 'wasm-functions', 'asc-options.json'), 'utf8'))
    expect(JSON.parse(await readFile(join(project, 'asconfig.json'), 'utf8')).options).to.include(abi).and.include({ runtime: 'stub' })

    const source = join(project, 'assembly', 'index.ts')
    const code = await readFile(source, 'utf8')
    expect(code).to.include("from 'faasmesh/sdk'").and.include("'Hello, '")
    await writeFile(source, code.replace("'Hello, '", "'Howdy, '"))

    const built = await ok(project, 'build')
    expect(built).to.match(/built build\/myfn\.wasm \([\d.]+ KiB in [\d.]+ s\)/).and.include('next: faasmesh deploy myfn build/myfn.wasm')
    expect(existsSync(join(project, 'node_modules'))).to.equal(false)

    await ok(project, 'deploy', 'myfn', 'build/myfn.wasm', ...api())
    expect(await invoke(project, 'myfn', '--file', 'input.txt')).to.equal('Howdy, mesh!')
  })

  it('builds and runs every other template (json, stateful)', async function () {
    await ok(work.path, 'new', 'stats', '--template', 'json', '--dir', join(work.path, 'json-fn'))
    await ok(work.path, 'build', 'json-fn')
    await ok(work.path, 'deploy', 'stats', 'json-fn/build/stats.wasm', ...api())
    expect(await invoke(work.path, 'stats', '--file', 'json-fn/input.json')).to.equal('{"count":5,"sum":14,"max":5}')

    await ok(work.path, 'new', 'visits', '--template', 'stateful')
    await ok(work.path, 'build', 'visits', '--out', join(work.path, 'visits.wasm'))
    await ok(work.path, 'deploy', 'visits', 'visits.wasm', ...api())
    const visit = async (): Promise<string> => invoke(work.path, 'visits', '--file', 'visits/input.txt', '--state-key', 'door-7')
    expect(await visit()).to.equal('5')
    expect(await visit()).to.equal('10')
  })

  it('refuses to scaffold into a non-empty directory or under an invalid name', async function () {
    const taken = join(work.path, 'taken')
    await mkdir(taken)
    await writeFile(join(taken, 'notes.txt'), 'mine')
    const refused = await faasmesh(work.path, 'new', 'taken')
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.include('DirectoryNotEmptyError').and.include(taken)
    expect(await readFile(join(taken, 'notes.txt'), 'utf8')).to.equal('mine')
    expect(existsSync(join(taken, 'package.json'))).to.equal(false)

    const invalid = await faasmesh(work.path, 'new', 'My_Fn')
    expect(invalid.code).to.equal(2)
    expect(invalid.stderr).to.include('invalid function name')
    expect((await faasmesh(work.path, 'new', 'x', '--template', 'rust')).code).to.equal(2)
  })

  it('a syntax error exits 1 with asc\'s diagnostic, and writes no module', async function () {
    await ok(work.path, 'new', 'broken')
    const project = join(work.path, 'broken')
    await writeFile(join(project, 'assembly', 'index.ts'), 'export function handle (input: ArrayBuffer): ArrayBuffer { return input + }\n')
    const failed = await faasmesh(project, 'build')
    expect(failed.code).to.equal(1)
    expect(failed.stderr).to.include('TS1109').and.include('assembly/index.ts(1,').and.include('CompileError')
    expect(existsSync(join(project, 'build', 'broken.wasm'))).to.equal(false)
  })

  it('incremental runtime: works with the ABI flags (and frees what stub cannot); asc\'s defaults are refused, naming the flags', async function () {
    await ok(work.path, 'new', 'churn')
    const project = join(work.path, 'churn')
    await writeFile(join(project, 'assembly', 'index.ts'), CHURN)
    await ok(project, 'build', '--out', 'stub.wasm')
    const asconfig = join(project, 'asconfig.json')
    await writeFile(asconfig, (await readFile(asconfig, 'utf8')).replace('"runtime": "stub"', '"runtime": "incremental"'))
    await ok(project, 'build', '--out', 'incremental.wasm')

    await ok(project, 'deploy', 'churn-stub', 'stub.wasm', ...api())
    const stub = await faasmesh(project, 'invoke', 'churn-stub', '--data', 'gc', ...api())
    expect(stub.stderr).to.include('OutOfMemoryError')
    await ok(project, 'deploy', 'churn', 'incremental.wasm', ...api())
    expect(await invoke(project, 'churn', '--data', 'gc')).to.equal('gc 33554432')

    // what `asc fn.ts -O3` makes with asc's defaults: its own memory, no runtime exports
    // a specifier in a variable: the compiler's own .d.ts files clash with @types/node when type-checked
    const ascModule: string = 'assemblyscript/asc'
    const asc: { main: (args: string[], options: object) => Promise<{ error: Error | null }> } = await import(ascModule)
    const plain = join(project, 'plain.ts')
    await writeFile(plain, 'export function handle (input: ArrayBuffer): ArrayBuffer { return input }\n')
    const { error } = await asc.main([plain, '-o', join(project, 'plain.wasm'), '-O3'], { stdout: process.stdout, stderr: process.stderr })
    expect(error).to.equal(null)
    const refused = await faasmesh(project, 'deploy', 'plain', 'plain.wasm', ...api())
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.include('InvalidModuleError').and.include('--importMemory').and.include('--exportRuntime').and.include('faasmesh build')
  })

  it('exports the SDK as faasmesh/sdk', async function () {
    const sdk = fileURLToPath(import.meta.resolve('faasmesh/sdk'))
    expect(sdk).to.equal(join(ROOT, 'wasm-functions', 'sdk', 'index.ts'))
    expect(existsSync(sdk)).to.equal(true)
  })
})
