/**
 * Issue 15, item 6: adverts carry a battery node's charge (battery_percent, 0-100, absent on
 * mains), between real gossiping nodes, and a charge outside 0-100 is rejected as inconsistent.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { ADVERTS_TOPIC, CapacityAdvert, validateAdvert, type AdvertFields, type RejectReason } from '../src/adverts/index.js'
import { advertNode, bareNode, connect, stopAll, type AdvertNode } from './support/nodes.js'
import { waitFor } from './support/wait.js'

function fields (node: AdvertNode, extra: Partial<AdvertFields> = {}): AdvertFields {
  return {
    slotsTotal: 2, slotsFree: 2, queueLength: 0, speed: 1, memoryFreeBytes: 1 << 30, warmCids: [], tags: [],
    multiaddrs: node.getMultiaddrs().map((m) => m.bytes), httpAddrs: [], ...extra
  }
}

describe('capacity adverts: battery_percent', function () {
  this.timeout(30_000)
  afterEach(async function () { await stopAll() })

  it('carries a battery node\'s charge, follows it, and leaves it absent on mains', async function () {
    const [battery, mains, observer] = await Promise.all([advertNode({ intervalMs: 200 }), advertNode({ intervalMs: 200 }), advertNode({ intervalMs: 200 })])
    let level = 42
    battery.services.adverts.setSource(() => fields(battery, { batteryPercent: level }))
    mains.services.adverts.setSource(() => fields(mains))
    observer.services.adverts.setSource(() => fields(observer))
    await connect(battery, observer)
    await connect(mains, observer)
    const entry = (n: AdvertNode): CapacityAdvert | undefined => observer.services.adverts.peers().find((p) => p.peerId.equals(n.peerId))?.advert
    await waitFor(() => entry(battery) != null && entry(mains) != null, 10_000, 'both adverts')
    expect(entry(battery)?.batteryPercent).to.equal(42)
    expect(entry(mains)?.batteryPercent).to.equal(undefined)
    level = 0
    await waitFor(() => entry(battery)?.batteryPercent === 0, 10_000, 'the new level (0 is a level, not absent)')
  })

  it('rejects a charge outside 0-100 from a hostile peer, and keeps it out of the view', async function () {
    const victim = await advertNode({ intervalMs: 200 })
    victim.services.adverts.setSource(() => fields(victim))
    const rejected: RejectReason[] = []
    victim.services.adverts.addEventListener('advert:rejected', (evt) => { rejected.push(evt.detail.reason) })
    const attacker = await bareNode()
    attacker.services.pubsub.subscribe(ADVERTS_TOPIC)
    await connect(attacker, victim)
    await waitFor(() => attacker.services.pubsub.getSubscribers(ADVERTS_TOPIC).some((p) => p.equals(victim.peerId)), 10_000, 'victim subscription')
    const addrs = attacker.getMultiaddrs().map((m) => m.bytes as Uint8Array<ArrayBuffer>)
    await attacker.services.pubsub.publish(ADVERTS_TOPIC, CapacityAdvert.encode({
      seq: Date.now() * 1000, timestamp: Date.now(), slotsTotal: 2, slotsFree: 2, queueLength: 0, speed: 1, memoryFreeBytes: 1, warmCids: [], tags: [], multiaddrs: addrs, httpAddrs: [], batteryPercent: 250
    }))
    await waitFor(() => rejected.includes('inconsistent'), 5000, 'the rejection')
    expect(victim.services.adverts.peers()).to.deep.equal([])
  })

  it('validateAdvert accepts 0 and 100 and names anything above inconsistent', function () {
    const from = '12D3KooWLuFqyUFLH9seLmVVdMyqTJLaC9bu5yTi6Db61ktwD4C9'
    const now = 1_800_000_000_000
    const check = (batteryPercent?: number): string => {
      const advert: CapacityAdvert = {
        seq: 1, timestamp: now, slotsTotal: 2, slotsFree: 2, queueLength: 0, speed: 1, memoryFreeBytes: 0, warmCids: [], tags: [],
        multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${from}`).bytes], httpAddrs: [], ...(batteryPercent != null ? { batteryPercent } : {})
      }
      const r = validateAdvert(CapacityAdvert.encode(advert), { from, now })
      return r.ok ? `ok ${r.advert.batteryPercent}` : r.reason
    }
    expect([check(), check(0), check(100), check(101), check(2 ** 32 - 1)]).to.deep.equal(['ok undefined', 'ok 0', 'ok 100', 'inconsistent', 'inconsistent'])
  })
})
