import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { ADVERTS_TOPIC, CapacityAdvert, capacityAdverts, gossipScoreParams, MAX_ADVERT_BYTES, validateAdvert, type AdvertFields, type RejectReason } from '../src/adverts/index.js'
import { advertNode, bareNode, base, connect, stopAll, type AdvertNode } from './support/nodes.js'
import { waitFor } from './support/wait.js'

const CID_BYTES = CID.parse('bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u').bytes

function fields (node: AdvertNode, extra: Partial<AdvertFields> = {}): AdvertFields {
  return {
    slotsTotal: 4,
    slotsFree: 3,
    queueLength: 0,
    speed: 1.5,
    memoryFreeBytes: 1 << 30,
    warmCids: [CID_BYTES],
    tags: [{ key: 'region', value: 'eu' }],
    multiaddrs: node.getMultiaddrs().map((m) => m.bytes),
    httpAddrs: ['http://127.0.0.1:8787'],
    ...extra
  }
}

describe('capacity adverts', function () {
  this.timeout(30_000)

  afterEach(async function () {
    await stopAll()
  })

  it('every node learns every other node\'s advert, relayed through a hub', async function () {
    const [hub, a, b] = await Promise.all([advertNode({ intervalMs: 200 }), advertNode({ intervalMs: 200 }), advertNode({ intervalMs: 200 })])
    for (const n of [hub, a, b]) n.services.adverts.setSource(() => fields(n))
    await connect(a, hub)
    await connect(b, hub)
    await waitFor(() => [hub, a, b].every((n) => n.services.adverts.peers().length === 2), 10_000, 'full views')
    const entry = a.services.adverts.peers().find((p) => p.peerId.equals(b.peerId))!
    expect(entry.advert).to.deep.include({ slotsTotal: 4, slotsFree: 3, speed: 1.5, httpAddrs: ['http://127.0.0.1:8787'] })
    expect(entry.advert.tags).to.deep.equal([{ key: 'region', value: 'eu' }])
    expect(multiaddr(entry.advert.multiaddrs[0]!).toString()).to.include(b.peerId.toString())
  })

  it('reaches every node of a 14-node mesh on one host (past gossipsub\'s IP-colocation threshold)', async function () {
    const nodes = await Promise.all(Array.from({ length: 14 }, async () => advertNode({ intervalMs: 300 })))
    for (const n of nodes) n.services.adverts.setSource(() => fields(n))
    for (const n of nodes.slice(1)) await connect(n, nodes[0]!)
    await waitFor(() => nodes.every((n) => n.services.adverts.peers().length === 13), 20_000, 'full views in a 14-node mesh')
  })

  it('publishes promptly on change, long before the next periodic advert', async function () {
    const [a, b] = await Promise.all([advertNode({ intervalMs: 300 }), advertNode({ intervalMs: 300 })])
    let free = 3
    a.services.adverts.setSource(() => fields(a, { slotsFree: free }))
    b.services.adverts.setSource(() => fields(b))
    await connect(a, b)
    await waitFor(() => b.services.adverts.peers().length === 1, 10_000, 'first advert')
    // from now on the periodic adverts are far apart: only publishSoon can deliver in time
    ;(a.services.adverts as any).intervalMs = 60_000
    clearInterval((a.services.adverts as any).publishTimer)
    free = 0
    const t0 = Date.now()
    a.services.adverts.publishSoon()
    await waitFor(() => b.services.adverts.peers()[0]?.advert.slotsFree === 0, 3000, 'prompt advert')
    expect(Date.now() - t0).to.be.lessThan(2000)
  })

  it('drops a peer that disconnects, and one that stops advertising once the TTL passes', async function () {
    const [a, b, c] = await Promise.all([advertNode({ intervalMs: 200 }), advertNode({ intervalMs: 200 }), advertNode({ intervalMs: 200 })])
    let cAlive = true
    a.services.adverts.setSource(() => fields(a))
    b.services.adverts.setSource(() => fields(b))
    c.services.adverts.setSource(() => { if (!cAlive) throw new Error('silent'); return fields(c) })
    await connect(a, b)
    await connect(a, c)
    await waitFor(() => a.services.adverts.peers().length === 2, 10_000, 'both peers')
    const left: string[] = []
    a.services.adverts.addEventListener('peer:leave', (evt) => { left.push(`${evt.detail.peerId.toString()}:${evt.detail.reason}`) })

    await b.stop()
    await waitFor(() => left.includes(`${b.peerId.toString()}:disconnected`), 5000, 'disconnect')

    cAlive = false
    const ttl = a.services.adverts.ttlMs
    const t0 = Date.now()
    await waitFor(() => left.includes(`${c.peerId.toString()}:expired`), ttl + 2000, 'expiry')
    expect(Date.now() - t0).to.be.lessThan(ttl + 1000)
    expect(a.services.adverts.peers()).to.deep.equal([])
  })

  describe('a hostile peer on the topic', function () {
    let victim: AdvertNode
    let honest: AdvertNode
    const rejected: RejectReason[] = []

    type Payload = (attackerAddrs: Array<Uint8Array<ArrayBuffer>>) => Uint8Array

    /** Publishes each payload from a fresh attacker node; returns the attacker's peer id. */
    async function attack (payloads: Payload[], reasons: RejectReason[], attackerMayBeInView = false): Promise<string> {
      const attacker = await bareNode()
      attacker.services.pubsub.subscribe(ADVERTS_TOPIC)
      await connect(attacker, victim)
      await waitFor(() => attacker.services.pubsub.getSubscribers(ADVERTS_TOPIC).some((p) => p.equals(victim.peerId)), 10_000, 'victim subscription')
      const addrs = attacker.getMultiaddrs().map((m) => m.bytes as Uint8Array<ArrayBuffer>)
      for (const make of payloads) await attacker.services.pubsub.publish(ADVERTS_TOPIC, make(addrs))
      await waitFor(() => reasons.every((r) => rejected.includes(r)), 5000, `rejections ${reasons.join(', ')}`)
      // the honest peer's entry is untouched
      const honestEntry = victim.services.adverts.peers().find((p) => p.peerId.equals(honest.peerId))
      expect(honestEntry?.advert.slotsTotal).to.equal(4)
      if (!attackerMayBeInView) expect(victim.services.adverts.peers()).to.have.length(1)
      return attacker.peerId.toString()
    }

    const advert = (extra: Partial<CapacityAdvert> = {}): CapacityAdvert => ({
      seq: Date.now() * 1000, timestamp: Date.now(), slotsTotal: 2, slotsFree: 1, queueLength: 0, speed: 1, memoryFreeBytes: 1,
      warmCids: [], tags: [], multiaddrs: [], httpAddrs: [], ...extra
    })

    beforeEach(async function () {
      rejected.length = 0
      ;[victim, honest] = await Promise.all([advertNode({ intervalMs: 200 }), advertNode({ intervalMs: 200 })])
      victim.services.adverts.setSource(() => fields(victim))
      honest.services.adverts.setSource(() => fields(honest))
      victim.services.adverts.addEventListener('advert:rejected', (evt) => { rejected.push(evt.detail.reason) })
      await connect(honest, victim)
      await waitFor(() => victim.services.adverts.peers().length === 1, 10_000, 'honest peer')
    })

    it('garbage and oversized payloads are rejected and counted', async function () {
      await attack([
        () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]),
        () => new Uint8Array(MAX_ADVERT_BYTES + 1).fill(7)
      ], ['undecodable', 'oversized'])
    })

    it('an advert listing another peer\'s address is rejected as forged', async function () {
      await attack([() => CapacityAdvert.encode(advert({ multiaddrs: honest.getMultiaddrs().map((m) => m.bytes) }))], ['forged-address'])
    })

    it('inconsistent and skewed adverts are rejected', async function () {
      await attack([
        (addrs) => CapacityAdvert.encode(advert({ slotsFree: 9, slotsTotal: 2, multiaddrs: addrs })),
        (addrs) => CapacityAdvert.encode(advert({ speed: Number.NaN, multiaddrs: addrs })),
        (addrs) => CapacityAdvert.encode(advert({ timestamp: Date.now() - 3_600_000, multiaddrs: addrs }))
      ], ['inconsistent', 'clock-skew'])
    })

    it('an advert older than one already accepted is rejected as stale and does not replace it', async function () {
      const seq = Date.now() * 1000
      const attacker = await attack([
        (addrs) => CapacityAdvert.encode(advert({ seq, multiaddrs: addrs, slotsTotal: 8, slotsFree: 8 })),
        (addrs) => CapacityAdvert.encode(advert({ seq: seq - 1, multiaddrs: addrs, slotsTotal: 1, slotsFree: 0 }))
      ], ['stale'], true)
      const entry = victim.services.adverts.peers().find((p) => p.peerId.toString() === attacker)
      expect(entry?.advert).to.deep.include({ seq, slotsTotal: 8 })
    })

    it('unsigned adverts never reach the view, even from a gossipsub that lets them through', async function () {
      // gossipsub under StrictSign drops unsigned messages before any topic validator runs; a
      // node whose gossipsub is configured StrictNoSign hands them on, and our validator is then
      // the only gate: it must reject them itself (the signer is the advert's identity)
      const lax = await createLibp2p({
        ...base,
        services: {
          identify: identify(),
          pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', floodPublish: true, scoreParams: gossipScoreParams() }),
          adverts: capacityAdverts({ intervalMs: 200 })
        }
      }) as unknown as AdvertNode
      try {
        const unsigned: Array<{ from: string, reason: RejectReason }> = []
        lax.services.adverts.addEventListener('advert:rejected', (evt) => { unsigned.push({ from: evt.detail.from.toString(), reason: evt.detail.reason }) })
        const seen: string[] = []
        lax.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === ADVERTS_TOPIC) seen.push(evt.detail.type) })
        const attacker = await bareNode('StrictNoSign')
        attacker.services.pubsub.subscribe(ADVERTS_TOPIC)
        await connect(attacker, lax)
        await waitFor(() => attacker.services.pubsub.getSubscribers(ADVERTS_TOPIC).some((p) => p.equals(lax.peerId)), 10_000, 'lax node subscription')
        // everything else about it is valid: only the missing signature is wrong
        const addrs = attacker.getMultiaddrs().map((m) => m.bytes as Uint8Array<ArrayBuffer>)
        await attacker.services.pubsub.publish(ADVERTS_TOPIC, CapacityAdvert.encode(advert({ multiaddrs: addrs })))
        await waitFor(() => unsigned.length > 0, 5000, 'the unsigned advert to be rejected by our validator')
        expect(unsigned).to.deep.equal([{ from: attacker.peerId.toString(), reason: 'unsigned' }])
        expect(seen, 'rejected, so never delivered').to.deep.equal([])
        expect(lax.services.adverts.peers()).to.deep.equal([])
      } finally {
        await lax.stop()
      }
    })
  })
})

