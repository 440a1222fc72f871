/**
 * Hostile modules and a hostile peer against real daemon processes (issue 11): nothing a
 * stranger sends ends a daemon. Node 0 runs with the defaults; node 1's owner lifted the table
 * bound to V8's own maximum, so on node 1 only the process isolation stands between the table
 * bomb and the daemon. After every attack, health answers and honest invocations run.
 */
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { auction, Bid } from '../../protocols/src/auction/index.js'
import { codeTransfer } from '../../protocols/src/code/index.js'
import { invokeProtocol, InvokeResponse } from '../../protocols/src/invoke/index.js'
import { base } from '../../protocols/test/support/nodes.js'
import { DHT_PROTOCOL } from '../src/node/index.js'
import { cidOf } from '../src/store/index.js'
import { hostileModule, manyFunctions } from './support/hostile-modules.js'
import { tempDir, wasm } from './support/paths.js'
import { killAll, startDaemon, type DaemonProcess, waitForMesh } from './support/processes.js'
import { treeRssMiB } from './support/rss.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }
/** V8's own table limit: node 1 admits any table V8 would. */
const LIFTED = { ...ENV, FAASMESH_EXECUTOR_MAX_TABLE_ENTRIES: '10000000' }
/** 10 M funcrefs: at least 80 MB of JS heap in one piece, over a sandbox's 64 MiB; V8 aborts. */
const TABLE_BOMB = hostileModule({ tables: [{ initial: 10_000_000 }] })

