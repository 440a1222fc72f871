/**
 * The mesh end to end: real daemon processes on 127.0.0.1 that find each other through a
 * bootstrap node, gossip their capacity, notice departures and returns, and shrug off a hostile
 * peer. Every wait is bounded; every process is killed in `after`.
 */
import { createServer } from 'node:net'
import { join } from 'node:path'
import { expect } from 'chai'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { ADVERTS_TOPIC, CapacityAdvert } from '../../protocols/src/adverts/index.js'
import { loadOrCreateIdentity } from '../src/identity/index.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

const INTERVAL_MS = 500
const TTL_MS = 3 * INTERVAL_MS
const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: String(INTERVAL_MS) }

async function peersOf (d: DaemonProcess): Promise<Array<{ peerId: string, ageMs: number, slots: { total: number, free: number }, tags: Record<string, string> }>> {
  const res = await fetch(`${d.url}/v1/peers`, { signal: AbortSignal.timeout(2000) })
  return (await res.json()).peers
}

async function sees (d: DaemonProcess, others: DaemonProcess[]): Promise<boolean> {
  const ids = new Set((await peersOf(d)).map((p) => p.peerId))
  return others.every((o) => ids.has(o.peerId))
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('mesh of daemon processes', function () {
  this.timeout(90_000)
  const dirs: Array<{ path: string, cleanup(): Promise<void> }> = []
  const nodes: DaemonProcess[] = []
  const newDir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }

  before(async function () {
    nodes.push(await startDaemon(await newDir(), ['--tag', 'role=bootstrap'], ENV))
    const started = await Promise.all([1, 2, 3, 4].map(async (i) => startDaemon(await newDir(), ['--bootstrap', nodes[0]!.multiaddr, '--tag', `index=${i}`], ENV)))
    nodes.push(...started)
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('five daemons bootstrapped to node 0 all see the other four with fresh adverts within 10 s', async function () {
    const t0 = Date.now()
    await waitFor(async () => (await Promise.all(nodes.map(async (n) => sees(n, nodes.filter((o) => o !== n))))).every(Boolean), 10_000, 'full views')
    const elapsed = Date.now() - t0
    for (const n of nodes) {
      const peers = await peersOf(n)
      expect(peers).to.have.length(4)
      for (const p of peers) {
        expect(p.ageMs).to.be.lessThan(TTL_MS)
        expect(p.slots.total).to.be.at.least(1)
      }
    }
    expect((await peersOf(nodes[1]!)).find((p) => p.peerId === nodes[0]!.peerId)?.tags).to.deep.equal({ role: 'bootstrap' })
    expect(elapsed).to.be.lessThan(10_000)
  })

  it('faasmesh peers prints the other four', async function () {
    const out = await runCli(['peers', '--api', nodes[2]!.url])
    expect(out.code, out.stderr).to.equal(0)
    const rows = out.stdout.trim().split('\n')
    expect(rows[0]).to.match(/^PEER\s+ADDRESSES \/ TAGS\s+FREE\/TOTAL\s+QUEUE\s+SPEED\s+BATTERY\s+WARM\s+AGE/)
    expect(rows).to.have.length(5)
    expect(out.stdout).to.include('role=bootstrap').and.include('/ip4/127.0.0.1/tcp/')
  })

  it('a SIGKILLed daemon leaves every view within the TTL and returns, same peer id, on restart', async function () {
    const victim = nodes[3]!
    const rest = nodes.filter((n) => n !== victim)
    await victim.stop('SIGKILL')
    const t0 = Date.now()
    await waitFor(async () => (await Promise.all(rest.map(async (n) => (await peersOf(n)).every((p) => p.peerId !== victim.peerId)))).every(Boolean), TTL_MS + 3000, 'departure')
    expect(Date.now() - t0).to.be.lessThan(TTL_MS + 3000)

    const dataDir = /data dir\s+(\S+)/.exec(victim.output())![1]!
    const back = await startDaemon(dataDir, ['--bootstrap', nodes[0]!.multiaddr], ENV)
    nodes[3] = back
    expect(back.peerId).to.equal(victim.peerId)
    await waitFor(async () => (await Promise.all(rest.map(async (n) => sees(n, [back])))).every(Boolean), 10_000, 'return')
  })

  it('nodes whose bootstrap peer starts later still join once it is up', async function () {
    const lateDir = await newDir()
    const { peerId } = await loadOrCreateIdentity(lateDir)
    const port = await freePort()
    const lateAddr = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId.toString()}`
    const early = await Promise.all([0, 1].map(async () => startDaemon(await newDir(), ['--bootstrap', lateAddr], ENV)))
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect(await peersOf(early[0]!)).to.deep.equal([])
    const late = await startDaemon(lateDir, ['--listen', `/ip4/127.0.0.1/tcp/${port}`], ENV)
    expect(late.peerId).to.equal(peerId.toString())
    await waitFor(async () => (await sees(early[0]!, [late, early[1]!])) && (await sees(early[1]!, [late, early[0]!])), 10_000, 'late join')
    await Promise.all([...early, late].map(async (d) => d.stop('SIGKILL')))
  })

  it('garbage and forged adverts from a bare libp2p peer are rejected, counted, and change nothing', async function () {
    const target = nodes[0]!
    const before = (await peersOf(target)).map((p) => p.peerId).sort()
    const attacker: Libp2p<{ pubsub: GossipSub }> = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', allowPublishToZeroTopicPeers: true }) }
    })
    try {
      attacker.services.pubsub.subscribe(ADVERTS_TOPIC)
      await attacker.dial(multiaddr(target.multiaddr), { signal: AbortSignal.timeout(5000) })
      await waitFor(() => attacker.services.pubsub.getSubscribers(ADVERTS_TOPIC).some((p) => p.toString() === target.peerId), 10_000, 'subscription')
      await attacker.services.pubsub.publish(ADVERTS_TOPIC, new Uint8Array([0x08, 0xff, 0xff, 0xff]))
      const forged = CapacityAdvert.encode({
        seq: 1, timestamp: Date.now(), slotsTotal: 64, slotsFree: 64, queueLength: 0, speed: 100, memoryFreeBytes: 0,
        warmCids: [], tags: [], multiaddrs: [multiaddr(nodes[1]!.multiaddr).bytes as Uint8Array<ArrayBuffer>], httpAddrs: []
      })
      await attacker.services.pubsub.publish(ADVERTS_TOPIC, forged)
      const rejected = async (reason: string): Promise<number> => {
        const text = await (await fetch(`${target.url}/metrics`)).text()
        return Number(new RegExp(`faasmesh_adverts_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
      }
      await waitFor(async () => (await rejected('undecodable')) >= 1 && (await rejected('forged-address')) >= 1, 5000, 'rejections counted')
    } finally {
      await attacker.stop()
    }
    expect((await peersOf(target)).map((p) => p.peerId).sort()).to.deep.equal(before)
    expect((await fetch(`${target.url}/v1/health`)).status).to.equal(200)
  })

  it('every daemon exits cleanly on SIGTERM within a few seconds', async function () {
    const codes = await Promise.all(nodes.map(async (n) => {
      const t0 = Date.now()
      const code = await n.stop('SIGTERM', 8000)
      return { code, ms: Date.now() - t0 }
    }))
    for (const { code, ms } of codes) {
      expect(code).to.equal(0)
      expect(ms).to.be.lessThan(5000)
    }
  })
})
