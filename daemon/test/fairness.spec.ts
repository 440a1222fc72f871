/**
 * The daemon's fairness policy (issue 15, item 4): fair queueing between sources, the cap on
 * invocations per peer, and what limited requests cost a peer (a metric, one reputation penalty
 * per window, a ban when it is far over its limits).
 */
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { Registry } from 'prom-client'
import { WorkerPool } from '../src/executor/pool.js'
import { FairQueue, fairness, PeerInvocations, refusingGater } from '../src/fairness/index.js'
import type { PeerId } from '@libp2p/interface'

const peer = (id: string): PeerId => ({ toString: () => id }) as unknown as PeerId

describe('fairness', function () {
  describe('fair queue', function () {
    it('serves another source\'s call within one turn of a peer with a backlog of 50', function () {
      const queue = new FairQueue<string>()
      for (let i = 0; i < 50; i++) queue.push('flooder', `f${i}`)
      queue.push('local', 'mine')
      const order: string[] = []
      while (queue.length > 0) order.push(queue.shift() as string)
      expect(order.indexOf('mine')).to.be.at.most(1)
      // FIFO within a source
      expect(order.filter((o) => o !== 'mine')).to.deep.equal(Array.from({ length: 50 }, (_, i) => `f${i}`))
    })

    it('takes turns between sources, and forgets a caller that gave up', function () {
      const queue = new FairQueue<string>()
      for (const item of ['a1', 'a2', 'a3']) queue.push('a', item)
      for (const item of ['b1', 'b2']) queue.push('b', item)
      queue.push('c', 'c1')
      expect(queue.remove('b', 'b1')).to.equal(true)
      expect(queue.remove('b', 'nope')).to.equal(false)
      const order: string[] = []
      while (queue.length > 0) order.push(queue.shift() as string)
      expect(order).to.deep.equal(['a1', 'b2', 'c1', 'a2', 'a3'])
      expect(queue.shift()).to.equal(undefined)
    })
  })

  describe('executor pool', function () {
    it('serves the node\'s own call within one turn of a peer that queued 50', async function () {
      const pool = new WorkerPool<{ tag: string }, { tag: string }>({ channel: { url: new URL('./support/echo-child.js', import.meta.url) }, slots: 1, spares: 0, maxQueue: 100 })
      await pool.start()
      try {
        const done: string[] = []
        const call = async (tag: string, source?: string): Promise<void> => {
          const res = await pool.run(() => ({ tag }), { source, timeoutMs: 10_000 })
          done.push(res.tag)
        }
        const calls = Array.from({ length: 50 }, async (_, i) => call(`f${i}`, 'flooder'))
        calls.push(call('mine'))
        await Promise.all(calls)
        // f0 took the slot at once; the rest queued: ours comes after at most one more of theirs
        expect(done.indexOf('mine'), done.join(' ')).to.be.at.most(2)
        expect(done.filter((d) => d !== 'mine')).to.deep.equal(Array.from({ length: 50 }, (_, i) => `f${i}`))
      } finally {
        await pool.stop()
      }
    })
  })

  describe('invocations per peer', function () {
    it('refuses beyond the cap unless forced, and releases once', function () {
      const cap = new PeerInvocations(2)
      const r1 = cap.acquire('a')
      const r2 = cap.acquire('a')
      expect(cap.acquire('a')).to.equal(undefined)
      expect(cap.acquire('b')).to.be.a('function')
      const forced = cap.acquire('a', true)
      expect(cap.running('a')).to.equal(3)
      r1?.(); r1?.(); forced?.()
      expect(cap.running('a')).to.equal(1)
      expect(cap.acquire('a')).to.be.a('function')
      r2?.()
    })
  })

  describe('policy', function () {
    it('counts by peer and protocol, penalises once per window, bans far over the limits and refuses the banned peer', async function () {
      let now = 1_000_000
      const registry = new Registry()
      const penalised: string[] = []
      const hungUp: string[] = []
      const fair = fairness({ banMs: 60_000, banAfter: 100, windowMs: 10_000, now: () => now })({
        logger: defaultLogger(),
        registry,
        hangUp: async (p) => { hungUp.push(p) },
        penalise: (p) => { penalised.push(p) }
      })
      for (let i = 0; i < 99; i++) fair.limits.onLimited?.(peer('flooder'), 'auction')
      fair.limited('honest', 'invoke')
      expect(penalised).to.deep.equal(['flooder', 'honest'])
      expect(fair.isBanned('flooder')).to.equal(false)
      // a new window: counting starts again, and a penalty is due again
      now += 10_000
      for (let i = 0; i < 99; i++) fair.limited('flooder', 'auction')
      expect(fair.isBanned('flooder')).to.equal(false)
      expect(penalised).to.deep.equal(['flooder', 'honest', 'flooder'])
      fair.limited('flooder', 'code')
      expect(fair.isBanned('flooder')).to.equal(true)
      expect(hungUp).to.deep.equal(['flooder'])
      expect(fair.bans()).to.deep.equal([{ peer: 'flooder', since: now, until: now + 60_000, protocol: 'code', hosts: [] }])
      // the gater refuses it, and only it
      const gater = refusingGater({ isBlocked: (p) => fair.isBanned(p) })
      expect(await gater?.denyInboundEncryptedConnection?.(peer('flooder'), {} as any)).to.equal(true)
      expect(await gater?.denyDialPeer?.(peer('honest'))).to.equal(false)
      // what still arrives from it is counted and nothing more
      fair.limited('flooder', 'auction')
      expect(hungUp).to.have.length(1)
      expect(penalised).to.have.length(3)
      const metric = await registry.getSingleMetric('faasmesh_peer_limited_total')?.get()
      const count = (p: string, protocol: string): number => metric?.values.find((v) => v.labels.peer === p && v.labels.protocol === protocol)?.value ?? 0
      expect(count('flooder', 'auction')).to.equal(199)
      expect(count('flooder', 'code')).to.equal(1)
      expect(count('honest', 'invoke')).to.equal(1)
      // the ban ends
      now += 60_000
      expect(fair.isBanned('flooder')).to.equal(false)
      expect(fair.bans()).to.deep.equal([])
    })

    it('throttles new handshakes from a banned peer\'s address before they start, and only while it is banned', async function () {
      let now = 5_000_000
      const fair = fairness({ banMs: 60_000, banAfter: 3, bannedHostHandshakesPerSecond: 2, now: () => now })({
        logger: defaultLogger(),
        hangUp: async () => {},
        penalise: () => {},
        hostsOf: (p) => p === 'flooder' ? ['10.0.0.9', '10.0.0.9'] : []
      })
      const gater = refusingGater({ isBlocked: (p) => fair.isBanned(p), admitsHandshake: (h) => fair.admitsHandshake(h) })
      const dial = async (host: string): Promise<boolean | undefined> => gater?.denyInboundConnection?.({ remoteAddr: multiaddr(`/ip4/${host}/tcp/4001`) } as any)
      // before any ban, a dial flood from that address is not this module's business
      for (let i = 0; i < 10; i++) expect(await dial('10.0.0.9')).to.equal(false)
      for (let i = 0; i < 3; i++) fair.limited('flooder', 'auction')
      expect(fair.bans()[0]?.hosts).to.deep.equal(['10.0.0.9'])
      // banned: two handshakes a second from its address, the rest refused before noise starts
      const refused = []
      for (let i = 0; i < 10; i++) refused.push(await dial('10.0.0.9'))
      expect(refused.filter((r) => r === false)).to.have.length(2)
      expect(await dial('10.0.0.10'), 'another address').to.equal(false)
      now += 1000
      expect(await dial('10.0.0.9'), 'a second later').to.equal(false)
      // the ban over, the address is free again
      now += 60_000
      for (let i = 0; i < 10; i++) expect(await dial('10.0.0.9')).to.equal(false)
    })

    it('banMs 0 never bans', function () {
      const fair = fairness({ banMs: 0, banAfter: 2 })({ logger: defaultLogger(), hangUp: async () => {}, penalise: () => {} })
      for (let i = 0; i < 10; i++) fair.limited('flooder', 'auction')
      expect(fair.isBanned('flooder')).to.equal(false)
    })
  })
})
