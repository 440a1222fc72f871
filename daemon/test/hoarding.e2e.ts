/**
 * Issue 11, item 5: cheap identities cannot take a node out of honest auctions. Three daemon
 * processes (an honest auctioneer, the victim, a slower competitor) and attackers as bare
 * libp2p nodes in this process: two that call the victim for bids ~20 times a second each and
 * never claim, and one that sends it invokes for CIDs nobody has: it announces itself in the
 * DHT as their provider and never serves them, so each fetch takes the resolver's whole timeout.
 * The share of the honest auctioneer's auctions the victim wins must not move by 20 percentage
 * points under attack.
 */
import { randomBytes } from 'node:crypto'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p, type Libp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { auction, Bid, type Auction } from '../../protocols/src/auction/index.js'
import { CODE_PROTOCOL } from '../../protocols/src/code/index.js'
import { invokeProtocol, type Invoke } from '../../protocols/src/invoke/index.js'
import { base } from '../../protocols/test/support/nodes.js'
import { DHT_PROTOCOL } from '../src/node/index.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }
/** Honest auctions per phase: enough that one auction is 2.5 points of share. */
const AUCTIONS = 40
/** Pause between honest auctions, so a phase spans a few reservation lifetimes (~4 s). */
const PAUSE_MS = 60
/** The finding's rate: ~20 calls for bids (or invokes) a second per identity. */
const ATTACK_INTERVAL_MS = 50
/** Bound on any attacker's sends, whatever happens to the phases. */
const MAX_ATTACK_SENDS = 1200

type AttackerNode = Libp2p<{ auction: Auction, invoke: Invoke }>
type ProviderNode = Libp2p<{ invoke: Invoke, dht: KadDHT }>

/** A bare libp2p node that speaks the auction and invoke protocols and nothing else. */
async function attacker (): Promise<AttackerNode> {
  return await createLibp2p({ ...base, services: { identify: identify(), auction: auction(), invoke: invokeProtocol() } }) as unknown as AttackerNode
}

/**
 * A node in the mesh's DHT that announces itself as the provider of whatever CID it names and
 * never answers a fetch: the victim's resolver waits on it until its timeout, as it would on
 * the unreachable providers of a large mesh.
 */
async function provider (): Promise<ProviderNode> {
  const node = await createLibp2p({
    ...base,
    services: { identify: identify(), ping: ping(), invoke: invokeProtocol(), dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper }) }
  }) as unknown as ProviderNode
  // never read, never answered: a fetch's stream lives until the victim gives up
  await node.handle(CODE_PROTOCOL, () => {})
  return node
}

/** What an attack loop saw, for the assertion messages. */
interface Seen { sent: number, answers: Record<string, number> }

/** Runs `send` every ATTACK_INTERVAL_MS without waiting for answers, until `stop()`. */
function loop (send: () => Promise<string>): { seen: Seen, stop: () => void } {
  const seen: Seen = { sent: 0, answers: {} }
  const timer = setInterval(() => {
    if (seen.sent >= MAX_ATTACK_SENDS) { clearInterval(timer); return }
    seen.sent++
    send().then((what) => { seen.answers[what] = (seen.answers[what] ?? 0) + 1 }, (err) => {
      const what = String(err?.name ?? 'Error')
      seen.answers[what] = (seen.answers[what] ?? 0) + 1
    })
  }, ATTACK_INTERVAL_MS)
  return { seen, stop: () => { clearInterval(timer) } }
}

/** Calls for bids for `cid` and never claims nor releases what it is granted. */
function hoard (node: AttackerNode, victim: DaemonProcess, cid: Uint8Array): { seen: Seen, stop: () => void } {
  const peer = peerIdFromString(victim.peerId)
  return loop(async () => {
    const bid = await node.services.auction.requestBid(peer, {
      auctionId: randomBytes(8).toString('hex'), cid: cid as Uint8Array<ArrayBuffer>, inputBytes: 3, deadlineMs: 0, release: [], inputs: [], nameRecord: new Uint8Array(0)
    }, { timeoutMs: 1000 })
    return bid.status === Bid.Status.BID ? 'bid' : bid.reason.toLowerCase()
  })
}

/** Sends invokes without a reservation for CIDs nobody can supply, each announced first. */
function invokeUnknown (node: ProviderNode, victim: DaemonProcess): { seen: Seen, stop: () => void } {
  const peer = peerIdFromString(victim.peerId)
  return loop(async () => {
    const cid = CID.create(1, raw.code, await sha256.digest(randomBytes(32)))
    await node.contentRouting.provide(cid, { signal: AbortSignal.timeout(5000) })
    const response = await node.services.invoke.invoke(peer, {
      cid: cid.bytes as Uint8Array<ArrayBuffer>, input: new Uint8Array(0), deadlineMs: 10_000, reservation: new Uint8Array(0), invocationId: '', inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0
    }, { timeoutMs: 12_000 })
    return response.status.toLowerCase()
  })
}

interface Share { won: number, total: number, declined: Record<string, number> }

