/**
 * Issue 12, acceptance on real daemon processes: invocation ids run at most once (repeats to
 * one entry node, and an auctioneer's repeat after a lost answer), a client that leaves frees
 * the remote slot, shared work is nobody's to cancel, and SIGTERM drains instead of failing the
 * call it runs.
 *
 * A is the entry node and bids as a machine 1000 times slower (8 s for a function it never
 * ran); every call through A has a 7.5 s deadline, so A declines and only B or C can run it,
 * even when their bids are slow to come (a loaded host). B and C are 20 times slower than the
 * reference, so fib(35) holds a slot for about 3 s there: long enough to watch it run, cancel
 * it or stop the node under it.
 */
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p, type Libp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { InvokeResponse, invokeProtocol, type Invoke, type InvokeRequest } from '../../protocols/src/invoke/index.js'
import { base } from '../../protocols/test/support/nodes.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

/** A's calls: A cannot finish fib in time, B and C can (see above). */
const VIA_A = { 'x-faasmesh-deadline-ms': '7500' }
const SLOW_ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500', FAASMESH_EXECUTOR_TIMEOUT_MS: '30000', FAASMESH_SHUTDOWN_DRAIN_MS: '300' }
const FIB: Record<number, number> = { 20: 6765, 27: 196418, 35: 9227465 }

interface Answer { status: number, body: string, executor: string | null, id: string | null, placementId: string | null }

async function invoke (d: DaemonProcess, target: string, n: number, headers: Record<string, string> = {}, signal = AbortSignal.timeout(60_000)): Promise<Answer> {
  const res = await fetch(`${d.url}/v1/invoke/${target}`, { method: 'POST', body: String(n), headers, signal })
  return { status: res.status, body: await res.text(), executor: res.headers.get('x-faasmesh-executor'), id: res.headers.get('x-faasmesh-invocation-id'), placementId: res.headers.get('x-faasmesh-placement-id') }
}

