/**
 * Receipts across daemon processes (DESIGN.md section 12): every remote invocation an entry node
 * places yields exactly one verified receipt in its ledger, signed by the node that ran it and
 * carrying the price the entry node paid, and that node's ledger holds the same receipt from its
 * side. A bare libp2p peer that wins a bid and answers with a forged receipt is caught: counted
 * invalid, penalised (bad-receipt) and banned, while its answer still reaches the caller.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p, type Libp2p } from 'libp2p'
import { capacityAdverts, gossipScoreParams, type CapacityAdverts } from '../../protocols/src/adverts/index.js'
import { auction, Bid, type Auction } from '../../protocols/src/auction/index.js'
import { invokeProtocol, InvokeResponse, type Invoke } from '../../protocols/src/invoke/index.js'
import { inputDigest, sha256, signReceipt, statusCode } from '../../protocols/src/receipts/index.js'
import { tempDir, wasm } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess, waitForMesh } from './support/processes.js'
import { waitFor } from './support/wait.js'
import type { LedgerEntry, PeerTally } from '../src/ledger/index.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }

interface Answer { status: number, body: string, executor: string, invocationId: string }

async function invoke (d: DaemonProcess, input: string, headers: Record<string, string> = {}, fn = 'hello'): Promise<Answer> {
  const res = await fetch(`${d.url}/v1/invoke/${fn}`, { method: 'POST', body: input, headers, signal: AbortSignal.timeout(30_000) })
  return { status: res.status, body: await res.text(), executor: res.headers.get('x-faasmesh-executor') ?? '', invocationId: res.headers.get('x-faasmesh-invocation-id') ?? '' }
}

async function receipts (d: DaemonProcess, query = ''): Promise<LedgerEntry[]> {
  const res = await fetch(`${d.url}/v1/receipts?limit=1000${query}`, { signal: AbortSignal.timeout(5000) })
  expect(res.status).to.equal(200)
  return ((await res.json()) as { receipts: LedgerEntry[] }).receipts
}

async function metric (d: DaemonProcess, pattern: RegExp): Promise<number> {
  return Number(pattern.exec(await (await fetch(`${d.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text())?.[1] ?? 0)
}

type ForgerNode = Libp2p<{ adverts: CapacityAdverts, auction: Auction, invoke: Invoke }>

/**
 * A bare libp2p peer posing as an executor: it advertises plenty of room, bids the best bid
 * possible, answers every invocation OK with what hello would say, and signs its receipt with
 * a key that is not its own (a receipt it could hand out on behalf of any work at all). What it
 * answers is its own business: the caller gets it, as it would get any executor's.
 */
async function forger (): Promise<ForgerNode> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', floodPublish: true, scoreParams: gossipScoreParams() }),
      adverts: capacityAdverts({ intervalMs: 500 }),
      auction: auction(),
      invoke: invokeProtocol()
    }
  }) as unknown as ForgerNode
  const otherKey = await generateKeyPair('Ed25519')
  node.services.adverts.setSource(() => ({
    slotsTotal: 64, slotsFree: 64, queueLength: 0, speed: 50, memoryFreeBytes: 2 ** 34, warmCids: [], tags: [], multiaddrs: [], httpAddrs: []
  }))
  node.services.auction.setBidder(async (call) => ({
    status: Bid.Status.BID, auctionId: call.auctionId, estimatedMs: 0, price: 0, reservation: new Uint8Array(16).fill(1), reservationTtlMs: 60_000, code: Bid.Code.WARM, reason: Bid.Reason.NONE
  }))
  node.services.invoke.setHandler(async (request, { peer }) => {
    const output = new TextEncoder().encode(JSON.stringify({ forged: new TextDecoder().decode(request.input) }))
    // every field as an honest executor would fill it, naming itself: only the key is wrong
    const receipt = await signReceipt(otherKey, {
      invocationId: request.invocationId,
      cid: request.cid,
      inputSha256: inputDigest(request),
      outputSha256: sha256(output),
      fuel: 1000,
      durationUs: 100,
      price: request.price,
      executor: node.peerId.toMultihash().bytes,
      auctioneer: peer.toMultihash().bytes,
      timestamp: Date.now(),
      status: statusCode(InvokeResponse.Status.OK)
    })
    return { status: InvokeResponse.Status.OK, output, durationUs: 100, fuel: 1000, cold: false, fetched: false, message: '', stateVersion: 0, stateBytes: 0, clientState: new Uint8Array(0), outputBytes: 0, inputBytesMoved: 0, logs: [], receipt }
  })
  expect(peerIdFromPrivateKey(otherKey).equals(node.peerId)).to.equal(false)
  return node
}

