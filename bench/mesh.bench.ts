/**
 * The mesh's gossip: how long a capacity advert takes to reach every peer, and what a node costs
 * in memory, as the mesh grows. Two setups:
 * - daemon processes on 127.0.0.1 (5 and 10; the real thing, clocks shared by the host), delays
 *   read from each node's view (advert made -> arrived);
 * - libp2p nodes with the adverts service in this process (5, 10, 20), delays from the events
 *   with one clock, memory as the growth of heap and buffers per node.
 * Baselines measured in the same run: a raw loopback TCP round trip, and an idle `node` process.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADVERTS_TOPIC } from '../protocols/src/adverts/index.js'
import { advertNode, connect as connectNodes, stopAll, type AdvertNode } from '../protocols/test/support/nodes.js'
import { sample, summarize, type Summary } from './stats.js'
import { rssMiB, treeRssMiB } from '../daemon/test/support/rss.js'
import { startMesh, type Daemon } from './daemons.js'
import type { Row } from './report.js'



async function sleep (ms: number): Promise<void> { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Raw TCP on loopback: 1-byte ping-pong over one connection, the floor any message pays. */
export async function tcpRoundTrip (n: number): Promise<Summary> {
  const server = createServer((socket) => { socket.setNoDelay(true); socket.on('data', (d) => socket.write(d)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const socket: Socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise((resolve) => socket.once('connect', resolve))
  const samples = await sample(n, async () => {
    await new Promise<void>((resolve) => { socket.once('data', () => { resolve() }); socket.write('x') })
  })
  socket.destroy()
  server.close()
  return summarize(samples)
}

/** An idle Node.js process, for the memory baseline. */
async function bareNodeRss (): Promise<number> {
  const proc = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  await sleep(1000)
  const rss = rssMiB(proc.pid!)
  proc.kill('SIGKILL')
  return rss
}

/** Per-advert delays to each receiver and to the last receiver, from the nodes' views. */
async function processMesh (root: string, n: number, seconds: number, progress: (m: string) => void): Promise<{ perReceiver: Summary, toAll: Summary, rss: Summary, treeRss: Summary }> {
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-mesh-bench-'))
  const daemons: Daemon[] = []
  try {
    daemons.push(...await startMesh(root, dir, n))
    progress(`${n} daemons converged; sampling adverts for ${seconds} s`)
    // (publisher, seq) -> receiver -> delay
    const seen = new Map<string, Map<string, number>>()
    const end = Date.now() + seconds * 1000
    while (Date.now() < end) {
      await Promise.all(daemons.map(async (d) => {
        const { peers } = await (await fetch(`${d.url}/v1/peers`)).json() as { peers: Array<{ peerId: string, seq: number, delayMs: number }> }
        for (const p of peers) {
          const key = `${p.peerId}/${p.seq}`
          if (!seen.has(key)) seen.set(key, new Map())
          seen.get(key)!.set(d.peerId, p.delayMs)
        }
      }))
      await sleep(100)
    }
    const perReceiver = [...seen.values()].flatMap((m) => [...m.values()])
    const toAll = [...seen.values()].filter((m) => m.size === n - 1).map((m) => Math.max(...m.values()))
    const rss = daemons.map((d) => rssMiB(d.proc.pid!))
    const treeRss = daemons.map((d) => treeRssMiB(d.proc.pid!))
    return { perReceiver: summarize(perReceiver), toAll: summarize(toAll), rss: summarize(rss), treeRss: summarize(treeRss) }
  } finally {
    for (const d of daemons) d.proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The same gossip between libp2p nodes in this process: one clock, exact delays. */
async function inProcessMesh (n: number, rounds: number): Promise<{ toAll: Summary, rssPerNode: number, lost: number }> {
  // heap plus buffers after full GCs (twice, a tick apart: buffers of the previous group are
  // released by finalizers only after the first); RSS barely moves once V8 has reserved its pages
  const used = async (): Promise<number> => {
    global.gc?.()
    await sleep(100)
    global.gc?.()
    const m = process.memoryUsage()
    return m.heapUsed + m.external
  }
  const before = await used()
  const nodes: AdvertNode[] = []
  try {
    for (let i = 0; i < n; i++) nodes.push(await advertNode({ intervalMs: 60_000 }))
    for (const node of nodes) node.services.adverts.setSource(() => ({ slotsTotal: 1, slotsFree: 1, queueLength: 0, speed: 1, memoryFreeBytes: 0, warmCids: [], tags: [], multiaddrs: node.getMultiaddrs().map((m) => m.bytes as Uint8Array<ArrayBuffer>), httpAddrs: [] }))
    // a star around node 0, as a bootstrap list makes it, plus a ring so the mesh is not one hub
    for (let i = 1; i < n; i++) await connectNodes(nodes[i]!, nodes[0]!)
    for (let i = 1; i < n; i++) await connectNodes(nodes[i]!, nodes[(i % (n - 1)) + 1]!).catch(() => {})
    // subscriptions and the gossipsub mesh settle: every node has mesh peers on the topic
    const settleBy = Date.now() + 15_000
    // getMeshPeers is on the class, not the published interface
    const meshPeers = (x: AdvertNode): number => (x.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(ADVERTS_TOPIC).length
    while (!nodes.every((x) => meshPeers(x) > 0)) {
      if (Date.now() > settleBy) throw new Error(`gossipsub mesh of ${n} did not form`)
      await sleep(100)
    }
    await sleep(1500)
    const samples: number[] = []
    let lost = 0
    for (let r = 0; r < rounds; r++) {
      const publisher = nodes[r % n]!
      const receivers = nodes.filter((x) => x !== publisher)
      const t0 = performance.now()
      const arrived = receivers.map(async (x) => new Promise<number>((resolve) => {
        // an advert that has not arrived in 5 s counts as lost (the next periodic one would repair the view)
        const timer = setTimeout(() => { x.services.adverts.removeEventListener('advert:received', onAdvert as any); resolve(Number.NaN) }, 5000)
        const onAdvert = (evt: CustomEvent<{ from: { equals(p: unknown): boolean } }>): void => {
          if (!evt.detail.from.equals(publisher.peerId)) return
          x.services.adverts.removeEventListener('advert:received', onAdvert as any)
          clearTimeout(timer)
          resolve(performance.now() - t0)
        }
        x.services.adverts.addEventListener('advert:received', onAdvert as any)
      }))
      publisher.services.adverts.publishSoon()
      const delays = await Promise.all(arrived)
      if (delays.some((d) => Number.isNaN(d))) lost++
      else samples.push(Math.max(...delays))
      await sleep(300) // publishSoon's rate limit is 250 ms per node
    }
    const rssPerNode = (await used() - before) / n / (1024 * 1024)
    return { toAll: summarize(samples), rssPerNode, lost }
  } finally {
    await stopAll()
  }
}

export async function benchMesh (root: string, quick: boolean, progress: (m: string) => void): Promise<Row[]> {
  const rows: Row[] = []
  const rtt = await tcpRoundTrip(quick ? 500 : 2000)
  const bare = await bareNodeRss()
  const bareSummary: Summary = { n: 1, median: bare, p99: bare, mean: bare }
  for (const n of quick ? [5] : [5, 10]) {
    progress(`mesh: ${n} daemon processes`)
    const r = await processMesh(root, n, quick ? 5 : 15, progress)
    rows.push({ group: 'mesh', name: `advert to one peer, ${n} daemon processes`, result: r.perReceiver, baselineName: 'raw loopback TCP round trip', baseline: rtt })
    rows.push({ group: 'mesh', name: `advert to all ${n - 1} peers, ${n} daemon processes`, result: r.toAll, baselineName: 'raw loopback TCP round trip', baseline: rtt })
    rows.push({ group: 'mesh', unit: 'MiB', name: `RSS per daemon, mesh of ${n} (median, max)`, result: { ...r.rss, p99: Math.max(r.rss.p99, r.rss.median) }, baselineName: 'idle node process', baseline: bareSummary })
    rows.push({ group: 'mesh', unit: 'MiB', name: `RSS per daemon with its sandbox processes, mesh of ${n} (median, max)`, result: { ...r.treeRss, p99: Math.max(r.treeRss.p99, r.treeRss.median) }, baselineName: 'idle node process', baseline: bareSummary })
  }
  for (const n of quick ? [5, 10] : [5, 10, 20]) {
    progress(`mesh: ${n} in-process libp2p nodes`)
    const r = await inProcessMesh(n, quick ? 20 : 60)
    rows.push({ group: 'mesh', name: `advert to all ${n - 1} peers, ${n} in-process nodes (${r.lost} of ${r.toAll.n + r.lost} late > 5 s)`, result: r.toAll, baselineName: 'raw loopback TCP round trip', baseline: rtt })
    rows.push({ group: 'mesh', unit: 'MiB', name: `heap + buffers per in-process node, ${n} nodes (after GC)`, result: { n, median: r.rssPerNode, p99: r.rssPerNode, mean: r.rssPerNode }, baselineName: 'idle node process', baseline: bareSummary })
  }
  return rows
}
