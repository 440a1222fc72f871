/**
 * Issue 15, item 6, across three daemon processes: A on mains, L on battery at 10 % (below the
 * 20 % threshold), M on battery at 40 % and tagged power=battery. L declines A's calls for bids
 * BATTERY but still bids in its own auctions; M bids dearer than A and wins fewer of L's
 * auctions; every node's adverts carry its level, which `GET /v1/peers` and `faasmesh peers` show.
 */
import { expect } from 'chai'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess, waitForMesh } from './support/processes.js'
import { waitFor } from './support/wait.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }
/** fib(25) runs in about a millisecond: the estimates are alike, so the price decides. */
const N = 25
const FIB_25 = 75025

interface BidView { peer: string, self: boolean, outcome: string, reason?: string, price?: number }
interface PlacementView { executor: string, bids: BidView[] }

async function invoke (d: DaemonProcess, headers: Record<string, string> = {}): Promise<{ executor: string, placementId: string }> {
  const res = await fetch(`${d.url}/v1/invoke/fib`, { method: 'POST', body: String(N), headers, signal: AbortSignal.timeout(30_000) })
  const body = await res.text()
  expect(res.status, body).to.equal(200)
  expect(JSON.parse(body)).to.deep.equal({ n: N, fib: FIB_25 })
  return { executor: res.headers.get('x-faasmesh-executor')!, placementId: res.headers.get('x-faasmesh-placement-id')! }
}

async function placement (d: DaemonProcess, id: string): Promise<PlacementView> {
  const res = await fetch(`${d.url}/v1/placements/${id}`, { signal: AbortSignal.timeout(5000) })
  expect(res.status).to.equal(200)
  return res.json() as Promise<PlacementView>
}

describe('energy-aware bidding across daemon processes', function () {
  this.timeout(180_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  let a: DaemonProcess, low: DaemonProcess, mid: DaemonProcess

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    a = await startDaemon(await dir(), ['--slots', '2'], ENV)
    const boot = ['--bootstrap', a.multiaddr, '--slots', '2']
    ;[low, mid] = await Promise.all([
      startDaemon(await dir(), boot, { ...ENV, FAASMESH_POWER_BATTERY_PERCENT: '10' }),
      startDaemon(await dir(), [...boot, '--tag', 'power=battery'], { ...ENV, FAASMESH_POWER_BATTERY_PERCENT: '40' })
    ])
    await waitForMesh([a, low, mid])
    // every node stores the code, so none bids a fetch
    for (const d of [a, low, mid]) {
      const deployed = await runCli(['deploy', 'fib', 'build/fib.wasm', '--api', d.url])
      expect(deployed.code, deployed.stderr).to.equal(0)
    }
    // every node compiles fib and learns its run time
    for (let i = 0; i < 9; i++) await invoke(a, { 'x-faasmesh-policy': 'round-robin' })
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('adverts carry each level: GET /v1/peers and faasmesh peers show it, mains shows none', async function () {
    const levels = async (): Promise<Map<string, number | undefined>> => {
      const { peers } = await (await fetch(`${a.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json() as { peers: Array<{ peerId: string, batteryPercent?: number }> }
      return new Map(peers.map((p) => [p.peerId, p.batteryPercent]))
    }
    await waitFor(async () => (await levels()).get(low.peerId) === 10, 10_000, 'the low node\'s level in the view')
    const seen = await levels()
    expect(seen.get(mid.peerId)).to.equal(40)
    const { peers } = await (await fetch(`${low.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json() as { peers: Array<{ peerId: string, batteryPercent?: number }> }
    expect(peers.find((p) => p.peerId === a.peerId), 'mains: no battery field').to.not.have.property('batteryPercent')
    const cli = await runCli(['peers', '--api', a.url])
    expect(cli.code, cli.stderr).to.equal(0)
    expect(cli.stdout).to.match(/BATTERY/).and.match(/10 %/).and.match(/40 %/)
  })

  it('a node below the threshold declines another node\'s auction BATTERY, and still bids in its own', async function () {
    for (let i = 0; i < 6; i++) {
      const { placementId } = await invoke(a)
      const { bids, executor } = await placement(a, placementId)
      const lowBid = bids.find((b) => b.peer === low.peerId)
      expect(lowBid, JSON.stringify(bids)).to.deep.include({ outcome: 'declined', reason: 'battery' })
      expect(executor).to.not.equal(low.peerId)
    }
    const { placementId } = await invoke(low)
    const own = (await placement(low, placementId)).bids.find((b) => b.self)
    expect(own, 'its own caller\'s auction').to.deep.include({ outcome: 'bid' })
    expect(own!.price, 'at its battery price: (100 / 10)² = 100 times').to.be.at.least(100)
  })

  it('a mid-level node bids dearer than a mains node and wins fewer auctions', async function () {
    // entered at the low node: it asks itself (100 times dearer), A (mains) and M (40 %, tagged: 4 x 6.25 = 25 times)
    const wins = new Map<string, number>()
    for (let i = 0; i < 16; i++) {
      const { placementId, executor } = await invoke(low)
      wins.set(executor, (wins.get(executor) ?? 0) + 1)
      const { bids } = await placement(low, placementId)
      const price = (d: DaemonProcess): number | undefined => bids.find((b) => b.peer === d.peerId && b.outcome === 'bid')?.price
      const [mains, battery] = [price(a), price(mid)]
      if (mains != null && battery != null) expect(battery, JSON.stringify(bids)).to.be.at.least(5 * mains)
    }
    const count = (d: DaemonProcess): number => wins.get(d.peerId) ?? 0
    const seen = `wins: A ${count(a)}, M ${count(mid)}, L ${count(low)}`
    expect(count(a), seen).to.be.greaterThan(count(mid))
    expect(count(a), seen).to.be.greaterThan(8)
  })
})
