/**
 * The function store after a crash (issue 11, item 8): every state a killed deploy, fetch or
 * eviction can leave on disk, written by hand, must start as one consistent store; then real
 * child processes are SIGKILLed mid-deploy and the store is checked after each.
 */
import { spawn } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { INSTRUMENTER_VERSION } from '../src/sanitizer/index.js'
import { cidOf, functionStore, type FunctionStore } from '../src/store/index.js'
import { STUB_SANITIZER, uniqueModule } from './support/deploy-loop.js'
import { ROOT, tempDir } from './support/paths.js'

const TEMP_FILE = /\.[0-9a-f]{12}\.tmp$/
const RUNNABLE_FILE = /^(.+)\.v(\d+)\.(wasm|json)$/
const CHILD = fileURLToPath(new URL('./support/deploy-loop.js', import.meta.url))
const POLYFILLS = join(ROOT, 'dist', 'daemon', 'src', 'polyfills.js')

interface Disk {
  names: Record<string, { cid: string, version: number, deployedAt: string }>
  index: Record<string, { origin: string, size: number }>
  modules: string[]
  runnable: string[]
  temp: string[]
}

const paths = (dir: string): { root: string, modules: string, runnable: string } => {
  const root = join(dir, 'functions')
  return { root, modules: join(root, 'modules'), runnable: join(root, 'runnable') }
}

async function readJson (path: string): Promise<any> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (err: any) {
    if (err?.code === 'ENOENT') return {}
    throw err
  }
}

async function readDisk (dir: string): Promise<Disk> {
  const p = paths(dir)
  const [top, modules, runnable] = await Promise.all([readdir(p.root), readdir(p.modules), readdir(p.runnable)])
  return {
    names: await readJson(join(p.root, 'names.json')),
    index: await readJson(join(p.root, 'modules.json')),
    modules: modules.filter((f) => !TEMP_FILE.test(f)).map((f) => f.replace(/\.wasm$/, '')).sort(),
    runnable: runnable.filter((f) => !TEMP_FILE.test(f)).sort(),
    temp: [...top, ...modules, ...runnable].filter((f) => TEMP_FILE.test(f))
  }
}

/** What "consistent" means on disk; returns what it read. */
async function expectConsistent (dir: string): Promise<Disk> {
  const disk = await readDisk(dir)
  expect(disk.temp, 'leftover temporary files').to.deep.equal([])
  expect(Object.keys(disk.index).sort(), 'modules.json lists exactly the module files').to.deep.equal(disk.modules)
  for (const [name, record] of Object.entries(disk.names)) {
    expect(disk.index[record.cid]?.origin, `the module the name ${name} points to is stored and pinned`).to.equal('local')
  }
  for (const file of disk.runnable) {
    const match = RUNNABLE_FILE.exec(file)
    if (match == null) continue // not the store's
    const [, cid, version] = match
    expect(disk.index[cid!], `${file} belongs to a stored module`).to.not.equal(undefined)
    expect(Number(version), `${file} is of this instrumenter`).to.equal(INSTRUMENTER_VERSION)
  }
  return disk
}

async function open (dir: string, maxCacheBytes?: number): Promise<FunctionStore> {
  const store = functionStore({ dataDir: dir, maxCacheBytes })({ logger: defaultLogger(), sanitizer: STUB_SANITIZER })
  await store.start()
  return store
}

/** Starts and stops the store once: recovery; then a second start must find nothing to repair. */
async function recover (dir: string): Promise<Disk> {
  await (await open(dir)).stop()
  const first = await expectConsistent(dir)
  await (await open(dir)).stop()
  const second = await readDisk(dir)
  expect(second.names, 'recovery is done in one start').to.deep.equal(first.names)
  expect(Object.keys(second.index).sort()).to.deep.equal(Object.keys(first.index).sort())
  return second
}

/** A data dir with the store's directories and the given files, as a crash left them. */
async function crashed (files: Record<string, string | Uint8Array>): Promise<{ path: string, cleanup(): Promise<void> }> {
  const dir = await tempDir('faasmesh-recovery-')
  const p = paths(dir.path)
  await mkdir(p.modules, { recursive: true })
  await mkdir(p.runnable, { recursive: true })
  for (const [file, data] of Object.entries(files)) await writeFile(join(p.root, file), data)
  return dir
}

const A = uniqueModule('recovery', 1)
const B = uniqueModule('recovery', 2)
const record = (cid: string, version = 1): { cid: string, version: number, deployedAt: string } => ({ cid, version, deployedAt: new Date(0).toISOString() })
const meta = (bytes: Uint8Array, origin: 'local' | 'cached'): object => ({ size: bytes.byteLength, storedAt: new Date(0).toISOString(), origin, lastUsedAt: 0 })
const json = (value: unknown): string => JSON.stringify(value)

