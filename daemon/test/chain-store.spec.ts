import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { format } from 'node:util'
import { expect } from 'chai'
import { canonicalChainBytes, chainCidOf, parseChainSpec } from '../src/chains/spec.js'
import { chainStore } from '../src/chains/store.js'
import { tempDir } from './support/paths.js'
import type { ChainStore } from '../src/chains/store.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'

const enc = (text: string): Uint8Array => new TextEncoder().encode(text)

const PIPELINE = JSON.stringify({
  description: 'sensor pipeline',
  steps: [
    { id: 'parse', fn: 'sensor-parse' },
    { id: 'baseline', fn: 'sensor-baseline', after: ['parse'], state: true },
    { id: 'alert', fn: 'threshold', after: ['baseline'] },
    { id: 'again', fn: 'sensor-parse', after: ['alert'] }
  ]
}, null, 2)

const PIPELINE_YAML = `description: sensor pipeline
steps:
  - { id: parse, fn: sensor-parse }
  - { id: baseline, fn: sensor-baseline, after: [parse], state: true }
  - { id: alert, fn: threshold, after: [baseline] }
  - { id: again, fn: sensor-parse, after: [alert] }
`

const SINGLE = '{"steps":[{"id":"only","fn":"hello"}]}'

/** A logger that keeps every line, errors included, so a test can see what was skipped. */
function recordingLogger (): { logger: ComponentLogger, lines: string[] } {
  const lines: string[] = []
  const log = Object.assign((f: any, ...args: any[]) => { lines.push(format(f, ...args)) }, {
    error: (f: any, ...args: any[]) => { lines.push(format(f, ...args)) },
    trace: () => {},
    enabled: true
  }) as unknown as Logger
  return { logger: { forComponent: () => log } as unknown as ComponentLogger, lines }
}

async function failure (fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn()
  } catch (err: any) {
    return err
  }
  expect.fail('it did not throw')
}