describe('validateAdvert', function () {
  const from = '12D3KooWLuFqyUFLH9seLmVVdMyqTJLaC9bu5yTi6Db61ktwD4C9'
  const now = 1_800_000_000_000
  const good: CapacityAdvert = {
    seq: 10, timestamp: now, slotsTotal: 2, slotsFree: 2, queueLength: 0, speed: 1, memoryFreeBytes: 0,
    warmCids: [CID_BYTES], tags: [{ key: 'tier', value: 'edge' }], multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${from}`).bytes], httpAddrs: ['http://127.0.0.1:8787']
  }
  const check = (a: Partial<CapacityAdvert>, lastSeq?: number): string => {
    const r = validateAdvert(CapacityAdvert.encode({ ...good, ...a }), { from, now, lastSeq })
    return r.ok ? 'ok' : r.reason
  }

  it('accepts a well-formed advert', function () {
    expect(check({})).to.equal('ok')
  })

  it('names the reason for each kind of bad advert', function () {
    expect(check({}, 10)).to.equal('stale')
    expect(check({ timestamp: now + 120_000 })).to.equal('clock-skew')
    expect(check({ slotsFree: 3 })).to.equal('inconsistent')
    expect(check({ slotsTotal: 1e6, slotsFree: 1 })).to.equal('inconsistent')
    expect(check({ speed: 0 })).to.equal('inconsistent')
    expect(check({ speed: Infinity })).to.equal('inconsistent')
    expect(check({ warmCids: [new Uint8Array([1, 2, 3])] })).to.equal('inconsistent')
    expect(check({ tags: [{ key: '', value: 'x' }] })).to.equal('inconsistent')
    expect(check({ httpAddrs: ['javascript:alert(1)'] })).to.equal('inconsistent')
    expect(check({ multiaddrs: [new Uint8Array([0xff, 0xff])] })).to.equal('inconsistent')
    expect(check({ multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/1').bytes] })).to.equal('forged-address')
  })

  it('enforces the decode limits on repeated fields', function () {
    const r = validateAdvert(CapacityAdvert.encode({ ...good, warmCids: Array.from({ length: 65 }, () => CID_BYTES) }), { from, now })
    expect(r.ok ? 'ok' : r.reason).to.equal('undecodable')
  })
})
