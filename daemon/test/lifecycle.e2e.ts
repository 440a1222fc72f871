/**
 * A function's life after its first deploy, against real daemon processes on 127.0.0.1:
 * versions per name, rollback, delete (and which modules it deletes), the metrics that carry
 * the function's name, and the tombstone that tells the mesh a deleted name is gone.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'chai'
import { ROUTES } from '../src/gateway/routes.js'
import { scopeOf } from '../src/gateway/index.js'
import { cidOf } from '../src/store/index.js'
import { tempDir, wasm } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

const HELLO = wasm('hello')
const WORDCOUNT = wasm('wordcount')

describe('function lifecycle: versions, rollback, delete (daemon process)', function () {
  this.timeout(90_000)
  let dir: { path: string, cleanup(): Promise<void> }
  let daemon: DaemonProcess
  let helloCid: string
  let wordcountCid: string
  const cli = async (...args: string[]): ReturnType<typeof runCli> => runCli([...args, '--api', daemon.url])
  const moduleFile = (cid: string): string => join(dir.path, 'functions', 'modules', `${cid}.wasm`)

  async function call (method: string, path: string, body?: Uint8Array | string): Promise<{ status: number, json: any, text: string }> {
    const res = await fetch(daemon.url + path, { method, body: body as BodyInit | undefined, signal: AbortSignal.timeout(15_000) })
    const text = await res.text()
    let json: any
    try { json = JSON.parse(text) } catch {}
    return { status: res.status, json, text }
  }

  const invoke = async (name: string, input: string): ReturnType<typeof call> => call('POST', `/v1/invoke/${name}`, input)

  before(async function () {
    dir = await tempDir()
    daemon = await startDaemon(dir.path)
    helloCid = await cidOf(HELLO)
    wordcountCid = await cidOf(WORDCOUNT)
  })

  after(async function () {
    await daemon?.stop('SIGKILL')
    killAll()
    await dir?.cleanup()
  })

  it('keeps every deploy of a name as a version; the latest one runs', async function () {
    expect((await call('POST', '/v1/functions/fn', HELLO)).json).to.include({ version: 1, cid: helloCid })
    expect((await call('POST', '/v1/functions/fn', WORDCOUNT)).json).to.include({ version: 2, cid: wordcountCid })

    const { status, json } = await call('GET', '/v1/functions/fn/versions')
    expect(status).to.equal(200)
    expect(json.name).to.equal('fn')
    expect(json.versions.map((v: any) => [v.version, v.cid, v.size])).to.deep.equal([[1, helloCid, HELLO.byteLength], [2, wordcountCid, WORDCOUNT.byteLength]])
    expect(Date.parse(json.versions[1].deployedAt)).to.be.greaterThan(Date.parse(json.versions[0].deployedAt))

    const ran = await invoke('fn', 'one two three')
    expect(ran.status, ran.text).to.equal(200)
    expect(ran.text).to.not.include('Hello')

    const listed = await cli('functions', '--versions')
    expect(listed.code, listed.stderr).to.equal(0)
    expect(listed.stdout).to.match(/^NAME\s+VERSION\s+CID/)
    expect(listed.stdout).to.match(new RegExp(`fn\\s+\\* v2\\s+${wordcountCid}`)).and.match(new RegExp(`\\n\\s+v1\\s+${helloCid}`))
  })

  it('rolls a name back to the previous version, as a new version, and refuses versions it does not keep', async function () {
    const rolled = await cli('rollback', 'fn')
    expect(rolled.code, rolled.stderr).to.equal(0)
    expect(rolled.stdout).to.include('fn is now v3: the code of v1').and.include(helloCid)
    const ran = await invoke('fn', 'world')
    expect(ran.status, ran.text).to.equal(200)
    expect(ran.text).to.equal('Hello, world!')
    const { json } = await call('GET', '/v1/functions/fn/versions')
    expect(json.versions.at(-1)).to.include({ version: 3, cid: helloCid, rollbackOf: 1 })

    // --to picks any version it keeps: back to v2's code
    const to = await call('POST', '/v1/functions/fn/rollback', JSON.stringify({ to: 2 }))
    expect(to.status, to.text).to.equal(200)
    expect(to.json).to.include({ version: 4, cid: wordcountCid, rollbackOf: 2 })

    const missing = await cli('rollback', 'fn', '--to', '99')
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.include('VersionNotFoundError').and.include('no version 99')
    for (const [body, name, status] of [['{"to": "two"}', 'InvalidParametersError', 400], ['not json', 'InvalidParametersError', 400], ['{"to": 4}', 'VersionNotFoundError', 404], ['{"version": 1}', 'InvalidParametersError', 400]] as const) {
      const res = await call('POST', '/v1/functions/fn/rollback', body)
      expect(res.json?.error?.name, `${body}: ${res.text}`).to.equal(name)
      expect(res.status).to.equal(status)
    }
    const unknown = await call('POST', '/v1/functions/nope/rollback')
    expect(unknown.status).to.equal(404)
    expect(unknown.json.error.name).to.equal('FunctionNotFoundError')
    expect((await call('GET', '/v1/functions/nope/versions')).json.error.name).to.equal('FunctionNotFoundError')
  })

  it('labels invocation metrics with the name they were called by', async function () {
    const text = await (await fetch(`${daemon.url}/metrics`)).text()
    expect(text).to.match(/faasmesh_invoker_invocations_total\{name="fn",outcome="ok"\} [1-9]/)
    expect(text).to.match(/faasmesh_invoker_duration_seconds_count\{name="fn"\} [1-9]/)
  })

  it('delete unbinds the name and deletes the modules nothing else uses; a module another name uses stays', async function () {
    // the same code as fn's v1 and v3, under another name
    expect((await call('POST', '/v1/functions/other', HELLO)).status).to.equal(201)
    const deleted = await cli('delete', 'fn', '--json')
    expect(deleted.code, deleted.stderr).to.equal(0)
    const removed = JSON.parse(deleted.stdout)
    expect(removed).to.deep.include({ name: 'fn', cid: wordcountCid, versions: 4, removed: [wordcountCid], kept: [helloCid] })
    expect(existsSync(moduleFile(wordcountCid)), 'the module only fn used').to.equal(false)
    expect(existsSync(moduleFile(helloCid)), 'the module other uses').to.equal(true)

    const gone = await invoke('fn', 'world')
    expect(gone.status).to.equal(404)
    expect(gone.json.error.name).to.equal('FunctionNotFoundError')
    expect((await invoke('other', 'world')).text).to.equal('Hello, world!')
    expect((await call('GET', '/v1/functions/fn/versions')).status).to.equal(404)

    const last = await call('DELETE', '/v1/functions/other')
    expect(last.status, last.text).to.equal(200)
    expect(last.json).to.deep.include({ removed: [helloCid], kept: [] })
    expect(existsSync(moduleFile(helloCid))).to.equal(false)
    const again = await call('DELETE', '/v1/functions/other')
    expect(again.status).to.equal(404)
    expect(again.json.error.name).to.equal('FunctionNotFoundError')
    expect((await call('GET', '/v1/functions')).json.functions).to.deep.equal([])
  })

  it('delete and rollback need the deploy scope; versions are open', function () {
    const scope = (method: string, path: string): string | undefined => scopeOf(ROUTES.find((r) => r.method === method && r.pattern.test(path))!)
    expect(scope('DELETE', '/v1/functions/fn')).to.equal('deploy')
    expect(scope('POST', '/v1/functions/fn/rollback')).to.equal('deploy')
    expect(scope('GET', '/v1/functions/fn/versions')).to.equal(undefined)
  })
})

describe('delete across the mesh: the tombstone (daemon processes)', function () {
  this.timeout(120_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  let publisher: DaemonProcess
  let caller: DaemonProcess

  /** Runs on the node asked (policy local): the question is what that node's resolver finds. */
  async function invokeOn (d: DaemonProcess, target: string): Promise<{ status: number, text: string, name?: string }> {
    const res = await fetch(`${d.url}/v1/invoke/${target}`, { method: 'POST', body: 'world', headers: { 'x-faasmesh-policy': 'local' }, signal: AbortSignal.timeout(20_000) })
    const text = await res.text()
    let name: string | undefined
    try { name = JSON.parse(text)?.error?.name } catch {}
    return { status: res.status, text, name }
  }

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    publisher = await startDaemon(await dir(), [], { FAASMESH_ADVERTS_INTERVAL_MS: '500' })
    caller = await startDaemon(await dir(), ['--bootstrap', publisher.multiaddr], { FAASMESH_ADVERTS_INTERVAL_MS: '500' })
    await waitForMesh([publisher, caller])
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('a name deleted on its publisher stops resolving on another node that still holds its code', async function () {
    const deployed = await fetch(`${publisher.url}/v1/functions/tomb`, { method: 'POST', body: HELLO as BodyInit, signal: AbortSignal.timeout(15_000) })
    expect(deployed.status).to.equal(201)
    const cid = await cidOf(HELLO)
    // the caller fetches the code by CID (so it caches the module, not the name), then finds the name
    await waitFor(async () => (await invokeOn(caller, cid)).status === 200, 20_000, 'the caller to fetch the code')
    expect((await invokeOn(caller, 'tomb')).text).to.equal('Hello, world!')

    expect((await fetch(`${publisher.url}/v1/functions/tomb`, { method: 'DELETE', signal: AbortSignal.timeout(15_000) })).status).to.equal(200)
    // the caller still holds the module: only the tombstone tells it the name is gone (after its 30 s name cache)
    let last: Awaited<ReturnType<typeof invokeOn>> | undefined
    await waitFor(async () => { last = await invokeOn(caller, 'tomb'); return last.status === 404 }, 60_000, 'the name to stop resolving on the caller')
    expect(last!.name).to.equal('FunctionNotFoundError')
    expect((await invokeOn(caller, cid)).status, 'its code still runs by CID where it is cached').to.equal(200)
  })
})