describe('receipts across daemon processes', function () {
  this.timeout(180_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  const nodes: DaemonProcess[] = []
  let bad: ForgerNode | undefined

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    nodes.push(await startDaemon(await dir(), ['--slots', '1'], ENV))
    const boot = ['--bootstrap', nodes[0]!.multiaddr]
    nodes.push(...await Promise.all([['--slots', '2'], ['--slots', '2']].map(async (args) => startDaemon(await dir(), [...boot, ...args], ENV))))
    await waitForMesh(nodes, 45_000)
    for (const n of nodes) {
      for (const fn of ['hello', 'fib', 'wordcount', 'checksum']) {
        const res = await fetch(`${n.url}/v1/functions/${fn}`, { method: 'POST', body: wasm(fn) as BodyInit, signal: AbortSignal.timeout(30_000) })
        expect(res.status).to.equal(201)
      }
    }
  })

  after(async function () {
    await bad?.stop()
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('every remote invocation yields one verified receipt at the entry node, and the executor keeps its side', async function () {
    const entry = nodes[0]!
    const answers: Array<Answer & { policy: string }> = []
    // round robin visits every node in turn (no auction: price 0); auctions pay the second price
    for (let i = 0; i < 9; i++) answers.push({ ...await invoke(entry, `rr${i}`, { 'x-faasmesh-policy': 'round-robin' }), policy: 'round-robin' })
    for (let i = 0; i < 12; i++) answers.push({ ...await invoke(entry, `au${i}`, { 'x-faasmesh-policy': 'auction' }), policy: 'auction' })
    for (const a of answers) expect(a.status, a.body).to.equal(200)
    const remote = answers.filter((a) => a.executor !== entry.peerId)
    expect(remote.length, 'round robin sends two in three elsewhere').to.be.at.least(6)

    const mine = (await receipts(entry)).filter((r) => r.role === 'auctioneer')
    expect(mine.map((r) => r.invocationId).sort()).to.deep.equal(remote.map((a) => a.invocationId).sort())
    for (const a of remote) {
      const r = mine.find((m) => m.invocationId === a.invocationId)!
      expect(r.peer, a.invocationId).to.equal(a.executor)
      expect(r.executor).to.equal(a.executor)
      expect(r.auctioneer).to.equal(entry.peerId)
      expect(r.status).to.equal('OK')
      expect(r.body.length).to.be.greaterThan(0)
      expect(r.signature.length).to.be.greaterThan(0)
      if (a.policy === 'round-robin') expect(r.price, 'no auction, no price').to.equal(0)
    }
    expect(await metric(entry, /faasmesh_receipts_total\{result="verified"\} (\d+)/)).to.equal(remote.length)
    expect(await metric(entry, /faasmesh_receipts_total\{result="invalid"\} (\d+)/)).to.equal(0)
    expect(await metric(entry, /faasmesh_receipts_total\{result="missing"\} (\d+)/)).to.equal(0)

    // each executor signed and kept exactly what it ran for the entry node, byte for byte the same receipts
    for (const n of nodes.slice(1)) {
      const theirs = (await receipts(n, `&peer=${entry.peerId}`)).filter((r) => r.role === 'executor')
      const ran = remote.filter((a) => a.executor === n.peerId)
      expect(theirs.map((r) => r.invocationId).sort()).to.deep.equal(ran.map((a) => a.invocationId).sort())
      for (const r of theirs) {
        const same = mine.find((m) => m.invocationId === r.invocationId)!
        expect([r.body, r.signature]).to.deep.equal([same.body, same.signature])
      }
    }

    const { peers } = await (await fetch(`${entry.url}/v1/ledger`, { signal: AbortSignal.timeout(5000) })).json() as { peers: PeerTally[] }
    expect(peers.reduce((n, t) => n + t.ranForUs.invocations, 0)).to.equal(remote.length)
    const cli = await runCli(['ledger', '--api', entry.url])
    expect(cli.code, cli.stderr).to.equal(0)
    expect(cli.stdout).to.match(/PEER\s+RAN FOR US/)
    const listed = await runCli(['receipts', '--api', entry.url, '--json', '--since', '0'])
    expect(listed.code, listed.stderr).to.equal(0)
    expect((JSON.parse(listed.stdout) as LedgerEntry[]).length).to.equal(mine.length + (await receipts(entry)).filter((r) => r.role === 'executor').length)
  })

  it('chain steps run elsewhere get verified receipts too: kept outputs and input references', async function () {
    const entry = nodes[0]!
    const spec = { steps: [{ id: 's1', fn: 'wordcount' }, { id: 's2', fn: 'checksum', after: ['s1'] }] }
    const deployed = await fetch(`${entry.url}/v1/chains/pair`, { method: 'POST', body: JSON.stringify(spec), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(20_000) })
    expect(deployed.status).to.equal(201)
    const before = await metric(entry, /faasmesh_receipts_total\{result="verified"\} (\d+)/)
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${entry.url}/v1/invoke/pair`, { method: 'POST', body: `the quick brown fox ${i}`, headers: { 'x-faasmesh-policy': 'round-robin' }, signal: AbortSignal.timeout(30_000) })
      expect(res.status, await res.clone().text()).to.equal(200)
      await res.arrayBuffer()
    }
    // round robin puts most steps on the other two nodes: the first step's output stays there (keep_output), the second names it
    expect(await metric(entry, /faasmesh_receipts_total\{result="verified"\} (\d+)/)).to.be.greaterThan(before)
    expect(await metric(entry, /faasmesh_receipts_total\{result="invalid"\} (\d+)/)).to.equal(0)
    expect(await metric(entry, /faasmesh_receipts_total\{result="missing"\} (\d+)/)).to.equal(0)
  })

  it('a bare peer that wins a bid and answers with a forged receipt is counted invalid and banned, its answer still used', async function () {
    const entry = nodes[0]!
    bad = await forger()
    await bad.dial(multiaddr(entry.multiaddr), { signal: AbortSignal.timeout(5000) })
    await waitFor(async () => {
      const { peers } = await (await fetch(`${entry.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json() as { peers: Array<{ peerId: string }> }
      return peers.some((p) => p.peerId === bad!.peerId.toString())
    }, 15_000, 'the forger in the capacity view')
    let forged: Answer | undefined
    // fib(32) runs for tens of ms on an honest node: the forger's instant bid beats every honest one
    for (let i = 0; i < 20 && forged == null; i++) {
      const answer = await invoke(entry, '32', { 'x-faasmesh-policy': 'auction' }, 'fib')
      expect(answer.status, answer.body).to.equal(200)
      if (answer.executor === bad.peerId.toString()) forged = answer
    }
    if (forged == null) {
      const { placements } = await (await fetch(`${entry.url}/v1/placements`, { signal: AbortSignal.timeout(5000) })).json() as { placements: unknown[] }
      expect.fail(`the forger never answered: ${JSON.stringify(placements.slice(0, 3))}`)
    }
    expect(JSON.parse(forged.body)).to.deep.equal({ forged: '32' })
    expect(await metric(entry, /faasmesh_receipts_total\{result="invalid"\} (\d+)/)).to.be.greaterThan(0)
    const { reputations } = await (await fetch(`${entry.url}/v1/placements`, { signal: AbortSignal.timeout(5000) })).json() as { reputations: Array<{ peer: string, last: string, excluded: boolean }> }
    expect(reputations.find((r) => r.peer === bad!.peerId.toString())).to.deep.include({ last: 'bad-receipt', excluded: true })
    // nothing of it in the ledger: only verified receipts are kept
    expect((await receipts(entry, `&peer=${bad.peerId.toString()}`))).to.have.length(0)
    // banned: the next invocations go elsewhere
    for (let i = 0; i < 3; i++) expect((await invoke(entry, '32', { 'x-faasmesh-policy': 'auction' }, 'fib')).executor).to.not.equal(bad.peerId.toString())
  })
})