describe('chain store', function () {
  let dir: { path: string, cleanup(): Promise<void> }
  let lines: string[]
  const opened: ChainStore[] = []
  const chains = (): string => join(dir.path, 'chains')

  const open = async (): Promise<ChainStore> => {
    const recorded = recordingLogger()
    lines = recorded.lines
    const store = chainStore({ dataDir: dir.path })({ logger: recorded.logger })
    opened.push(store)
    await store.start()
    return store
  }

  beforeEach(async function () { dir = await tempDir('faasmesh-chains-') })
  afterEach(async function () {
    for (const store of opened.splice(0)) await store.stop()
    await dir.cleanup()
  })

  it('deploys a chain: resolve, get, list and bindings see it, the file holds the canonical bytes', async function () {
    const store = await open()
    const canonical = canonicalChainBytes(parseChainSpec(enc(PIPELINE)))
    const deployed = await store.deploy('pipeline', enc(PIPELINE))
    expect(deployed).to.deep.equal({ name: 'pipeline', cid: await chainCidOf(canonical), steps: 4, version: 1 })
    const { cid } = deployed
    expect(await store.resolve('pipeline')).to.equal(cid)
    expect(await store.resolve(cid)).to.equal(cid)
    expect(store.has(cid)).to.equal(true)
    expect(await store.get(cid)).to.deep.equal(parseChainSpec(enc(PIPELINE)))
    expect(await store.getOriginal(cid)).to.deep.equal(canonical)
    expect(new Uint8Array(await readFile(join(chains(), `${cid}.json`)))).to.deep.equal(canonical)
    const [entry, ...rest] = await store.list()
    expect(rest).to.deep.equal([])
    expect(entry).to.deep.include({ name: 'pipeline', cid, steps: 4, version: 1, fns: ['sensor-parse', 'sensor-baseline', 'threshold'] })
    expect(Date.parse(entry!.deployedAt)).to.be.closeTo(Date.now(), 60_000)
    expect(store.bindings()).to.deep.equal([{ name: 'pipeline', cid, version: 1, deployedAt: entry!.deployedAt }])
  })

  it('names the chain by the CID of its canonical form: JSON and YAML deploys agree', async function () {
    const store = await open()
    const a = await store.deploy('from-json', enc(PIPELINE))
    const b = await store.deploy('from-yaml', enc(PIPELINE_YAML))
    expect(b.cid).to.equal(a.cid)
    expect((await readdir(chains())).sort()).to.deep.equal([`${a.cid}.json`, 'names.json'])
  })

  it('bumps the version on every redeploy of a name', async function () {
    const store = await open()
    const first = await store.deploy('pipeline', enc(PIPELINE))
    const same = await store.deploy('pipeline', enc(PIPELINE))
    expect(same).to.deep.include({ cid: first.cid, version: 2 })
    const other = await store.deploy('pipeline', enc(SINGLE))
    expect(other).to.deep.include({ version: 3, steps: 1 })
    expect(other.cid).to.not.equal(first.cid)
    expect(await store.resolve('pipeline')).to.equal(other.cid)
    // the old chain is still held by CID
    expect(await store.resolve(first.cid)).to.equal(first.cid)
    expect((await store.list()).map((e) => [e.name, e.version, e.steps])).to.deep.equal([['pipeline', 3, 1]])
  })

  it('writes nothing for an invalid spec, an invalid name or an aborted deploy', async function () {
    const store = await open()
    await store.deploy('pipeline', enc(PIPELINE))
    const before = (await readdir(chains())).sort()
    const namesBefore = await readFile(join(chains(), 'names.json'), 'utf8')

    const badSpec = await failure(async () => store.deploy('broken', enc('{"steps":[{"id":"a","fn":"f","after":["a"]}]}')))
    expect(badSpec.name).to.equal('InvalidChainError')
    expect(badSpec.message).to.equal('steps[0].after[0]: a step cannot come after itself')
    const tooBig = await failure(async () => store.deploy('big', new Uint8Array(64 * 1024 + 1).fill(0x20)))
    expect(tooBig.name).to.equal('InvalidChainError')
    const badName = await failure(async () => store.deploy('Bad Name', enc(SINGLE)))
    expect(badName.name).to.equal('InvalidParametersError')
    const aborted = await failure(async () => store.deploy('single', enc(SINGLE), { signal: AbortSignal.abort() }))
    expect(aborted.name).to.equal('AbortError')

    expect((await readdir(chains())).sort()).to.deep.equal(before)
    expect(await readFile(join(chains(), 'names.json'), 'utf8')).to.equal(namesBefore)
    expect(store.bindings().map((b) => b.name)).to.deep.equal(['pipeline'])
    expect((await failure(async () => store.resolve('broken'))).name).to.equal('FunctionNotFoundError')
  })

  it('caches canonical bytes from a peer without naming them', async function () {
    const store = await open()
    const canonical = canonicalChainBytes(parseChainSpec(enc(SINGLE)))
    const cid = await store.putCached(canonical)
    expect(cid).to.equal(await chainCidOf(canonical))
    expect(store.has(cid)).to.equal(true)
    expect(await store.resolve(cid)).to.equal(cid)
    expect(await store.getOriginal(cid)).to.deep.equal(canonical)
    expect(store.bindings()).to.deep.equal([])
    expect(await store.list()).to.deep.equal([])
  })

  it('refuses fetched bytes that are not canonical or not a valid chain, and writes nothing', async function () {
    const store = await open()
    const canonical = canonicalChainBytes(parseChainSpec(enc(PIPELINE)))
    const text = new TextDecoder().decode(canonical)
    const refused = [
      enc(PIPELINE), // valid, pretty-printed
      enc(PIPELINE_YAML), // valid, YAML
      enc(text + '\n'), // one byte more
      enc(text.replace('"state":false', '"state":0')), // tampered: invalid
      enc(text.replace('"after":["alert"]', '"after":["again"]')), // tampered: a step after itself
      enc(text.replace('"fn":"threshold"', '"fn":"threshold","x":1')) // tampered: unknown field
    ]
    for (const bytes of refused) {
      const err = await failure(async () => store.putCached(bytes))
      expect(err.name).to.equal('InvalidChainError')
    }
    expect(await readdir(chains())).to.deep.equal([])
  })

  it('hands out a frozen spec: a caller cannot change what others read', async function () {
    const store = await open()
    const { cid } = await store.deploy('pipeline', enc(PIPELINE))
    const spec = (await store.get(cid))!
    expect(() => { spec.steps[0]!.fn = 'other' }).to.throw(TypeError)
    expect(() => { spec.steps[1]!.after.push('x') }).to.throw(TypeError)
    expect((await store.get(cid))!.steps[0]!.fn).to.equal('sensor-parse')
  })

  it('resolves only what it holds: unknown names and function CIDs are FunctionNotFoundError', async function () {
    const store = await open()
    for (const text of ['nope', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', await chainCidOf(enc('{}'))]) {
      expect((await failure(async () => store.resolve(text))).name).to.equal('FunctionNotFoundError')
    }
    expect(await store.get(await chainCidOf(enc('{}')))).to.equal(undefined)
    expect(await store.getOriginal(await chainCidOf(enc('{}')))).to.equal(undefined)
  })

  it('refuses to deploy before start', async function () {
    const store = chainStore({ dataDir: dir.path })({ logger: recordingLogger().logger })
    expect((await failure(async () => store.deploy('single', enc(SINGLE)))).name).to.equal('NotStartedError')
  })

  it('survives a restart: names, versions, cached chains', async function () {
    const store = await open()
    await store.deploy('pipeline', enc(PIPELINE))
    const second = await store.deploy('pipeline', enc(PIPELINE))
    const single = await store.deploy('single', enc(SINGLE))
    const cached = await store.putCached(canonicalChainBytes(parseChainSpec(enc('{"steps":[{"id":"x","fn":"fib"}]}'))))
    const listed = await store.list()
    await store.stop()

    const reopened = await open()
    expect(await reopened.list()).to.deep.equal(listed)
    expect(await reopened.resolve('pipeline')).to.equal(second.cid)
    expect(await reopened.resolve('single')).to.equal(single.cid)
    expect(reopened.has(cached)).to.equal(true)
    expect(await reopened.get(cached)).to.deep.equal(parseChainSpec(enc('{"steps":[{"id":"x","fn":"fib"}]}')))
    expect((await reopened.deploy('pipeline', enc(PIPELINE))).version).to.equal(3)
  })

  it('keeps the previous binding when names.json cannot be written', async function () {
    const store = await open()
    const first = await store.deploy('pipeline', enc(PIPELINE))
    // a directory in its place: the atomic rename fails
    await rm(join(chains(), 'names.json'))
    await mkdir(join(chains(), 'names.json'))
    await failure(async () => store.deploy('pipeline', enc(SINGLE)))
    await failure(async () => store.deploy('fresh', enc(SINGLE)))
    expect(store.bindings().map((b) => [b.name, b.cid, b.version])).to.deep.equal([['pipeline', first.cid, 1]])
  })

  it('skips corrupt or stray files at start with a log line, and keeps the rest', async function () {
    const store = await open()
    const pipeline = await store.deploy('pipeline', enc(PIPELINE))
    const single = await store.deploy('single', enc(SINGLE))
    const cached = await store.putCached(canonicalChainBytes(parseChainSpec(enc('{"steps":[{"id":"x","fn":"fib"}]}'))))
    await store.stop()

    // another valid chain under pipeline's CID: it does not hash to its name
    await writeFile(join(chains(), `${pipeline.cid}.json`), canonicalChainBytes(parseChainSpec(enc(SINGLE))))
    await writeFile(join(chains(), `${cached}.json`), '{"steps":[')
    await writeFile(join(chains(), 'not-a-cid.json'), SINGLE)

    const reopened = await open()
    expect(reopened.has(pipeline.cid)).to.equal(false)
    expect(reopened.has(cached)).to.equal(false)
    expect(reopened.bindings().map((b) => b.name)).to.deep.equal(['single'])
    expect(await reopened.resolve('single')).to.equal(single.cid)
    expect((await failure(async () => reopened.resolve('pipeline'))).name).to.equal('FunctionNotFoundError')
    for (const name of [pipeline.cid, cached, 'not-a-cid']) expect(lines.some((l) => l.includes(name))).to.equal(true, `no log line names ${name}`)
    expect(lines.some((l) => l.includes('skipped the binding of pipeline'))).to.equal(true)
    // a redeploy repairs the chain
    expect((await reopened.deploy('pipeline', enc(PIPELINE))).cid).to.equal(pipeline.cid)
    expect(await reopened.getOriginal(pipeline.cid)).to.deep.equal(canonicalChainBytes(parseChainSpec(enc(PIPELINE))))
  })

  it('starts with no names from a corrupt names.json, and keeps it aside', async function () {
    const store = await open()
    const { cid } = await store.deploy('pipeline', enc(PIPELINE))
    await store.stop()
    await writeFile(join(chains(), 'names.json'), '{"pipeline": {"cid"')

    const reopened = await open()
    expect(reopened.bindings()).to.deep.equal([])
    expect(reopened.has(cid)).to.equal(true)
    expect(lines.some((l) => l.includes('names.json is unreadable'))).to.equal(true)
    expect(await readFile(join(chains(), 'names.json.corrupt'), 'utf8')).to.equal('{"pipeline": {"cid"')
    expect((await reopened.deploy('pipeline', enc(PIPELINE))).version).to.equal(1)
  })

  it('skips malformed bindings in names.json', async function () {
    const store = await open()
    const { cid } = await store.deploy('pipeline', enc(PIPELINE))
    await store.stop()
    const deployedAt = new Date().toISOString()
    await writeFile(join(chains(), 'names.json'), JSON.stringify({
      pipeline: { cid, version: 2, deployedAt },
      'Bad Name': { cid, version: 1, deployedAt },
      nocid: { version: 1, deployedAt },
      zero: { cid, version: 0, deployedAt }
    }))
    const reopened = await open()
    expect(reopened.bindings()).to.deep.equal([{ name: 'pipeline', cid, version: 2, deployedAt }])
    expect(lines.filter((l) => l.includes('malformed'))).to.have.length(3)
  })
})
