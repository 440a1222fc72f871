/**
 * The mesh's gossip: how long a capacity advert takes to reach every peer, and what a node costs
 * in memory, as the mesh grows. Two setups:
 * - daemon processes on 127.0.0.1 (5 and 10; `--mesh-sizes=15,20,25` for others; the real thing,
 *   clocks shared by the host), delays read from each node's view (advert made -> arrived);
 * - libp2p nodes with the adverts service and the daemon's DHT in this process (5, 10, 20;
 *   `--mesh-nodes=50,100` for others), delays from the events with one clock, memory as the
 *   growth of heap and buffers per node; from 20 nodes on, also DHT lookups: one node provides a
 *   fresh CID, another finds its provider (the daemon's way to find code it does not hold).
 * Baselines measured in the same run: a raw loopback TCP round trip, and an idle `node` process.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { createLibp2p, type Libp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { ADVERTS_TOPIC, capacityAdverts, gossipScoreParams, type CapacityAdverts } from '../protocols/src/adverts/index.js'
import { base as nodeBase, connect as connectNodes } from '../protocols/test/support/nodes.js'
import { DHT_PROTOCOL } from '../daemon/src/node/index.js'
import { sample, summarize, type Summary } from './stats.js'
import { rssMiB, treeRssMiB } from '../daemon/test/support/rss.js'
import { startDaemon, type Daemon } from './daemons.js'
import { bareNodeRss } from './memory.bench.js'
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

type DhtNode = Libp2p<{ pubsub: GossipSub, adverts: CapacityAdverts, dht: KadDHT }>

/** A libp2p node with what a daemon gossips and looks up with: gossipsub, adverts, the private DHT. */
async function dhtNode (): Promise<DhtNode> {
  return await createLibp2p({
    ...nodeBase,
    // the daemon's own settings (daemon/src/node): 100 nodes on one address must all get in
    connectionManager: { inboundConnectionThreshold: 1000, allow: ['/ip4/127.0.0.0/ipcidr/8'], maxConnections: 300 },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', floodPublish: true, emitSelf: false, scoreParams: gossipScoreParams() }),
      adverts: capacityAdverts({ intervalMs: 60_000 }),
      dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })
    }
  }) as unknown as DhtNode
}

/**
 * `n` daemons bootstrapped to the first, started 5 at a time (25 at once on 2 cores miss their
 * start-up deadline), returned once every one sees the other n - 1 (bounded: 30 s + 2 s a node).
 */
async function bigMesh (root: string, dir: string, n: number, progress: (m: string) => void): Promise<Daemon[]> {
  const daemons: Daemon[] = []
  try {
    daemons.push(await startDaemon(root, join(dir, '0'), []))
    for (let i = 1; i < n; i += 5) {
      // allSettled: the daemons of a batch that did start are killed too when one of them fails
      const batch = await Promise.allSettled(Array.from({ length: Math.min(5, n - i) }, async (_, j) => startDaemon(root, join(dir, String(i + j)), ['--bootstrap', daemons[0]!.multiaddr])))
      for (const b of batch) if (b.status === 'fulfilled') daemons.push(b.value)
      const failed = batch.find((b) => b.status === 'rejected')
      if (failed != null) throw failed.reason
    }
    progress(`${n} daemons started; waiting for every one to see the others`)
    const deadline = Date.now() + 30_000 + n * 2000
    while (true) {
      const sizes = await Promise.all(daemons.map(async (d) => ((await (await fetch(`${d.url}/v1/peers`, { signal: AbortSignal.timeout(10_000) })).json()).peers as unknown[]).length))
      if (sizes.every((s) => s === n - 1)) return daemons
      if (Date.now() > deadline) throw new Error(`mesh of ${n} did not converge: ${sizes.join(',')}`)
      await sleep(500)
    }
  } catch (err) {
    for (const d of daemons) d.proc.kill('SIGKILL')
    throw err
  }
}

