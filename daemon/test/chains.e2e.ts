/**
 * Issue 14, acceptance on real daemon processes: chains deployed on one node run from any
 * node; a diamond gives the right output with its middle steps overlapping in time; outputs
 * move between the nodes that produce and use them, not through the entry node; a trapping
 * step fails the chain by name; a deadline too short fails it as a deadline; a node killed in
 * the middle of a step leaves the chain completed or failed by name, never hanging; invalid
 * specs are refused naming the path, with nothing stored.
 */
import { expect } from 'chai'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

// testbed control: one test emulates slow links between the nodes
const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500', FAASMESH_TESTBED_CONTROL: 'true' }

interface Answer { status: number, body: string, headers: Headers }

async function invoke (d: DaemonProcess, target: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${d.url}/v1/invoke/${target}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(60_000) })
  return { status: res.status, body: await res.text(), headers: res.headers }
}

async function deployChain (d: DaemonProcess, name: string, spec: unknown, contentType = 'application/json'): Promise<{ status: number, json: any }> {
  const body = typeof spec === 'string' ? spec : JSON.stringify(spec)
  const res = await fetch(`${d.url}/v1/chains/${name}`, { method: 'POST', body, headers: { 'content-type': contentType }, signal: AbortSignal.timeout(20_000) })
  return { status: res.status, json: await res.json() }
}

async function placement (d: DaemonProcess, id: string): Promise<any> {
  const res = await fetch(`${d.url}/v1/placements/${id}`, { signal: AbortSignal.timeout(10_000) })
  expect(res.status).to.equal(200)
  return res.json()
}

function errorOf (a: Answer): { name: string, message: string, step?: string, cause?: string } {
  return JSON.parse(a.body).error
}

const DIAMOND = {
  steps: [
    { id: 'a', fn: 'wordcount' },
    { id: 'b', fn: 'checksum', after: ['a'] },
    { id: 'c', fn: 'wordcount', after: ['a'] },
    { id: 'd', fn: 'checksum', after: ['b', 'c'] }
  ]
}

