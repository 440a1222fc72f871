/**
 * Publisher trust with real daemons (DESIGN.md section 12, issue 15 item 3). A runs in allowlist
 * mode trusting B (`trust.publishers` from the environment); B deploys fib, C deploys hello, and
 * B and C run in open mode. C's code is refused at A's gateway (403), declined in C's own
 * auctions and refused when C places an invocation there without a bid, and a bare libp2p peer
 * calling A for bids and invoking with C's record, with B's record forged onto C's CID, with a
 * record signed by another key, with garbage and with none is refused each time: A never
 * fetches C's code (its store and its fetch counter say so) and counts every refusal. B's fib
 * through A is fetched and run there; B in open mode runs C's code as before; `faasmesh trust
 * add|remove` on A's data dir while it runs takes effect at once.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { privateKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p, type Libp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { auction, Bid, type Auction } from '../../protocols/src/auction/index.js'
import { InvokeResponse, invokeProtocol, type Invoke } from '../../protocols/src/invoke/index.js'
import { createNameRecord, NameRecord } from '../../protocols/src/names/index.js'
import { base } from '../../protocols/test/support/nodes.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'
import type { PrivateKey } from '@libp2p/interface'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }
/** A CLI run (a process start, a deploy through the sanitizer) takes seconds on a loaded machine. */
const CLI = { timeoutMs: 60_000 }

type BarePeer = Libp2p<{ auction: Auction, invoke: Invoke }>

async function json<T> (url: string): Promise<T> {
  return await (await fetch(url, { signal: AbortSignal.timeout(5000) })).json() as T
}

/** A counter's value on a node's /metrics, summed over the series whose labels include `labels`. */
async function metric (node: DaemonProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text()
  let sum = 0
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/)
    if (m == null || m[1] !== name) continue
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3])
  }
  return sum
}

async function heldCids (node: DaemonProcess): Promise<string[]> {
  return (await json<{ functions: Array<{ cid: string }> }>(`${node.url}/v1/functions`)).functions.map((f) => f.cid)
}

async function invoke (node: DaemonProcess, target: string, body: string, policy = 'local'): Promise<Response> {
  return await fetch(`${node.url}/v1/invoke/${target}`, { method: 'POST', body, headers: { 'x-faasmesh-policy': policy }, signal: AbortSignal.timeout(20_000) })
}

async function keyOf (dataDir: string): Promise<PrivateKey> {
  return privateKeyFromProtobuf(await readFile(join(dataDir, 'identity.key')))
}