describe('function store recovery from crash states on disk', function () {
  let a: string
  let b: string
  const dirs: Array<{ cleanup(): Promise<void> }> = []

  before(async function () {
    ;[a, b] = await Promise.all([cidOf(A), cidOf(B)])
  })

  after(async function () {
    await Promise.all(dirs.splice(0).map(async (d) => { await d.cleanup() }))
  })

  it('removes the temporary files of interrupted atomic writes, and nothing else', async function () {
    const dir = await crashed({
      [`modules/${a}.wasm`]: A,
      [`modules/${b}.wasm.0123456789ab.tmp`]: B.subarray(0, 100),
      [`runnable/${a}.v${INSTRUMENTER_VERSION}.wasm.abcdef012345.tmp`]: 'partial',
      'names.json': json({ fa: record(a) }),
      'names.json.00aa11bb22cc.tmp': '{"fa": {"ci',
      'modules.json': json({ [a]: meta(A, 'local') }),
      'modules.json.ffeeddccbbaa.tmp': '',
      'notes.tmp': 'not a temporary file of ours'
    })
    dirs.push(dir)
    const disk = await recover(dir.path)
    expect(disk.modules).to.deep.equal([a])
    expect(disk.names).to.deep.equal({ fa: record(a) })
    expect(await readFile(join(paths(dir.path).root, 'notes.tmp'), 'utf8')).to.equal('not a temporary file of ours')
  })

  it('keeps a module stored by a deploy killed before it bound the name, unpinned and evictable', async function () {
    // killed after the module files, before names.json: nobody deployed it
    const dir = await crashed({
      [`modules/${a}.wasm`]: A,
      [`runnable/${a}.v${INSTRUMENTER_VERSION}.wasm`]: A,
      'names.json': json({}),
      'modules.json': json({})
    })
    dirs.push(dir)
    const disk = await recover(dir.path)
    expect(disk.index[a]?.origin).to.equal('cached')
    expect(disk.runnable).to.deep.equal([`${a}.v${INSTRUMENTER_VERSION}.wasm`])
    // and a cache that overflows drops it like any fetched module
    const store = await open(dir.path, A.byteLength)
    try {
      expect((await store.list()).find((f) => f.cid === a)).to.include({ pinned: false })
      await store.putCached(B)
      expect(store.has(a), 'evicted').to.equal(false)
    } finally {
      await store.stop()
    }
  })

  it('pins a module whose name was bound before the deploy was killed, indexed or not', async function () {
    // killed after names.json, before modules.json marked the module local: a (new) has no
    // index entry, b (fetched earlier, then deployed) is still indexed as cached
    const dir = await crashed({
      [`modules/${a}.wasm`]: A,
      [`modules/${b}.wasm`]: B,
      'names.json': json({ fa: record(a), fb: record(b) }),
      'modules.json': json({ [b]: meta(B, 'cached') })
    })
    dirs.push(dir)
    const disk = await recover(dir.path)
    expect([disk.index[a]?.origin, disk.index[b]?.origin]).to.deep.equal(['local', 'local'])
    const store = await open(dir.path)
    try {
      expect(await store.resolve('fa')).to.equal(a)
      expect((await store.loadRunnable(b)).bytes.byteLength, 'its runnable form is rebuilt').to.be.greaterThan(0)
    } finally {
      await store.stop()
    }
  })

  it('keeps an older version pinned after its name moved to another module', async function () {
    const dir = await tempDir('faasmesh-recovery-')
    dirs.push(dir)
    const store = await open(dir.path)
    await store.deploy('fn', A)
    await store.deploy('fn', B)
    await store.stop()
    const disk = await recover(dir.path)
    expect(disk.names.fn?.cid).to.equal(b)
    expect(disk.index[a]?.origin, 'the version the name left').to.equal('local')
  })

  it('drops a name whose module is gone, index entries without a file, and runnable files without a module or of another instrumenter', async function () {
    const dir = await crashed({
      [`modules/${a}.wasm`]: A,
      [`runnable/${a}.v${INSTRUMENTER_VERSION}.wasm`]: A,
      [`runnable/${a}.v${INSTRUMENTER_VERSION}.json`]: '{}',
      [`runnable/${a}.v${INSTRUMENTER_VERSION - 1}.wasm`]: A,
      [`runnable/${b}.v${INSTRUMENTER_VERSION}.wasm`]: B,
      'runnable/README': 'not ours',
      'names.json': json({ fa: record(a), ghost: record(b, 3) }),
      'modules.json': json({ [a]: meta(A, 'local'), [b]: meta(B, 'local') })
    })
    dirs.push(dir)
    const disk = await recover(dir.path)
    expect(disk.names).to.deep.equal({ fa: record(a) })
    expect(Object.keys(disk.index)).to.deep.equal([a])
    expect(disk.runnable).to.deep.equal(['README', `${a}.v${INSTRUMENTER_VERSION}.json`, `${a}.v${INSTRUMENTER_VERSION}.wasm`].sort())
    const store = await open(dir.path)
    try {
      expect(await store.resolve('ghost').catch((err: Error) => err.name)).to.equal('FunctionNotFoundError')
    } finally {
      await store.stop()
    }
  })
})