async function post (d: DaemonProcess, path: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<{ status: number, json: any }> {
  const res = await fetch(`${d.url}${path}`, { method: 'POST', body: body as BodyInit, headers, signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  let json: any
  try { json = JSON.parse(text) } catch { json = text }
  return { status: res.status, json }
}

/** Health answers and an honest function runs on the node. */
async function expectServing (d: DaemonProcess, label: string): Promise<void> {
  expect(d.proc.exitCode, `${label} exited: ${d.output().slice(-2000)}`).to.equal(null)
  expect((await fetch(`${d.url}/v1/health`, { signal: AbortSignal.timeout(5000) })).status, `${label} health`).to.equal(200)
  const res = await post(d, '/v1/invoke/hello', 'after', { 'x-faasmesh-policy': 'local' })
  expect(res, `${label} runs hello`).to.deep.equal({ status: 200, json: 'Hello, after!' })
}

describe('hostile modules and peers (daemon processes)', function () {
  this.timeout(180_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  const nodes: DaemonProcess[] = []

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    nodes.push(await startDaemon(await dir(), [], ENV))
    nodes.push(await startDaemon(await dir(), ['--bootstrap', nodes[0]!.multiaddr], LIFTED))
    await waitForMesh(nodes)
    for (const n of nodes) expect((await post(n, '/v1/functions/hello', wasm('hello'))).status).to.equal(201)
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('refuses the 128-byte table bomb at deploy on a default node, naming the limit', async function () {
    const res = await post(nodes[0]!, '/v1/functions/bomb', wasm('hostile/table-bomb'))
    expect(res.status).to.equal(400)
    expect(res.json.error.name).to.equal('InvalidModuleError')
    expect(res.json.error.message).to.include('executor.maxTableEntries')
    await expectServing(nodes[0]!, 'node 0')
  })

  it('on a node with the bound lifted, the bomb deploys but every invocation is a 422 OutOfMemoryError, and the daemon lives', async function () {
    const lifted = nodes[1]!
    expect((await post(lifted, '/v1/functions/bomb', TABLE_BOMB)).status).to.equal(201)
    for (let i = 0; i < 3; i++) {
      const res = await post(lifted, '/v1/invoke/bomb', '', { 'x-faasmesh-policy': 'local' })
      expect(res.status, JSON.stringify(res.json)).to.equal(422)
      expect(res.json.error.name).to.equal('OutOfMemoryError')
    }
    await expectServing(lifted, 'node 1')
    // the cascade: one invoke with policy random killed the entry node and its target
    const cid = await cidOf(TABLE_BOMB)
    for (let i = 0; i < 4; i++) {
      const res = await post(nodes[i % 2]!, `/v1/invoke/${cid}`, '', { 'x-faasmesh-policy': 'random' })
      // run on node 1 (the sandbox dies), or refused by node 0's sanitizer (404 when no node it
      // tried could get runnable code)
      expect(res.status, JSON.stringify(res.json)).to.be.oneOf([400, 404, 422])
      expect(res.json.error.name).to.be.oneOf(['OutOfMemoryError', 'InvalidModuleError', 'FunctionNotFoundError'])
    }
    for (const [i, n] of nodes.entries()) await expectServing(n, `node ${i}`)
  })

  it('a bare libp2p peer that provides the bomb, serves it and places it with a won bid ends no node', async function () {
    // not the bomb deployed above: bytes no node has, so each must fetch them from the attacker
    const bomb = hostileModule({ tables: [{ initial: 9_999_999 }] })
    const cid = CID.parse(await cidOf(bomb))
    const attacker = await createLibp2p({
      ...base,
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper }),
        code: codeTransfer(),
        auction: auction(),
        invoke: invokeProtocol()
      }
    })
    try {
      attacker.services.code.setLookup(async (wanted) => wanted === cid.toString() ? bomb : undefined)
      for (const n of nodes) await attacker.dial(multiaddr(n.multiaddr), { signal: AbortSignal.timeout(5000) })
      await attacker.contentRouting.provide(cid, { signal: AbortSignal.timeout(10_000) }).catch(() => {})
      const outcomes: string[] = []
      for (const [i, n] of nodes.entries()) {
        const peer = peerIdFromString(n.peerId)
        for (let round = 0; round < 2; round++) {
          const bid = await attacker.services.auction.requestBid(peer, { auctionId: `a${i}${round}`, cid: cid.bytes, inputBytes: 0, deadlineMs: 20_000, release: [], inputs: [], nameRecord: new Uint8Array(0) }, { timeoutMs: 5000 })
          const response = await attacker.services.invoke.invoke(peer, {
            cid: cid.bytes,
            input: new Uint8Array(0),
            deadlineMs: 20_000,
            reservation: bid.status === Bid.Status.BID ? bid.reservation : new Uint8Array(0),
            invocationId: '',
            inputs: [],
            keepOutput: false,
            nameRecord: new Uint8Array(0),
            price: 0
          }, { timeoutMs: 30_000 })
          outcomes.push(`node ${i}: ${response.status}`)
          expect(response.status, `node ${i}: ${response.message}`).to.not.equal(InvokeResponse.Status.OK)
        }
      }
      // the lifted node fetched, sanitized and ran it, in a sandbox that V8 ended; the default node refused it
      expect(outcomes, outcomes.join(', ')).to.include(`node 1: ${InvokeResponse.Status.OUT_OF_MEMORY}`)
      for (const [i, n] of nodes.entries()) await expectServing(n, `node ${i}`)
    } finally {
      await attacker.stop()
    }
  })

  it('refuses the 950,000-function module within 10 s with memory given back, while honest deploys succeed', async function () {
    const node = nodes[0]!
    const pid = node.proc.pid!
    const start = treeRssMiB(pid)
    const started = Date.now()
    const [hostile, ...honest] = await Promise.all([
      post(node, '/v1/functions/many', manyFunctions(950_000)),
      ...[1, 2, 3].map(async (i) => post(node, `/v1/functions/honest-${i}`, wasm('fib')))
    ])
    const ms = Date.now() - started
    expect(hostile.status, JSON.stringify(hostile.json)).to.equal(400)
    expect(hostile.json.error.name).to.equal('InvalidModuleError')
    expect(ms, 'refused within 10 s').to.be.lessThan(10_000)
    for (const h of honest) expect(h.status, JSON.stringify(h.json)).to.equal(201)
    const after = treeRssMiB(pid)
    expect(after - start, `RSS of the daemon and its children: ${start.toFixed(0)} -> ${after.toFixed(0)} MiB`).to.be.lessThan(100)
    await expectServing(node, 'node 0')
  })
})
