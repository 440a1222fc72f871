/**
 * Where an invocation's time went (docs/observability.md), on two daemon processes: a call placed
 * on the node that lacks the code is broken into phases measured where they happen (the fetch,
 * the compile, the queue and the run on the executing node, carried back in the invoke answer),
 * the headers say the same as the placement record, and `invoke -v --json` carries the bids.
 */
import { expect } from 'chai'
import { parseTimingsHeader } from '../src/gateway/timing-headers.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import type { PlacementRecord } from '../src/placement/index.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500', FAASMESH_PLACEMENT_BID_WINDOW_MS: '1500' }

describe('where the time went (daemon processes)', function () {
  this.timeout(120_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  let a: DaemonProcess
  let b: DaemonProcess

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    // A is a thousand times slower: its own bid loses, and B (which lacks the code) wins the auction
    a = await startDaemon(await dir(), ['--slots', '1', '--slowdown', '1000'], ENV)
    b = await startDaemon(await dir(), ['--bootstrap', a.multiaddr, '--slots', '1'], ENV)
    await waitForMesh([a, b])
    const deployed = await runCli(['deploy', 'fib', 'build/fib.wasm', '--api', a.url])
    expect(deployed.code, deployed.stderr).to.equal(0)
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('a remote cold call: the fetch, compile, queue and run phases from the executor, the header equal to the record', async function () {
    const res = await fetch(`${a.url}/v1/invoke/fib`, { method: 'POST', body: '20', headers: { 'x-faasmesh-policy': 'auction' }, signal: AbortSignal.timeout(30_000) })
    const body = await res.text()
    expect(res.status, body).to.equal(200)
    expect(res.headers.get('x-faasmesh-executor'), 'B won the auction').to.equal(b.peerId)
    expect(res.headers.get('x-faasmesh-fetched')).to.equal('true')

    const timings = parseTimingsHeader(res.headers.get('x-faasmesh-timings'))
    expect(Object.keys(timings)).to.have.members(['lookup', 'placement', 'providers', 'transfer', 'sanitize', 'compile', 'queue', 'run'])
    for (const phase of ['placement', 'providers', 'transfer', 'sanitize', 'compile', 'run']) expect(timings[phase], phase).to.be.greaterThan(0)
    // the standard header says the same, and the total
    const serverTiming = res.headers.get('server-timing') ?? ''
    expect(serverTiming).to.include(`compile;dur=${timings.compile!.toFixed(3)}`)
    expect(serverTiming).to.match(/total;dur=\d+\.\d{3}$/)

    const record = await (await fetch(`${a.url}/v1/placements/${res.headers.get('x-faasmesh-placement-id')!}`)).json() as PlacementRecord
    // one meaning of "placement" everywhere: the auction and failed attempts, not the name lookup
    expect(res.headers.get('x-faasmesh-placement-ms')).to.equal(record.placementMs!.toFixed(3))
    expect(record.timings!.placement).to.equal(record.placementMs)
    for (const [phase, ms] of Object.entries(record.timings!)) expect(timings[phase], phase).to.equal(Number(ms.toFixed(3)))
    const sum = Object.values(record.timings!).reduce((x, y) => x + y, 0)
    expect(sum, 'the phases fit in the total').to.be.at.most(record.totalMs! + 0.01)
  })

  it('invoke -v prints the phases and what they leave of the total; -v --json has the bids, the timings and the placement id', async function () {
    const verbose = await runCli(['invoke', 'fib', '--data', '15', '--policy', 'auction', '-v', '--api', a.url])
    expect(verbose.code, verbose.stderr).to.equal(0)
    expect(verbose.stderr).to.match(/ms in all, by phase/)
    for (const phase of ['lookup', 'placement', 'compile', 'queue', 'run', 'other']) expect(verbose.stderr).to.match(new RegExp(`^ {4}${phase} +\\d+\\.\\d{2}`, 'm'))

    const json = await runCli(['invoke', 'fib', '--data', '15', '--policy', 'auction', '-v', '--json', '--api', a.url])
    expect(json.code, json.stderr).to.equal(0)
    const shown = JSON.parse(json.stdout)
    expect(JSON.parse(shown.output)).to.include({ fib: 610 })
    expect(shown.placementId).to.be.a('string')
    expect(shown.placement.id).to.equal(shown.placementId)
    expect(shown.placement.bids.filter((bid: { outcome: string }) => bid.outcome === 'bid')).to.have.length.greaterThan(0)
    expect(shown.placement.bids.map((bid: { peer: string }) => bid.peer)).to.include(b.peerId)
    expect(shown.timings).to.include.keys('lookup', 'placement', 'compile', 'queue', 'run')
    expect(shown.placement.timings.run).to.be.closeTo(shown.timings.run, 0.001)
  })
})