/** Per-advert delays to each receiver and to the last receiver, from the nodes' views. */
async function processMesh (root: string, n: number, seconds: number, progress: (m: string) => void): Promise<{ perReceiver: Summary, toAll: Summary, rss: Summary, treeRss: Summary }> {
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-mesh-bench-'))
  const daemons: Daemon[] = []
  try {
    daemons.push(...await bigMesh(root, dir, n, progress))
    progress(`${n} daemons converged; sampling adverts for ${seconds} s`)
    // (publisher, seq) -> receiver -> delay
    const seen = new Map<string, Map<string, number>>()
    const end = Date.now() + seconds * 1000
    while (Date.now() < end) {
      await Promise.all(daemons.map(async (d) => {
        const { peers } = await (await fetch(`${d.url}/v1/peers`, { signal: AbortSignal.timeout(10_000) })).json() as { peers: Array<{ peerId: string, seq: number, delayMs: number }> }
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

interface InProcessResult { toAll: Summary, rssPerNode: number, lost: number, startMs: number, provide?: Summary, find?: Summary, notFound: number }

/** The same gossip between libp2p nodes in this process: one clock, exact delays; then DHT lookups. */
async function inProcessMesh (n: number, rounds: number, lookups: number, progress: (m: string) => void): Promise<InProcessResult> {
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
  const nodes: DhtNode[] = []
  try {
    const t0 = performance.now()
    // started a few at a time: 100 handshakes at once on 2 cores time out
    for (let i = 0; i < n; i += 10) nodes.push(...await Promise.all(Array.from({ length: Math.min(10, n - i) }, async () => dhtNode())))
    for (const node of nodes) node.services.adverts.setSource(() => ({ slotsTotal: 1, slotsFree: 1, queueLength: 0, speed: 1, memoryFreeBytes: 0, warmCids: [], tags: [], multiaddrs: node.getMultiaddrs().map((m) => m.bytes as Uint8Array<ArrayBuffer>), httpAddrs: [] }))
    // a star around node 0, as a bootstrap list makes it, plus a ring so the mesh is not one hub
    // a dial may time out on a loaded host (every handshake shares the 2 cores): tried 3 times
    const dial = async (a: DhtNode, b: DhtNode): Promise<void> => {
      for (let t = 1; ; t++) {
        try { await connectNodes(a, b); return } catch (err) { if (t >= 3) throw err }
      }
    }
    for (let i = 1; i < n; i += 5) await Promise.all(nodes.slice(i, i + 5).map(async (x) => dial(x, nodes[0]!)))
    for (let i = 1; i < n; i += 5) await Promise.all(nodes.slice(i, i + 5).map(async (x, j) => dial(x, nodes[((i + j) % (n - 1)) + 1]!).catch(() => {})))
    // subscriptions and the gossipsub mesh settle: every node has mesh peers on the topic
    const settleBy = Date.now() + 30_000 + n * 300
    // getMeshPeers is on the class, not the published interface
    const meshPeers = (x: DhtNode): number => (x.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(ADVERTS_TOPIC).length
    while (!nodes.every((x) => meshPeers(x) > 0)) {
      if (Date.now() > settleBy) throw new Error(`gossipsub mesh of ${n} did not form`)
      await sleep(100)
    }
    const startMs = performance.now() - t0
    progress(`${n} in-process nodes up and meshed in ${(startMs / 1000).toFixed(1)} s; ${rounds} adverts`)
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

    // DHT: a node provides a CID no one has seen, another (not its neighbour) finds it
    const provide: number[] = []
    const find: number[] = []
    let notFound = 0
    if (lookups > 0) progress(`${n} in-process nodes: ${lookups} DHT provide + findProviders`)
    for (let l = 0; l < lookups; l++) {
      const provider = nodes[(l * 7 + 1) % n]!
      const seeker = nodes[(l * 13 + Math.floor(n / 2)) % n]!
      if (seeker === provider) continue
      const cid = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`bench ${n} ${l} ${Math.random()}`)))
      const p0 = performance.now()
      await provider.contentRouting.provide(cid, { signal: AbortSignal.timeout(30_000) })
      provide.push(performance.now() - p0)
      const f0 = performance.now()
      const signal = AbortSignal.timeout(10_000)
      let found = false
      try {
        for await (const p of seeker.contentRouting.findProviders(cid, { signal })) {
          if (p.id.equals(provider.peerId)) { found = true; break }
        }
      } catch {}
      if (found) find.push(performance.now() - f0)
      else notFound++
    }
    return { toAll: summarize(samples), rssPerNode, lost, startMs, notFound, ...(lookups > 0 ? { provide: summarize(provide), find: summarize(find) } : {}) }
  } finally {
    await Promise.all(nodes.map(async (x) => { await x.stop() }))
  }
}

export interface MeshSizes {
  /** Daemon processes per mesh. @default [5, 10] (--quick: [5]) */
  processes?: number[]
  /** libp2p nodes in this process per mesh. @default [5, 10, 20] (--quick: [5, 10]) */
  inProcess?: number[]
}

export async function benchMesh (root: string, quick: boolean, progress: (m: string) => void, sizes: MeshSizes = {}): Promise<Row[]> {
  const rows: Row[] = []
  const rtt = await tcpRoundTrip(quick ? 500 : 2000)
  const bare = await bareNodeRss()
  const bareSummary: Summary = { n: 1, median: bare, p99: bare, mean: bare }
  for (const n of sizes.processes ?? (quick ? [5] : [5, 10])) {
    progress(`mesh: ${n} daemon processes`)
    const r = await processMesh(root, n, quick ? 5 : 15, progress)
    rows.push({ group: 'mesh', name: `advert to one peer, ${n} daemon processes`, result: r.perReceiver, baselineName: 'raw loopback TCP round trip', baseline: rtt })
    rows.push({ group: 'mesh', name: `advert to all ${n - 1} peers, ${n} daemon processes`, result: r.toAll, baselineName: 'raw loopback TCP round trip', baseline: rtt })
    rows.push({ group: 'mesh', unit: 'MiB', name: `RSS per daemon, mesh of ${n} (median, max)`, result: { ...r.rss, p99: Math.max(r.rss.p99, r.rss.median) }, baselineName: 'idle node process', baseline: bareSummary })
    rows.push({ group: 'mesh', unit: 'MiB', name: `RSS per daemon with its sandbox processes, mesh of ${n} (median, max)`, result: { ...r.treeRss, p99: Math.max(r.treeRss.p99, r.treeRss.median) }, baselineName: 'idle node process', baseline: bareSummary })
  }
  for (const n of sizes.inProcess ?? (quick ? [5, 10] : [5, 10, 20])) {
    progress(`mesh: ${n} in-process libp2p nodes`)
    const r = await inProcessMesh(n, quick ? 20 : 60, n >= 20 ? (quick ? 10 : 20) : 0, progress)
    rows.push({ group: 'mesh', name: `advert to all ${n - 1} peers, ${n} in-process nodes (${r.lost} of ${r.toAll.n + r.lost} late > 5 s)`, result: r.toAll, baselineName: 'raw loopback TCP round trip', baseline: rtt })
    rows.push({ group: 'mesh', unit: 'MiB', name: `heap + buffers per in-process node, ${n} nodes (after GC)`, result: { n, median: r.rssPerNode, p99: r.rssPerNode, mean: r.rssPerNode }, baselineName: 'idle node process', baseline: bareSummary })
    if (r.provide != null && r.find != null) {
      rows.push({ group: 'mesh', name: `DHT provide (a fresh CID), ${n} in-process nodes`, result: r.provide, baselineName: 'raw loopback TCP round trip', baseline: rtt })
      rows.push({ group: 'mesh', name: `DHT findProviders until the provider (${r.notFound} of ${r.find.n + r.notFound} not found in 10 s), ${n} in-process nodes`, result: r.find, baselineName: 'raw loopback TCP round trip', baseline: rtt })
    }
  }
  return rows
}