describe('chains across daemon processes (issue 14)', function () {
  this.timeout(180_000)
  const dirs: Array<{ path: string, cleanup(): Promise<void> }> = []
  let nodes: DaemonProcess[] = []
  const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }

  before(async function () {
    const a = await startDaemon(await dir(), ['--slots', '2'], ENV)
    const rest = await Promise.all([1, 2].map(async () => startDaemon(await dir(), ['--bootstrap', a.multiaddr, '--slots', '1'], ENV)))
    nodes = [a, ...rest]
    await waitForMesh(nodes)
    for (const [name, file] of [['wordcount', 'build/wordcount.wasm'], ['checksum', 'build/checksum.wasm'], ['trap', 'build/hostile/trap.wasm'], ['fib', 'build/fib.wasm'], ['blob-step', 'build/blob-step.wasm']]) {
      const deployed = await runCli(['deploy', name!, file!, '--api', a.url, '--json'])
      expect(deployed.code, deployed.stderr).to.equal(0)
    }
    // every node holds the code before the tests place steps on it (a first fetch is not what they test)
    for (const n of nodes) {
      for (const [fn, input] of [['wordcount', 'x'], ['checksum', 'x'], ['fib', '1'], ['blob-step', 'x']]) {
        await waitFor(async () => (await invoke(n, fn!, input!, { 'x-faasmesh-policy': 'local' })).status === 200, 30_000, `${fn} on every node`)
      }
    }
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('a diamond deployed on one node runs from another with the right output; b and c overlap', async function () {
    const deployed = await deployChain(nodes[0]!, 'diamond', DIAMOND)
    expect(deployed.status, JSON.stringify(deployed.json)).to.equal(201)
    expect(deployed.json).to.include({ name: 'diamond', steps: 4 })
    expect(deployed.json.cid).to.match(/^bagaaiera/)
    const text = 'the quick brown fox jumps over the lazy dog the end'
    // what each step must produce, computed one function at a time
    const a = (await invoke(nodes[0]!, 'wordcount', text, { 'x-faasmesh-policy': 'local' })).body
    const b = (await invoke(nodes[0]!, 'checksum', a, { 'x-faasmesh-policy': 'local' })).body
    const c = (await invoke(nodes[0]!, 'wordcount', a, { 'x-faasmesh-policy': 'local' })).body
    const d = (await invoke(nodes[0]!, 'checksum', JSON.stringify({ b: JSON.parse(b), c: JSON.parse(c) }), { 'x-faasmesh-policy': 'local' })).body
    // the chain is found through the DHT by the other node
    let ran: Answer | undefined
    await waitFor(async () => {
      ran = await invoke(nodes[2]!, 'diamond', text)
      return ran.status === 200
    }, 20_000, 'the chain to run from another node')
    if (ran == null) throw new Error('unreachable')
    expect(ran.body).to.equal(d)
    expect(ran.headers.get('x-faasmesh-chain-steps')).to.equal('4')
    const record = await placement(nodes[2]!, ran.headers.get('x-faasmesh-placement-id')!)
    expect(record.outcome).to.equal('ok')
    const steps = Object.fromEntries(record.chain.steps.map((s: any) => [s.id, s]))
    for (const s of Object.values<any>(steps)) {
      expect(s.outcome).to.equal('ok')
      expect(s.executor).to.be.a('string')
      expect(s.runMs).to.be.a('number')
      expect(s.endMs).to.be.at.least(s.startMs)
    }
    // b and c both start once a is done, and each starts before the other ends
    expect(steps.b.startMs).to.be.at.least(steps.a.endMs)
    expect(steps.b.startMs).to.be.lessThan(steps.c.endMs)
    expect(steps.c.startMs).to.be.lessThan(steps.b.endMs)
    expect(steps.d.startMs).to.be.at.least(Math.max(steps.b.endMs, steps.c.endMs))
  })

  it('with locality on, a step fetches its input from the node that produced it; off, all data goes through the entry node', async function () {
    const spec = { steps: [{ id: 's1', fn: 'wordcount' }, { id: 's2', fn: 'checksum', after: ['s1'] }] }
    expect((await deployChain(nodes[0]!, 'pair', spec)).status).to.equal(201)
    const text = 'lorem ipsum '.repeat(200)
    let sawDirect = false
    for (let i = 0; i < 12 && !sawDirect; i++) {
      const r = await invoke(nodes[1]!, 'pair', text, { 'x-faasmesh-policy': 'random' })
      expect(r.status, r.body).to.equal(200)
      const record = await placement(nodes[1]!, r.headers.get('x-faasmesh-placement-id')!)
      const [s1, s2] = record.chain.steps
      expect(record.chain.locality).to.equal(true)
      // the second step's input is where the first ran: its executor's own, or fetched from there
      expect(s2.inputFrom).to.deep.equal([s1.executor])
      if (s1.executor !== s2.executor) {
        expect(s2.bytesIn).to.be.greaterThan(0)
        expect(record.chain.traffic.chainData).to.equal(s2.bytesIn)
        // the entry node never received the first step's output
        expect(s1.bytesOut).to.equal(0)
        sawDirect = true
      } else {
        expect(s2.bytesIn).to.equal(0)
      }
    }
    expect(sawDirect, 'some run placed the two steps on different nodes').to.equal(true)
    const off = await invoke(nodes[1]!, 'pair', text, { 'x-faasmesh-locality': 'off', 'x-faasmesh-policy': 'random' })
    expect(off.status, off.body).to.equal(200)
    const record = await placement(nodes[1]!, off.headers.get('x-faasmesh-placement-id')!)
    expect(record.chain.locality).to.equal(false)
    expect(record.chain.traffic.chainData).to.equal(0)
    expect(record.chain.steps[1].inputFrom).to.deep.equal([record.chain.steps[0].inputFrom[0]])
  })

  it('bids count where a step\'s input is: over slow links, the node holding a large input wins the next step', async function () {
    const spec = { steps: [{ id: 'make', fn: 'blob-step' }, { id: 'use', fn: 'blob-step', after: ['make'] }, { id: 'sum', fn: 'checksum', after: ['use'] }] }
    expect((await deployChain(nodes[0]!, 'heavy', spec)).status).to.equal(201)
    // an entry node a thousand times slower than the others never wins a step (and waits for
    // bids over the slow links): each step's
    // winner is then one of the two others, and which one is where the input is
    const entry = await startDaemon(await dir(), ['--bootstrap', nodes[0]!.multiaddr, '--slots', '1'], { ...ENV, FAASMESH_EXECUTOR_SLOWDOWN: '1000', FAASMESH_PLACEMENT_BID_WINDOW_MS: '2000' })
    const all = [...nodes, entry]
    await waitForMesh(all)
    // 20 ms and 20 Mb/s between every pair: moving 256 KiB costs about 145 ms, running blob-step a few ms
    const setLinks = async (on: boolean): Promise<void> => {
      for (const n of all) {
        const rules = on ? all.filter((o) => o !== n).map((o) => ({ peer: o.peerId, latencyMs: 20, jitterMs: 0, bandwidthKbps: 20_000, lossPct: 0 })) : []
        const res = await fetch(`${n.url}/v1/testbed/links`, { method: 'PUT', body: JSON.stringify({ rules, blocked: [] }), signal: AbortSignal.timeout(5000) })
        expect(res.status).to.equal(200)
      }
    }
    await setLinks(true)
    try {
      const input = new Uint8Array(256 * 1024).fill(7)
      let together = 0
      const runs = 8
      for (let i = 0; i < runs; i++) {
        const res = await fetch(`${entry.url}/v1/invoke/heavy`, { method: 'POST', body: input, signal: AbortSignal.timeout(30_000) })
        const text = await res.text()
        expect(res.status, text).to.equal(200)
        expect(JSON.parse(text).bytes).to.equal(256 * 1024)
        const record = await placement(entry, res.headers.get('x-faasmesh-placement-id')!)
        const [make, use] = record.chain.steps
        expect(make.executor).to.not.equal(entry.peerId)
        if (use.executor === make.executor) together++
        // the runs go one at a time: each starts with every node idle
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      // without the input's place in the bids, the two equal nodes would each win about half
      expect(together, `the second step ran where its 256 KiB input was in ${together} of ${runs} runs`).to.be.at.least(runs - 1)
    } finally {
      await setLinks(false)
      await entry.stop('SIGKILL')
    }
  })

  it('a step that traps fails the chain with ChainStepError naming the step and its error; the node keeps serving', async function () {
    const spec = { steps: [{ id: 'count', fn: 'wordcount' }, { id: 'boom', fn: 'trap', after: ['count'] }, { id: 'sum', fn: 'checksum', after: ['boom'] }] }
    expect((await deployChain(nodes[0]!, 'trapping', spec)).status).to.equal(201)
    const r = await invoke(nodes[0]!, 'trapping', 'some words')
    expect(r.status, r.body).to.equal(502)
    expect(errorOf(r)).to.include({ name: 'ChainStepError', step: 'boom', cause: 'GuestTrapError' })
    const record = await placement(nodes[0]!, (await (await fetch(`${nodes[0]!.url}/v1/placements`)).json()).placements.find((p: any) => p.chain != null && p.outcome === 'ChainStepError').id)
    const outcomes = Object.fromEntries(record.chain.steps.map((s: any) => [s.id, s.outcome]))
    expect(outcomes).to.deep.equal({ count: 'ok', boom: 'GuestTrapError', sum: 'not run' })
    expect((await invoke(nodes[0]!, 'wordcount', 'still here')).status).to.equal(200)
  })

  it('a chain whose deadline is too short fails with DeadlineExceededError', async function () {
    const spec = { steps: [{ id: 'one', fn: 'fib' }, { id: 'two', fn: 'checksum', after: ['one'] }] }
    expect((await deployChain(nodes[0]!, 'slow', spec)).status).to.equal(201)
    const started = Date.now()
    // fib(40) takes seconds anywhere: well past the 150 ms deadline
    const r = await invoke(nodes[0]!, 'slow', '40', { 'x-faasmesh-deadline-ms': '150' })
    expect(r.status, r.body).to.equal(504)
    expect(errorOf(r).name).to.equal('DeadlineExceededError')
    expect(Date.now() - started).to.be.lessThan(3000)
  })

  it('invalid specs are refused with 400 naming the path, and nothing is stored', async function () {
    const before = (await (await fetch(`${nodes[0]!.url}/v1/chains`)).json()).chains.length
    const cases: Array<[unknown, string]> = [
      [{ steps: [{ id: 'a', fn: 'wordcount', after: ['b'] }, { id: 'b', fn: 'checksum', after: ['a'] }] }, 'cycle'],
      [{ steps: [{ id: 'a', fn: 'wordcount', after: ['ghost'] }] }, 'steps[0].after[0]'],
      [{ steps: [{ id: 'a', fn: 'wordcount' }, { id: 'a', fn: 'checksum' }] }, 'steps[1].id'],
      [{ steps: Array.from({ length: 65 }, (_, i) => ({ id: `s${i}`, fn: 'wordcount' })) }, 'steps'],
      [{ steps: [{ id: 'a', fn: 'Not A Function!' }] }, 'steps[0].fn'],
      ['steps: [ {', '']
    ]
    for (const [spec, path] of cases) {
      const r = await deployChain(nodes[0]!, 'bad', spec, typeof spec === 'string' ? 'application/yaml' : 'application/json')
      expect(r.status, JSON.stringify(r.json)).to.equal(400)
      expect(r.json.error.name).to.equal('InvalidChainError')
      expect(r.json.error.message).to.include(path)
    }
    const after = (await (await fetch(`${nodes[0]!.url}/v1/chains`)).json()).chains
    expect(after.length).to.equal(before)
    expect(after.map((c: any) => c.name)).to.not.include('bad')
    expect((await invoke(nodes[0]!, 'bad', 'x')).status).to.equal(404)
  })

  it('SIGKILL of the node running a middle step: the chain completes elsewhere or fails by name, and nothing hangs', async function () {
    // fib takes a number: the chain's input goes straight to it, and its output on to the last step
    const spec = { steps: [{ id: 'middle', fn: 'fib' }, { id: 'last', fn: 'checksum', after: ['middle'] }] }
    expect((await deployChain(nodes[0]!, 'killable', spec)).status).to.equal(201)
    const busy = async (d: DaemonProcess): Promise<boolean> => {
      const text = await (await fetch(`${d.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text().catch(() => '')
      return /faasmesh_executor_pool_workers\{state="busy"\} [1-9]/.test(text)
    }
    let killed: DaemonProcess | undefined
    let answer: Answer | undefined
    // the middle step may land on the entry node, which is not killed: then try again (random placement)
    for (let round = 0; round < 6 && killed == null; round++) {
      const started = Date.now()
      const pending = invoke(nodes[0]!, 'killable', '35', { 'x-faasmesh-deadline-ms': '60000', 'x-faasmesh-policy': 'random' })
      let done = false
      void pending.then(() => { done = true })
      while (!done && killed == null && Date.now() - started < 20_000) {
        for (const v of nodes.slice(1)) {
          if (await busy(v)) { killed = v; break }
        }
      }
      killed?.proc.kill('SIGKILL')
      answer = await pending
      expect(Date.now() - started).to.be.lessThan(60_000)
    }
    expect(killed, 'the middle step ran on a node other than the entry in one of six runs').to.not.equal(undefined)
    const r = answer!
    const records = (await (await fetch(`${nodes[0]!.url}/v1/placements`)).json()).placements
    const record = records.find((p: any) => p.chain != null && p.cid === records.find((q: any) => q.chain != null).cid)
    if (r.status === 200) {
      expect(JSON.parse(r.body).bytes).to.be.a('number')
      // the middle step answered from a node that was still alive
      expect(record.chain.steps[0].executor).to.not.equal(killed!.peerId)
    } else {
      expect(errorOf(r).name, r.body).to.be.oneOf(['ChainStepError', 'DeadlineExceededError'])
    }
  })
})