async function hello (d: DaemonProcess, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${d.url}/v1/invoke/${target}`, { method: 'POST', body: 'world', headers, signal: AbortSignal.timeout(60_000) })
  return { status: res.status, body: await res.text(), executor: res.headers.get('x-faasmesh-executor'), id: res.headers.get('x-faasmesh-invocation-id'), placementId: res.headers.get('x-faasmesh-placement-id') }
}

function expectFib (a: Answer, n: number): void {
  expect(a.status, a.body).to.equal(200)
  expect(JSON.parse(a.body)).to.deep.equal({ n, fib: FIB[n] })
}

async function metrics (d: DaemonProcess): Promise<string> {
  return (await fetch(`${d.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text()
}

/** Invocations the node's executor ran (every outcome). */
async function executed (d: DaemonProcess): Promise<number> {
  let sum = 0
  for (const m of (await metrics(d)).matchAll(/^faasmesh_executor_invocations_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1])
  return sum
}

async function busy (d: DaemonProcess): Promise<number> {
  return Number(/^faasmesh_executor_pool_workers\{state="busy"\} (\d+)$/m.exec(await metrics(d))?.[1] ?? 0)
}

/** The node among `nodes` whose executor is running something, once one is; `entry`'s latest placement says why not. */
async function runningOn (nodes: DaemonProcess[], entry?: DaemonProcess): Promise<DaemonProcess> {
  let found: DaemonProcess | undefined
  try {
    await waitFor(async () => {
      for (const n of nodes) if (await busy(n) > 0) { found = n; return true }
      return false
    }, 20_000, 'a remote executor to start the call')
  } catch (err: any) {
    const latest = entry == null ? undefined : (await (await fetch(`${entry.url}/v1/placements`, { signal: AbortSignal.timeout(5000) })).json() as { placements: unknown[] }).placements[0]
    throw new Error(`${String(err.message)}; the entry node's latest placement: ${JSON.stringify(latest)}`)
  }
  return found!
}

describe('invocation semantics across daemon processes', function () {
  this.timeout(180_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  let a: DaemonProcess
  let b: DaemonProcess
  let c: DaemonProcess
  let fibCid: string
  const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }

  before(async function () {
    // a wide bid window: it closes as soon as B and C have bid, and A itself declines
    a = await startDaemon(await dir(), ['--slots', '1', '--slowdown', '1000'], { FAASMESH_ADVERTS_INTERVAL_MS: '500', FAASMESH_PLACEMENT_BID_WINDOW_MS: '1500' })
    const boot = ['--bootstrap', a.multiaddr, '--slots', '1', '--slowdown', '20']
    ;[b, c] = await Promise.all([startDaemon(await dir(), boot, SLOW_ENV), startDaemon(await dir(), boot, SLOW_ENV)])
    await waitForMesh([a, b, c])
    const deployed = await runCli(['deploy', 'fib', 'build/fib.wasm', '--api', a.url, '--json'])
    expect(deployed.code, deployed.stderr).to.equal(0)
    fibCid = JSON.parse(deployed.stdout).cid
    // B and C fetch the code and learn its run time; A never runs it, so its bids stay far
    // behind theirs (it would learn fib(20)'s run time, and bid that for fib(35))
    for (const node of [b, c]) expectFib(await invoke(node, 'fib', 20, { 'x-faasmesh-policy': 'local' }), 20)
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('runs one invocation id once, sent twice at once and once more later to one entry node', async function () {
    const before = (await Promise.all([a, b, c].map(executed))).reduce((x, y) => x + y)
    const headers = { ...VIA_A, 'x-faasmesh-invocation-id': `same-${Date.now()}` }
    const answers = await Promise.all([invoke(a, 'fib', 27, headers), invoke(a, 'fib', 27, headers)])
    answers.push(await invoke(a, 'fib', 27, headers))
    for (const answer of answers) {
      expectFib(answer, 27)
      expect(answer.id).to.equal(headers['x-faasmesh-invocation-id'])
    }
    expect(new Set(answers.map((x) => x.executor)).size, 'one run answers all three').to.equal(1)
    const after = (await Promise.all([a, b, c].map(executed))).reduce((x, y) => x + y)
    expect(after - before, 'executions across the mesh').to.equal(1)

    // the same id for another input is a conflict, and runs nothing
    const conflict = await invoke(a, 'fib', 20, headers)
    expect(conflict.status, conflict.body).to.equal(409)
    expect(JSON.parse(conflict.body).error.name).to.equal('InvocationConflictError')
    const bad = await invoke(a, 'fib', 20, { ...VIA_A, 'x-faasmesh-invocation-id': 'not/valid' })
    expect(bad.status, bad.body).to.equal(400)
    expect(JSON.parse(bad.body).error.name).to.equal('InvalidParametersError')
    expect((await Promise.all([a, b, c].map(executed))).reduce((x, y) => x + y)).to.equal(after)
    // without an id, each request is its own invocation, and says which
    const [x, y] = await Promise.all([invoke(a, 'fib', 20, VIA_A), invoke(a, 'fib', 20, VIA_A)])
    expect(x.id).to.match(/^[A-Za-z0-9_-]{22}$/)
    expect(x.id).to.not.equal(y.id)
  })

  it('never runs an id twice on the node that ran it when an auctioneer sends it again: after the answer, or over a lost connection mid-run', async function () {
    const peer: Libp2p<{ invoke: Invoke }> = await createLibp2p({ ...base, services: { identify: identify(), invoke: invokeProtocol() } })
    try {
      const target = peerIdFromString(b.peerId)
      const request = (id: string, n: number): InvokeRequest => ({ cid: CID.parse(fibCid).bytes as Uint8Array<ArrayBuffer>, input: new TextEncoder().encode(String(n)) as Uint8Array<ArrayBuffer>, deadlineMs: 60_000, reservation: new Uint8Array(0), invocationId: id, inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0 })
      const before = await executed(b)
      await peer.dial(multiaddr(b.multiaddr), { signal: AbortSignal.timeout(5000) })
      const first = await peer.services.invoke.invoke(target, request('lost-answer', 27), { timeoutMs: 30_000 })
      expect(first.status, first.message).to.equal(InvokeResponse.Status.OK)
      // the answer "was lost": the auctioneer reconnects and sends the same id again
      await peer.hangUp(target)
      const again = await peer.services.invoke.invoke(target, request('lost-answer', 27), { timeoutMs: 30_000 })
      expect(again.status, again.message).to.equal(InvokeResponse.Status.OK)
      expect(again.output).to.deep.equal(first.output)
      expect(await executed(b) - before, 'ran once').to.equal(1)

      // mid-run: the connection drops while fib(35) runs; the channel's own retry (the request
      // has an id, so it is safe to repeat) reconnects and joins the run in progress
      const running = peer.services.invoke.invoke(target, request('lost-midway', 35), { timeoutMs: 60_000 })
      await runningOn([b])
      await peer.hangUp(target)
      const joined = await running
      expect(joined.status, joined.message).to.equal(InvokeResponse.Status.OK)
      expect(JSON.parse(new TextDecoder().decode(joined.output))).to.deep.equal({ n: 35, fib: FIB[35] })
      expect(await executed(b) - before, 'the retry joined the first run').to.equal(2)
      expect(await metrics(b)).to.match(/faasmesh_invocations_deduplicated_total\{table="executor",how="joined"\} [1-9]/)
      expect(await metrics(b)).to.match(/faasmesh_invocations_deduplicated_total\{table="executor",how="recorded"\} [1-9]/)
    } finally {
      await peer.stop()
    }
  })

  it('frees the remote slot at once when the client disconnects mid-run', async function () {
    const client = new AbortController()
    const call = invoke(a, 'fib', 35, VIA_A, client.signal).catch((err: Error) => err)
    const node = await runningOn([b, c], a)
    const started = performance.now()
    client.abort()
    await call
    await waitFor(async () => await busy(node) === 0, 3000, 'the remote slot to be free')
    const freedMs = performance.now() - started
    // fib(35) holds the slot ~3 s there: only the cancellation crossing the wire frees it sooner
    console.log(`      (remote slot freed ${freedMs.toFixed(0)} ms after the client left)`)
    expect(freedMs).to.be.lessThan(1000)
    expect(await metrics(node), 'the run ended as cancelled by its caller').to.match(/faasmesh_executor_invocations_total\{[^}]*outcome="RpcCancelledError"\} [1-9]/)
  })

  it('survives the first caller of shared work giving up: two concurrent cold calls, the first with a 5 ms deadline', async function () {
    // new names for new code: B has neither looked them up in the DHT nor fetched the module
    const names = ['cold-1', 'cold-3', 'cold-5']
    for (const name of names) {
      const deployed = await runCli(['deploy', name, 'build/hello.wasm', '--api', a.url])
      expect(deployed.code, deployed.stderr).to.equal(0)
    }
    // the records are in the DHT once C can read them (C's lookups are C's own)
    for (const name of names) await waitFor(async () => (await hello(c, name)).status === 200, 20_000, `the record of ${name}`)
    for (const name of names) {
      const deadlineMs = name.slice('cold-'.length)
      const [hasty, patient] = await Promise.all([hello(b, name, { 'x-faasmesh-deadline-ms': deadlineMs }), hello(b, name)])
      expect(hasty.status, `${deadlineMs} ms: ${hasty.body}`).to.equal(504)
      expect(JSON.parse(hasty.body).error.name).to.equal('DeadlineExceededError')
      expect(patient.status, `the caller next to the ${deadlineMs} ms one: ${patient.body}`).to.equal(200)
      expect(patient.body).to.include('world')
    }
  })

  it('drains on SIGTERM: the call it runs is answered right, run elsewhere, and never as a function error', async function () {
    const call = invoke(a, 'fib', 35, VIA_A)
    const node = await runningOn([b, c], a)
    const other = node === b ? c : b
    const code = await node.stop('SIGTERM', 20_000)
    expect(code, node.output()).to.equal(0)
    const answer = await call
    const { placements } = await (await fetch(`${a.url}/v1/placements`)).json() as { placements: Array<{ attempts: Array<{ peer: string, outcome: string }> }> }
    const record = placements[0]!
    expectFib({ ...answer, body: answer.status === 200 ? answer.body : `${answer.body}; placement ${JSON.stringify(record)}` }, 35)
    expect(answer.executor, 'the stopping node gave it back').to.equal(other.peerId)
    // given back, then answered by the other (after a second auction when its bid was late)
    const outcomes = record.attempts.map((x) => x.outcome)
    expect(outcomes[0], outcomes.join()).to.equal('stopping')
    expect(outcomes.at(-1), outcomes.join()).to.equal('ok')
    expect(outcomes.slice(1, -1).every((o) => o === 'skipped: deadline'), outcomes.join()).to.equal(true)
    expect(node.output()).to.match(/SIGTERM: stopping[\s\S]*stopped/)
  })

  it('drains on SIGTERM: what runs within the bound finishes and is answered; anything new is refused STOPPING', async function () {
    // a node of its own, whose bound (20 s) is longer than fib(35) there
    const node = await startDaemon(await dir(), ['--bootstrap', a.multiaddr, '--slots', '1', '--slowdown', '20'], { ...SLOW_ENV, FAASMESH_SHUTDOWN_DRAIN_MS: '20000' })
    const peer: Libp2p<{ invoke: Invoke }> = await createLibp2p({ ...base, services: { identify: identify(), invoke: invokeProtocol() } })
    try {
      await peer.dial(multiaddr(node.multiaddr), { signal: AbortSignal.timeout(5000) })
      const target = peerIdFromString(node.peerId)
      const request = (id: string): InvokeRequest => ({ cid: CID.parse(fibCid).bytes as Uint8Array<ArrayBuffer>, input: new TextEncoder().encode('35') as Uint8Array<ArrayBuffer>, deadlineMs: 60_000, reservation: new Uint8Array(0), invocationId: id, inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0 })
      const running = peer.services.invoke.invoke(target, request('drained'), { timeoutMs: 60_000 })
      await runningOn([node])
      const exited = node.stop('SIGTERM', 30_000)
      // the gateway closes first; the libp2p side keeps answering meanwhile
      await waitFor(async () => (await fetch(`${node.url}/v1/health`, { signal: AbortSignal.timeout(1000) }).then(() => false, () => true)), 5000, 'the gateway to close')
      const late = await peer.services.invoke.invoke(target, request('too-late'), { timeoutMs: 10_000 })
      expect(late.status, late.message).to.equal(InvokeResponse.Status.STOPPING)
      const answer = await running
      expect(answer.status, answer.message).to.equal(InvokeResponse.Status.OK)
      expect(JSON.parse(new TextDecoder().decode(answer.output))).to.deep.equal({ n: 35, fib: FIB[35] })
      expect(await exited, node.output()).to.equal(0)
    } finally {
      await peer.stop()
    }
  })
})