describe('function store recovery after SIGKILLs mid-deploy', function () {
  this.timeout(60_000)
  const RUNS = 20
  let dir: { path: string, cleanup(): Promise<void> }
  let child: ReturnType<typeof spawn> | undefined

  before(async function () { dir = await tempDir('faasmesh-kill-') })

  after(async function () {
    child?.kill('SIGKILL')
    await dir.cleanup()
  })

  it(`keeps names and modules consistent, and every acknowledged deploy, across ${RUNS} kills`, async function () {
    // the module each name must point to, and the modules that must stay pinned: both grow
    // with every acknowledged deploy, and with a deploy that bound its name before the kill
    const expected = new Map<string, string>()
    const deployed = new Set<string>()
    let cutShort = 0
    for (let run = 0; run < RUNS; run++) {
      let out = ''
      let errors = ''
      let inFlight: { name: string, cid: string } | undefined
      child = spawn(process.execPath, ['--import', POLYFILLS, CHILD, dir.path, `run-${run}`], { stdio: ['ignore', 'pipe', 'pipe'] })
      const exited = new Promise<void>((resolve) => { child!.once('exit', () => { resolve() }) })
      child.stderr!.on('data', (d) => { errors += String(d) })
      const ready = new Promise<void>((resolve) => {
        child!.stdout!.on('data', (d) => {
          const lines = (out + String(d)).split('\n')
          out = lines.pop()!
          for (const line of lines) {
            const [what, name, cid] = line.split(' ')
            if (what === 'ready') resolve()
            if (what === 'deploying') inFlight = { name: name!, cid: cid! }
            if (what === 'deployed') { expected.set(name!, cid!); deployed.add(cid!); inFlight = undefined }
          }
        })
      })
      await Promise.race([ready, exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
      // somewhere in the first few deploys: each is a few ms of fsynced writes
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 150)))
      child.kill('SIGKILL')
      await exited
      expect(errors, `the child failed on its own in run ${run}`).to.equal('')

      const before = await readDisk(dir.path)
      if (inFlight != null || before.temp.length > 0 || before.modules.some((cid) => before.index[cid] == null)) cutShort++
      const disk = await recover(dir.path)
      for (const cid of disk.modules) {
        const bytes = await readFile(join(paths(dir.path).modules, `${cid}.wasm`))
        expect(await cidOf(bytes), `run ${run}: module ${cid} is intact`).to.equal(cid)
      }
      for (const [name, record] of Object.entries(disk.names)) {
        // a deploy cut short may have bound its name before the kill: then it is the newer one
        const allowed = [expected.get(name), ...(inFlight?.name === name ? [inFlight.cid] : [])]
        expect(allowed, `run ${run}: the name ${name}`).to.include(record.cid)
        expected.set(name, record.cid)
        deployed.add(record.cid)
      }
      expect([...expected.keys()].filter((name) => disk.names[name] == null), `run ${run}: names lost`).to.deep.equal([])
      // a deployed module stays pinned while a name's bounded version history (versions.json) or
      // binding still holds it; one that fell out of every history is only cached
      const history = await readFile(join(paths(dir.path).root, 'versions.json'), 'utf8').then((text) => JSON.parse(text) as Record<string, Array<{ cid: string }>>, () => ({}))
      const held = new Set([...Object.values(history).flat().map((v) => v.cid), ...Object.values(disk.names).map((r) => r.cid)])
      for (const cid of deployed) {
        if (held.has(cid)) expect(disk.index[cid]?.origin, `run ${run}: ${cid} was deployed and stays pinned`).to.equal('local')
      }
      const strays = Object.entries(disk.index).filter(([cid, m]) => m.origin === 'local' && !deployed.has(cid)).map(([cid]) => cid)
      expect(strays, `run ${run}: modules pinned though nobody deployed them`).to.deep.equal([])
    }
    child = undefined
    // the kills did land mid-deploy: otherwise this test proves nothing
    expect(cutShort, 'runs killed with a deploy cut short').to.be.at.least(RUNS / 4)
  })
})
