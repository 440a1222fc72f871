/**
 * Per-peer limits (issue 15, item 4): the buckets' arithmetic on a fake clock, the peer table's
 * hard cap, and the protocols that use them on real libp2p nodes over loopback: a flooding peer
 * is answered BUSY (rpc) or refused (code) unread while another peer of the same node is served.
 */
import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { PeerTable, peerLimiter, TokenBucket } from '../src/limits/index.js'
import { codeNode, stopCodeNodes } from './support/code-nodes.js'
import { rpcNode, stopRpcNodes } from './support/rpc-nodes.js'
import type { PeerId } from '@libp2p/interface'

const PROTOCOL = '/faasmesh/test-limits/1.0.0'

async function outcome (promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (err: any) {
    return err.name
  }
}

describe('per-peer limits', function () {
  describe('token bucket', function () {
    it('starts full, refuses past its capacity and refills at its rate', function () {
      const bucket = new TokenBucket(10, 5, 0)
      for (let i = 0; i < 10; i++) expect(bucket.take(1, 0), `token ${i}`).to.equal(true)
      expect(bucket.take(1, 0)).to.equal(false)
      // 5 per second: one token every 200 ms
      expect(bucket.take(1, 199)).to.equal(false)
      expect(bucket.take(1, 200)).to.equal(true)
      expect(bucket.take(1, 200)).to.equal(false)
      // a long pause fills it to its capacity, not beyond
      expect(bucket.available(60_000)).to.equal(10)
    })

    it('goes into debt by a charge, at most one capacity deep, and is repaid by time', function () {
      const bucket = new TokenBucket(1000, 1000, 0)
      bucket.charge(5000, 0)
      expect(bucket.available(0)).to.equal(-1000)
      expect(bucket.available(1000)).to.equal(0)
      expect(bucket.available(1500)).to.equal(500)
    })

    it('a clock that steps back refills nothing', function () {
      const bucket = new TokenBucket(2, 1, 10_000)
      expect(bucket.take(2, 10_000)).to.equal(true)
      expect(bucket.take(1, 5_000)).to.equal(false)
      expect(bucket.take(1, 10_999)).to.equal(false)
      expect(bucket.take(1, 11_000)).to.equal(true)
    })
  })

  describe('peer table', function () {
    it('holds at most its cap under 100k distinct peers, dropping the least recently used', function () {
      const table = new PeerTable<number>(1000)
      table.get('keep', () => -1)
      let largest = 0
      for (let i = 0; i < 100_000; i++) {
        table.get(`peer-${i}`, () => i)
        // a peer heard from all along stays
        if (i % 500 === 0) table.get('keep', () => -2)
        largest = Math.max(largest, table.size)
      }
      expect(largest).to.equal(1000)
      expect(table.size).to.equal(1000)
      expect(table.peek('keep')).to.equal(-1)
      expect(table.peek('peer-0')).to.equal(undefined)
      expect(table.peek('peer-99999')).to.equal(99_999)
    })
  })

  describe('peer limiter', function () {
    const peer = (id: string): PeerId => ({ toString: () => id }) as unknown as PeerId

    it('limits each peer on its own and tells the hook each refusal', function () {
      let now = 0
      const limited: string[] = []
      const limiter = peerLimiter('auction', { requestsPerSecond: 10, burst: 5, bytesPerSecond: 1_000_000, now: () => now, onLimited: (p, protocol) => { limited.push(`${p.toString()}/${protocol}`) } })
      for (let i = 0; i < 5; i++) expect(limiter.admit(peer('a'), 10)).to.equal(true)
      expect(limiter.admit(peer('a'), 10)).to.equal(false)
      expect(limiter.admit(peer('b'), 10)).to.equal(true)
      expect(limited).to.deep.equal(['a/auction'])
      now = 100
      expect(limiter.admit(peer('a'), 10)).to.equal(true)
    })

    it('refuses a peer in byte debt until its rate has repaid it', function () {
      let now = 0
      const limiter = peerLimiter('code', { requestsPerSecond: 1000, burst: 1000, bytesPerSecond: 1000, now: () => now })
      expect(limiter.admit(peer('a'), 0)).to.equal(true)
      // a module of 1500 bytes served: 500 in debt
      limiter.charge(peer('a'), 1500)
      expect(limiter.admit(peer('a'), 0)).to.equal(false)
      now = 499
      expect(limiter.admit(peer('a'), 0)).to.equal(false)
      now = 501
      expect(limiter.admit(peer('a'), 0)).to.equal(true)
    })
  })

  describe('on the wire', function () {
    afterEach(async function () {
      await stopRpcNodes()
      await stopCodeNodes()
    })

    it('an rpc responder answers BUSY to the flooding peer while another peer is served', async function () {
      const limitedPeers = new Set<string>()
      let handled = 0
      const server = await rpcNode({ protocol: PROTOCOL, timeoutMs: 5000, limits: { requestsPerSecond: 1, burst: 5, onLimited: (p) => { limitedPeers.add(p.toString()) } } })
      server.services.rpc.setHandler(async (body) => { handled++; return body })
      const flooder = await rpcNode({ protocol: PROTOCOL, timeoutMs: 5000 })
      const honest = await rpcNode({ protocol: PROTOCOL, timeoutMs: 5000 })
      await flooder.dial(server.getMultiaddrs()[0]!)
      await honest.dial(server.getMultiaddrs()[0]!)
      const flood = await Promise.all(Array.from({ length: 50 }, async (_, i) => outcome(flooder.services.rpc.request(server.peerId, Uint8Array.of(i)))))
      expect(flood.filter((o) => o === 'ok')).to.have.length.within(5, 6)
      expect(flood.filter((o) => o === 'RpcBusyError')).to.have.length.within(44, 45)
      // the refused ones never reached the handler
      expect(handled).to.equal(flood.filter((o) => o === 'ok').length)
      // the other peer of the same node has its own bucket
      for (let i = 0; i < 5; i++) expect(await honest.services.rpc.request(server.peerId, Uint8Array.of(i))).to.deep.equal(Uint8Array.of(i))
      expect([...limitedPeers]).to.deep.equal([flooder.peerId.toString()])
    })

    it('the code protocol refuses a flooding peer with CodeBusyError while another fetches', async function () {
      const module = new TextEncoder().encode('not really wasm, but bytes with a CID')
      const cid = CID.createV1(0x55, await sha256.digest(module)).toString()
      const server = await codeNode({ limits: { requestsPerSecond: 1, burst: 3 } })
      server.services.code.setLookup(async (wanted) => wanted === cid ? module : undefined)
      const flooder = await codeNode()
      const honest = await codeNode()
      await flooder.dial(server.getMultiaddrs()[0]!)
      await honest.dial(server.getMultiaddrs()[0]!)
      const flood: string[] = []
      for (let i = 0; i < 8; i++) flood.push(await outcome(flooder.services.code.fetch(server.peerId, cid)))
      expect(flood.slice(0, 3)).to.deep.equal(['ok', 'ok', 'ok'])
      expect(flood.slice(4)).to.deep.equal(['CodeBusyError', 'CodeBusyError', 'CodeBusyError', 'CodeBusyError'])
      expect(await honest.services.code.fetch(server.peerId, cid)).to.deep.equal(module)
    })
  })
})
