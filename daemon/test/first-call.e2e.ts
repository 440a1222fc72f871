/**
 * The first call from the mesh (issue 18): on a freshly started five-daemon mesh, a function
 * deployed on node 0 is invoked by name on another node as soon as the deploy answered 201,
 * with no wait in between; it must succeed every time. A 201 says how many connected peers
 * hold the name record, and a name that was just looked up in vain is found as soon as it is
 * deployed (the announcement clears the negative answer).
 */
import { expect } from 'chai'
import { tempDir, wasm } from './support/paths.js'
import { killAll, startDaemon, type DaemonProcess, waitForMesh } from './support/processes.js'

// a negative answer outlives the test: only an announcement can clear it
const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500', FAASMESH_NAMES_NEGATIVE_CACHE_MS: '60000' }
/** Fresh functions deployed and called: enough to catch a race, few enough for < 60 s. */
const N = 8

/** hello.wasm with a custom section of its own: bytes (and a CID) no node has seen. */
function fresh (i: number): Uint8Array {
  const name = new TextEncoder().encode('first-call')
  const payload = new TextEncoder().encode(`${process.pid}-${Date.now()}-${i}`)
  const body = [name.length, ...name, ...payload]
  return new Uint8Array([...wasm('hello'), 0, body.length, ...body])
}

async function deploy (d: DaemonProcess, name: string, bytes: Uint8Array): Promise<{ status: number, body: any }> {
  const res = await fetch(`${d.url}/v1/functions/${name}`, { method: 'POST', body: bytes as Uint8Array<ArrayBuffer>, signal: AbortSignal.timeout(15_000) })
  return { status: res.status, body: await res.json() }
}

async function invoke (d: DaemonProcess, name: string, policy?: string): Promise<{ status: number, text: string, fetched: string | null }> {
  const headers: Record<string, string> = policy == null ? {} : { 'x-faasmesh-policy': policy }
  const res = await fetch(`${d.url}/v1/invoke/${name}`, { method: 'POST', body: 'mesh', headers, signal: AbortSignal.timeout(15_000) })
  return { status: res.status, text: await res.text(), fetched: res.headers.get('x-faasmesh-fetched') }
}

describe('the first call from the mesh (daemon processes)', function () {
  this.timeout(60_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  const nodes: DaemonProcess[] = []

  before(async function () {
    this.timeout(120_000)
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    nodes.push(await startDaemon(await dir(), [], ENV))
    // one after the other: five daemons starting at once on a busy 2-core host miss the 15 s start bound
    for (let i = 1; i < 5; i++) nodes.push(await startDaemon(await dir(), ['--bootstrap', nodes[0]!.multiaddr], ENV))
    await waitForMesh(nodes, 30_000)
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it(`${N} fresh functions deployed on node 0 each run by name on another node right after the 201`, async function () {
    const failures: string[] = []
    for (let i = 0; i < N; i++) {
      const name = `first-${i}`
      const deployed = await deploy(nodes[0]!, name, fresh(i))
      expect(deployed.status, JSON.stringify(deployed.body)).to.equal(201)
      expect(deployed.body.announced.peers, 'connected peers holding the record').to.be.at.least(1)
      // no wait: half run on the asking node (it must fetch the code), half go to auction
      const caller = nodes[1 + (i % 4)]!
      const res = await invoke(caller, name, i % 2 === 0 ? 'local' : undefined)
      if (res.status !== 200) failures.push(`${name} on node ${1 + (i % 4)}: ${res.status} ${res.text}`)
      else {
        expect(res.text).to.equal('Hello, mesh!')
        if (i % 2 === 0) expect(res.fetched, `${name} ran where it was asked`).to.equal('true')
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([])
  })

  it('a name looked up in vain a moment ago is found as soon as its deploy answered', async function () {
    const missing = await invoke(nodes[2]!, 'late-comer', 'local')
    expect(missing.status, missing.text).to.equal(404)
    expect(JSON.parse(missing.text).error.name).to.equal('FunctionNotFoundError')
    const deployed = await deploy(nodes[0]!, 'late-comer', fresh(1000))
    expect(deployed.status).to.equal(201)
    // within the negative answer's lifetime (60 s here): only the announcement can have cleared it
    const found = await invoke(nodes[2]!, 'late-comer', 'local')
    expect(found.status, found.text).to.equal(200)
  })
})
