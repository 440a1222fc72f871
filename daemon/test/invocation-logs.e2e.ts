/**
 * Logs per invocation, on two daemon processes: what a function logs comes back to the entry
 * node (over the invoke protocol when it ran on the other node), is kept with its placement
 * record (`GET /v1/placements/:id`, `faasmesh logs`), stays within its bounds, and survives the
 * function failing. Fixture: wasm-functions/fixtures/chatty.ts.
 */
import { expect } from 'chai'
import { tempDir, wasm } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }
/** The executor keeps this many lines, the last one counting the rest. */
const MAX_LINES = 64

interface Invoked { status: number, text: string, executor: string | null, placementId: string | null, json: any }

describe('logs per invocation (daemon processes)', function () {
  this.timeout(120_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  let entry: DaemonProcess
  let other: DaemonProcess

  async function invoke (input: string, policy: string): Promise<Invoked> {
    const res = await fetch(`${entry.url}/v1/invoke/chatty`, { method: 'POST', body: input, headers: { 'x-faasmesh-policy': policy }, signal: AbortSignal.timeout(20_000) })
    const text = await res.text()
    let json: any
    try { json = JSON.parse(text) } catch {}
    return { status: res.status, text, executor: res.headers.get('x-faasmesh-executor'), placementId: res.headers.get('x-faasmesh-placement-id'), json }
  }

  /** Invokes until the other node ran it (round-robin alternates; the first calls may still find its code missing). */
  async function invokeThere (input: string): Promise<Invoked> {
    let last: Invoked | undefined
    await waitFor(async () => {
      last = await invoke(input, 'round-robin')
      return last.executor === other.peerId || (last.status !== 200 && (await placementOf(last)).attempts.at(-1)?.peer === other.peerId)
    }, 30_000, 'an invocation run on the other node')
    return last!
  }

  async function placement (id: string): Promise<any> {
    const res = await fetch(`${entry.url}/v1/placements/${id}`, { signal: AbortSignal.timeout(5000) })
    expect(res.status).to.equal(200)
    return res.json()
  }

  /** The record of a call, failed ones too: every answer that placed something names its record. */
  async function placementOf (invoked: Invoked): Promise<any> {
    expect(invoked.placementId, `x-faasmesh-placement-id of ${invoked.text}`).to.be.a('string')
    return placement(invoked.placementId!)
  }

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    entry = await startDaemon(await dir(), [], ENV)
    other = await startDaemon(await dir(), ['--bootstrap', entry.multiaddr], ENV)
    await waitForMesh([entry, other])
    const res = await fetch(`${entry.url}/v1/functions/chatty`, { method: 'POST', body: wasm('fixtures/chatty') as BodyInit, signal: AbortSignal.timeout(15_000) })
    expect(res.status, await res.text()).to.equal(201)
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('a remote run\'s log lines come back through the invoke protocol to the entry node\'s placement record', async function () {
    const ran = await invokeThere('3')
    expect(ran.status, ran.text).to.equal(200)
    expect(ran.text).to.equal('logged 3')
    const record = await placementOf(ran)
    expect(record).to.include({ name: 'chatty', executor: other.peerId, outcome: 'ok' })
    expect(record.logs).to.deep.equal(['line 1', 'line 2', 'line 3'])
    expect(record.error).to.equal(undefined)

    const cli = await runCli(['logs', ran.placementId!, '--api', entry.url])
    expect(cli.code, cli.stderr).to.equal(0)
    expect(cli.stdout).to.equal('line 1\nline 2\nline 3\n')
  })

  it('keeps the first lines of a function that logs a lot, and counts the rest, here and through the protocol', async function () {
    const expected = [...Array.from({ length: MAX_LINES - 1 }, (_, i) => `line ${i + 1}`), `[faasmesh: ${500 - (MAX_LINES - 1)} more log lines dropped; an invocation keeps its first ${MAX_LINES - 1}]`]
    const here = await invoke('500', 'local')
    expect(here.status, here.text).to.equal(200)
    expect((await placementOf(here)).logs).to.deep.equal(expected)
    const there = await invokeThere('500')
    expect(there.status, there.text).to.equal(200)
    expect((await placementOf(there)).logs).to.deep.equal(expected)
  })

  it('a failed run keeps its lines and its error with the record, wherever it ran', async function () {
    const here = await invoke('fail', 'local')
    expect(here.status).to.equal(422)
    const record = await placementOf(here)
    expect(record).to.include({ name: 'chatty', outcome: 'GuestTrapError' })
    expect(record.error.name).to.equal('GuestTrapError')
    expect(record.error.message).to.include('chatty was asked to fail')
    expect(record.logs).to.deep.equal(['about to fail'])

    const there = await invokeThere('fail')
    expect(there.status).to.equal(422)
    const remote = await placementOf(there)
    expect(remote.error.name).to.equal('GuestTrapError')
    expect(remote.logs).to.deep.equal(['about to fail'])
  })

  it('invoke -v shows a short log', async function () {
    const cli = await runCli(['invoke', 'chatty', '--data', '2', '--policy', 'local', '-v', '--api', entry.url])
    expect(cli.code, cli.stderr).to.equal(0)
    expect(cli.stderr).to.match(/logs \(2 lines\):\n\s+line 1\n\s+line 2/)
  })
})