/** Sends `count` invocations to the honest node one after another and counts what the victim did in them. */
async function honestAuctions (honest: DaemonProcess, victim: DaemonProcess, count = AUCTIONS): Promise<Share> {
  const share: Share = { won: 0, total: 0, declined: {} }
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${honest.url}/v1/invoke/fib`, { method: 'POST', body: '25', headers: { 'x-faasmesh-policy': 'auction' }, signal: AbortSignal.timeout(10_000) })
    const body = await res.text()
    expect(res.status, body).to.equal(200)
    share.total++
    if (res.headers.get('x-faasmesh-executor') === victim.peerId) share.won++
    const id = res.headers.get('x-faasmesh-placement-id')
    const record = await (await fetch(`${honest.url}/v1/placements/${id}`, { signal: AbortSignal.timeout(5000) })).json() as { bids: Array<{ peer: string, outcome: string, reason?: string }> }
    const mine = record.bids.find((b) => b.peer === victim.peerId)
    if (mine != null && mine.outcome !== 'bid') {
      const why = mine.reason ?? mine.outcome
      share.declined[why] = (share.declined[why] ?? 0) + 1
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
  }
  return share
}

const describeShare = (s: Share): string => `won ${s.won}/${s.total}, not bidding ${JSON.stringify(s.declined)}`

describe('hoarding: cheap identities cannot take a node out of honest auctions', function () {
  this.timeout(120_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  const attackers: Libp2p[] = []
  const loops: Array<{ stop: () => void }> = []
  let honest: DaemonProcess
  let victim: DaemonProcess
  let fibCid: Uint8Array
  let baseline: Share

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    // estimates far apart, so that bid round trips on a busy machine (tens of ms) decide
    // nothing: the honest auctioneer is the slowest, so its auctions go elsewhere, and the
    // competitor 25 times slower than the victim, which wins them all in peace
    honest = await startDaemon(await dir(), ['--slots', '1', '--slowdown', '100'], ENV)
    const boot = ['--bootstrap', honest.multiaddr]
    const [v] = await Promise.all([
      startDaemon(await dir(), [...boot, '--slots', '1'], ENV),
      startDaemon(await dir(), [...boot, '--slots', '1', '--slowdown', '25'], ENV)
    ])
    victim = v!
    await waitFor(async () => ((await (await fetch(`${honest.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json()).peers as unknown[]).length === 2, 15_000, 'mesh')
    const deployed = await runCli(['deploy', 'fib', 'build/fib.wasm', '--api', honest.url])
    expect(deployed.code, deployed.stderr).to.equal(0)
    const { functions } = await (await fetch(`${honest.url}/v1/functions`, { signal: AbortSignal.timeout(5000) })).json() as { functions: Array<{ cid: string }> }
    fibCid = CID.parse(functions[0]!.cid).bytes
    // every node gets the code and learns fib's run time; auctions won by the victim make the
    // honest auctioneer a peer that claims what it is granted there
    for (let i = 0; i < 9; i++) {
      const res = await fetch(`${honest.url}/v1/invoke/fib`, { method: 'POST', body: '25', headers: { 'x-faasmesh-policy': 'round-robin' }, signal: AbortSignal.timeout(10_000) })
      expect(res.status, await res.text()).to.equal(200)
    }
    await honestAuctions(honest, victim, 10)
    baseline = await honestAuctions(honest, victim)
    expect(baseline.won, `the victim wins honest auctions in peace: ${describeShare(baseline)}`).to.be.at.least(AUCTIONS / 4)
  })

  afterEach(function () {
    for (const l of loops.splice(0)) l.stop()
  })

  after(async function () {
    for (const l of loops.splice(0)) l.stop()
    await Promise.all(attackers.splice(0).map(async (a) => { await a.stop() }))
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  async function connected<T extends Libp2p> (create: () => Promise<T>): Promise<T> {
    const node = await create()
    attackers.push(node)
    await node.dial(multiaddr(victim.multiaddr), { signal: AbortSignal.timeout(5000) })
    return node
  }

  it('two identities calling for bids and never claiming move the victim\'s share by less than 20 points', async function () {
    const attacks = await Promise.all([connected(attacker), connected(attacker)]).then((nodes) => nodes.map((n) => hoard(n, victim, fibCid)))
    loops.push(...attacks)
    // the attack is in full swing before the honest auctions start
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const attacked = await honestAuctions(honest, victim)
    for (const a of attacks) a.stop()
    const seen = attacks.map((a) => JSON.stringify(a.seen)).join(', ')
    const moved = Math.abs(attacked.won - baseline.won) / AUCTIONS
    expect(moved, `in peace ${describeShare(baseline)}; under attack ${describeShare(attacked)}; attackers saw ${seen}`).to.be.lessThan(0.2)
    const { reputations } = await (await fetch(`${victim.url}/v1/placements`, { signal: AbortSignal.timeout(5000) })).json() as { reputations: Array<{ peer: string, last: string }> }
    for (const node of attackers.slice(0, 2)) {
      expect(reputations.find((r) => r.peer === node.peerId.toString())?.last, `the victim names the hoarders: ${JSON.stringify(reputations)}`).to.equal('hoarding')
    }
  })

  it('invokes for CIDs nobody has move the victim\'s share by less than 20 points', async function () {
    const attack = invokeUnknown(await connected(provider), victim)
    loops.push(attack)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const attacked = await honestAuctions(honest, victim)
    attack.stop()
    const moved = Math.abs(attacked.won - baseline.won) / AUCTIONS
    expect(moved, `in peace ${describeShare(baseline)}; under attack ${describeShare(attacked)}; attacker saw ${JSON.stringify(attack.seen)}`).to.be.lessThan(0.2)
  })
})