describe('publisher trust: an allowlist node runs only what trusted publishers named', function () {
  this.timeout(240_000)
  const dirs: Array<{ path: string, cleanup(): Promise<void> }> = []
  let a: DaemonProcess
  let b: DaemonProcess
  let c: DaemonProcess
  let aDir: string
  let bKey: PrivateKey
  let cKey: PrivateKey
  let fibCid: string
  let helloCid: string
  let bare: BarePeer | undefined

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    const [bDir, cDir] = [await dir(), await dir()]
    aDir = await dir()
    b = await startDaemon(bDir, [], ENV)
    c = await startDaemon(cDir, ['--bootstrap', b.multiaddr], ENV)
    a = await startDaemon(aDir, ['--bootstrap', b.multiaddr], { ...ENV, FAASMESH_TRUST_MODE: 'allowlist', FAASMESH_TRUST_PUBLISHERS: b.peerId })
    await waitForMesh([a, b, c], 60_000)
    bKey = await keyOf(bDir)
    cKey = await keyOf(cDir)
    const fib = await runCli(['deploy', 'fib', 'build/fib.wasm', '--api', b.url, '--json'], CLI)
    expect(fib.code, fib.stderr).to.equal(0)
    fibCid = JSON.parse(fib.stdout).cid
    const hello = await runCli(['deploy', 'hello', 'build/hello.wasm', '--api', c.url, '--json'], CLI)
    expect(hello.code, hello.stderr).to.equal(0)
    helloCid = JSON.parse(hello.stdout).cid
  })

  after(async function () {
    await bare?.stop()
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('reports its trust mode in /v1/health', async () => {
    expect((await json<{ trust: { mode: string } }>(`${a.url}/v1/health`)).trust).to.deep.equal({ mode: 'allowlist' })
    expect((await json<{ trust: { mode: string } }>(`${b.url}/v1/health`)).trust).to.deep.equal({ mode: 'open' })
  })

  it('refuses C\'s function at its gateway with 403 UntrustedPublisherError, before fetching anything', async () => {
    const before = await metric(a, 'faasmesh_trust_refused_total', { stage: 'gateway' })
    const byCid = await invoke(a, helloCid, 'world')
    expect(byCid.status).to.equal(403)
    expect((await byCid.json()).error.name).to.equal('UntrustedPublisherError')
    // by its publisher's name: the signed record is found in the DHT, and its publisher is not trusted
    let last = ''
    await waitFor(async () => {
      const res = await invoke(a, `${c.peerId}/hello`, 'world')
      last = `${res.status} ${await res.text()}`
      return res.status === 403
    }, 20_000, `C's record reaches A (last answer: ${last})`)
    expect(last).to.include('UntrustedPublisherError')
    expect(await heldCids(a)).to.not.include(helloCid)
    expect(await metric(a, 'faasmesh_trust_refused_total', { stage: 'gateway' })).to.be.at.least(before + 2)
  })

  it('runs B\'s fib through its gateway: fetched from B and run here', async () => {
    let res: Response | undefined
    let last = ''
    await waitFor(async () => {
      res = await invoke(a, `${b.peerId}/fib`, '20')
      last = `${res.status} ${await res.clone().text()}`
      return res.status === 200
    }, 45_000, 'B\'s record reaches A').catch((err) => { throw new Error(`${err.message}; last answer: ${last}`) })
    expect(JSON.parse(await res!.text())).to.deep.equal({ n: 20, fib: 6765 })
    expect(res!.headers.get('x-faasmesh-executor')).to.equal(a.peerId)
    expect(res!.headers.get('x-faasmesh-fetched')).to.equal('true')
    expect(await heldCids(a)).to.include(fibCid)
    // by CID too: the record it resolved the name with vouches for it
    const byCid = await invoke(a, fibCid, '10')
    expect(byCid.status, await byCid.clone().text()).to.equal(200)
  })

  it('declines a bare peer\'s calls for bids and refuses its invocations of C\'s code, whatever record comes with them', async () => {
    bare = await createLibp2p({ ...base, services: { identify: identify(), auction: auction(), invoke: invokeProtocol() } }) as unknown as BarePeer
    await bare.dial(multiaddr(a.multiaddr), { signal: AbortSignal.timeout(5000) })
    const peer = peerIdFromString(a.peerId)
    const cRecord = await createNameRecord(cKey, 'hello', helloCid, Date.now())
    // C signs, and puts B's key in: B's peer id with C's signature
    const otherKey = NameRecord.decode(cRecord)
    otherKey.publicKey = publicKeyToProtobuf(bKey.publicKey) as Uint8Array<ArrayBuffer>
    const records: Record<string, Uint8Array> = {
      'C\'s own record': cRecord,
      'B\'s record forged onto C\'s CID': await createNameRecord(bKey, 'fib', fibCid, Date.now()),
      'a record signed by another key': NameRecord.encode(otherKey),
      garbage: randomBytes(200),
      none: new Uint8Array(0)
    }
    const helloBytes = CID.parse(helloCid).bytes as Uint8Array<ArrayBuffer>
    const fetchesBefore = await metric(a, 'faasmesh_code_fetches_total')
    const bidsBefore = await metric(a, 'faasmesh_trust_refused_total', { stage: 'bid' })
    const invokesBefore = await metric(a, 'faasmesh_trust_refused_total', { stage: 'invoke' })
    for (const [what, nameRecord] of Object.entries(records)) {
      const bid = await bare.services.auction.requestBid(peer, {
        auctionId: randomBytes(8).toString('hex'), cid: helloBytes, inputBytes: 5, deadlineMs: 0, release: [], inputs: [], nameRecord: nameRecord as Uint8Array<ArrayBuffer>
      }, { timeoutMs: 5000 })
      expect([bid.status, bid.reason], `call for bids with ${what}`).to.deep.equal([Bid.Status.DECLINED, Bid.Reason.UNTRUSTED])
      expect(bid.reservation.byteLength).to.equal(0)
      const response = await bare.services.invoke.invoke(peer, {
        cid: helloBytes, input: new TextEncoder().encode('world') as Uint8Array<ArrayBuffer>, deadlineMs: 10_000, reservation: new Uint8Array(0), invocationId: '', inputs: [], keepOutput: false, nameRecord: nameRecord as Uint8Array<ArrayBuffer>, price: 0
      }, { timeoutMs: 12_000 })
      expect(response.status, `invocation with ${what}: ${response.message}`).to.equal(InvokeResponse.Status.UNTRUSTED)
    }
    const n = Object.keys(records).length
    expect(await metric(a, 'faasmesh_trust_refused_total', { stage: 'bid' })).to.equal(bidsBefore + n)
    expect(await metric(a, 'faasmesh_trust_refused_total', { stage: 'invoke' })).to.equal(invokesBefore + n)
    expect(await metric(a, 'faasmesh_code_fetches_total'), 'A asked nobody for code').to.equal(fetchesBefore)
    expect(await heldCids(a)).to.not.include(helloCid)
    // the same peer's call for B's code with B's record gets a bid, and its invocation runs
    const fibBytes = CID.parse(fibCid).bytes as Uint8Array<ArrayBuffer>
    const fibRecord = await createNameRecord(bKey, 'fib', fibCid, Date.now()) as Uint8Array<ArrayBuffer>
    const bid = await bare.services.auction.requestBid(peer, {
      auctionId: randomBytes(8).toString('hex'), cid: fibBytes, inputBytes: 2, deadlineMs: 0, release: [], inputs: [], nameRecord: fibRecord
    }, { timeoutMs: 5000 })
    expect(bid.status).to.equal(Bid.Status.BID)
    const ran = await bare.services.invoke.invoke(peer, {
      cid: fibBytes, input: new TextEncoder().encode('10') as Uint8Array<ArrayBuffer>, deadlineMs: 10_000, reservation: bid.reservation, invocationId: '', inputs: [], keepOutput: false, nameRecord: fibRecord, price: 0
    }, { timeoutMs: 12_000 })
    expect(ran.status, ran.message).to.equal(InvokeResponse.Status.OK)
    expect(JSON.parse(new TextDecoder().decode(ran.output))).to.deep.equal({ n: 10, fib: 55 })
  })

  it('in C\'s own auctions it declines UNTRUSTED, and C holds nothing against it', async () => {
    const before = await metric(a, 'faasmesh_trust_refused_total', { stage: 'bid' })
    let declined: { outcome: string, reason?: string } | undefined
    for (let i = 0; i < 5 && declined == null; i++) {
      const res = await invoke(c, 'hello', 'world', 'auction')
      expect(res.status, await res.clone().text()).to.equal(200)
      expect(res.headers.get('x-faasmesh-executor')).to.not.equal(a.peerId)
      const record = await json<{ bids: Array<{ peer: string, outcome: string, reason?: string }> }>(`${c.url}/v1/placements/${res.headers.get('x-faasmesh-placement-id')}`)
      declined = record.bids.find((bid) => bid.peer === a.peerId)
    }
    expect(declined, 'A was asked to bid').to.not.equal(undefined)
    expect(declined).to.deep.include({ outcome: 'declined', reason: 'untrusted' })
    expect(await metric(a, 'faasmesh_trust_refused_total', { stage: 'bid' })).to.be.above(before)
    // invocations placed there without a bid are refused UNTRUSTED, and passed on elsewhere
    for (let i = 0; i < 4; i++) {
      const res = await invoke(c, 'hello', 'world', 'round-robin')
      expect(res.status, await res.clone().text()).to.equal(200)
      expect(res.headers.get('x-faasmesh-executor')).to.not.equal(a.peerId)
    }
    const { reputations } = await json<{ reputations: Array<{ peer: string, offences: number }> }>(`${c.url}/v1/placements`)
    expect(reputations.find((r) => r.peer === a.peerId)?.offences ?? 0, JSON.stringify(reputations)).to.equal(0)
    expect(await heldCids(a)).to.not.include(helloCid)
  })

  it('B\'s calls carry its record: A bids for and runs new functions of B\'s that it never resolved', async () => {
    // one function for each path, so that a record one path brought never vouches for the other
    const deployed = await Promise.all(['checksum', 'wordcount'].map(async (fn) => runCli(['deploy', fn, `build/${fn}.wasm`, '--api', b.url, '--json'], CLI)))
    for (const d of deployed) expect(d.code, d.stderr).to.equal(0)
    const checksumCid = JSON.parse(deployed[0]!.stdout).cid as string
    // placed there without a bid (round robin): A fetches it from B and runs it
    const executors = new Set<string>()
    for (let i = 0; i < 4 && !executors.has(a.peerId); i++) {
      const res = await invoke(b, 'checksum', 'some bytes', 'round-robin')
      expect(res.status, await res.clone().text()).to.equal(200)
      executors.add(res.headers.get('x-faasmesh-executor') ?? '')
    }
    expect([...executors]).to.include(a.peerId)
    expect(await heldCids(a)).to.include(checksumCid)
    // an auction: A's bid is in B's placement record, not a decline
    let bidByA: { outcome: string, reason?: string } | undefined
    for (let i = 0; i < 5 && bidByA == null; i++) {
      const res = await invoke(b, 'wordcount', 'some words', 'auction')
      expect(res.status, await res.clone().text()).to.equal(200)
      const record = await json<{ bids: Array<{ peer: string, outcome: string, reason?: string }> }>(`${b.url}/v1/placements/${res.headers.get('x-faasmesh-placement-id')}`)
      bidByA = record.bids.find((bid) => bid.peer === a.peerId)
    }
    expect(bidByA, 'A was asked to bid').to.not.equal(undefined)
    expect(bidByA!.outcome, JSON.stringify(bidByA)).to.not.equal('declined')
  })

  it('a chain is code too: its CID and every step\'s function must pass, checked before any step runs', async () => {
    const deploy = async (node: DaemonProcess, name: string, steps: unknown[]): Promise<string> => {
      const res = await fetch(`${node.url}/v1/chains/${name}`, { method: 'POST', body: JSON.stringify({ steps }), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000) })
      expect(res.status, await res.clone().text()).to.equal(201)
      return (await res.json() as { cid: string }).cid
    }
    // A's own chain of B's fib runs
    await deploy(a, 'trusted-chain', [{ id: 'f', fn: `${b.peerId}/fib` }])
    const ok = await invoke(a, 'trusted-chain', '12')
    expect(ok.status, await ok.clone().text()).to.equal(200)
    // A's own chain whose second step is C's: refused whole (403), not failed at that step (502)
    await deploy(a, 'mixed-chain', [{ id: 'f', fn: `${b.peerId}/fib` }, { id: 'h', fn: helloCid, after: ['f'] }])
    const mixed = await invoke(a, 'mixed-chain', '12')
    expect(mixed.status, await mixed.clone().text()).to.equal(403)
    expect((await mixed.json()).error.name).to.equal('UntrustedPublisherError')
    // C's chain, by its CID: the spec itself is not vouched for, and never fetched
    const cChain = await deploy(c, 'c-chain', [{ id: 'h', fn: 'hello' }])
    const theirs = await invoke(a, cChain, 'world')
    expect(theirs.status, await theirs.clone().text()).to.equal(403)
    expect((await json<{ chains: Array<{ cid: string }> }>(`${a.url}/v1/chains`)).chains.map((x) => x.cid)).to.not.include(cChain)
    expect(await heldCids(a)).to.not.include(helloCid)
  })

  it('a node in open mode runs C\'s code as before', async () => {
    const res = await invoke(b, helloCid, 'world')
    expect(res.status, await res.clone().text()).to.equal(200)
    expect(res.headers.get('x-faasmesh-executor')).to.equal(b.peerId)
  })

  it('faasmesh trust add and remove on its data dir take effect while it runs', async () => {
    const added = await runCli(['trust', 'add', c.peerId, '--name', 'carol', '--data-dir', aDir], CLI)
    expect(added.code, added.stderr).to.equal(0)
    const listed = await runCli(['trust', 'list', '--json', '--data-dir', aDir], { ...CLI, env: { FAASMESH_TRUST_PUBLISHERS: b.peerId } })
    expect(JSON.parse(listed.stdout).publishers).to.deep.equal([{ peer: b.peerId, source: 'config' }, { peer: c.peerId, label: 'carol', source: 'cli' }])
    // the first call fetches C's code through the DHT: on a loaded machine that can outlast the resolve timeout once
    let last = ''
    await waitFor(async () => {
      const trusted = await invoke(a, `${c.peerId}/hello`, 'world')
      last = `${trusted.status} ${await trusted.text()}`
      return trusted.status === 200
    }, 45_000, 'C\'s code through A').catch((err) => { throw new Error(`${err.message}; last answer: ${last}`) })
    expect(await heldCids(a)).to.include(helloCid)
    const removed = await runCli(['trust', 'remove', c.peerId, '--data-dir', aDir], CLI)
    expect(removed.code, removed.stderr).to.equal(0)
    const refused = await invoke(a, `${c.peerId}/hello`, 'world')
    expect(refused.status).to.equal(403)
  })
})
