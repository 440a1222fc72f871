/**
 * Issue 15, item 6: energy-aware bidding. The sysfs reader on a fake tree, the power monitor's
 * precedence (configured level, OS, tag), the price curve, the decline threshold in the bidder
 * with an injected level, and which policies leave low-battery peers out. Real daemons: power.e2e.ts.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { Bidder } from '../src/placement/bidder.js'
import { RunTimeEstimates } from '../src/placement/estimates.js'
import { PeerLedger } from '../src/placement/peer-ledger.js'
import { pricing } from '../src/placement/pricing.js'
import { Reservations } from '../src/placement/reservations.js'
import {
  advertisedBatteryPercent, batteryPriceFactor, isBelowThreshold, power, readSysfsBattery, skipsLowBattery, type BatteryReading, type PowerState
} from '../src/power/index.js'

const CID_BYTES = CID.parse('bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti').bytes as Uint8Array<ArrayBuffer>

function call (auctionId = 'a'): CallForBids {
  return { auctionId, cid: CID_BYTES, inputBytes: 10, deadlineMs: 0, release: [], inputs: [], nameRecord: new Uint8Array(0) }
}

/** One power supply directory, as Linux lists it. */
async function supply (root: string, name: string, files: Record<string, string>): Promise<void> {
  await mkdir(join(root, name), { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(root, name, file), `${text}\n`)
}

describe('power: energy-aware bidding', function () {
  let root: string
  beforeEach(async function () { root = await mkdtemp(join(tmpdir(), 'faasmesh-sysfs-')) })
  afterEach(async function () { await rm(root, { recursive: true, force: true }) })

  describe('the sysfs reader', function () {
    it('reads a discharging laptop battery and ignores the adapter and a mouse', async function () {
      await supply(root, 'AC', { type: 'Mains', online: '0' })
      await supply(root, 'BAT0', { type: 'Battery', capacity: '37', status: 'Discharging' })
      await supply(root, 'hidpp_battery_0', { type: 'Battery', scope: 'Device', capacity: '5', status: 'Discharging' })
      expect(await readSysfsBattery(root)).to.deep.equal({ present: true, discharging: true, percent: 37 })
    })

    it('averages two batteries; charging or full is mains', async function () {
      await supply(root, 'BAT0', { type: 'Battery', capacity: '80', status: 'Charging' })
      await supply(root, 'BAT1', { type: 'Battery', capacity: '41', status: 'Full' })
      expect(await readSysfsBattery(root)).to.deep.equal({ present: true, discharging: false, percent: 61 })
    })

    it('finds no battery where there is none, nothing readable or no such directory', async function () {
      expect(await readSysfsBattery(join(root, 'missing'))).to.deep.equal({ present: false, discharging: false })
      await supply(root, 'AC', { type: 'Mains', online: '1' })
      await supply(root, 'BAT0', { type: 'Battery', capacity: 'garbage', status: 'Discharging' })
      // a huge file is read up to a line, not whole
      await writeFile(join(root, 'BAT0', 'type'), 'x'.repeat(1 << 20))
      expect(await readSysfsBattery(root)).to.deep.equal({ present: false, discharging: false })
    })
  })

  describe('the monitor', function () {
    const logger = defaultLogger()

    it('re-reads the OS: unplugged goes to battery, the level follows', async function () {
      await supply(root, 'BAT0', { type: 'Battery', capacity: '90', status: 'Charging' })
      const p = power({ sysfsRoot: root, refreshMs: 60_000 })({ logger })
      await p.start()
      try {
        expect(p.state()).to.deep.equal({ onBattery: false, percent: 90 })
        await supply(root, 'BAT0', { type: 'Battery', capacity: '15', status: 'Discharging' })
        expect(await p.refresh()).to.deep.equal({ onBattery: true, percent: 15 })
        expect(p.state()).to.deep.equal({ onBattery: true, percent: 15 })
      } finally {
        await p.stop()
      }
    })

    it('a configured level wins and never reads the OS; a tag without a battery is battery at an unknown level', async function () {
      let reads = 0
      const readBattery = async (): Promise<BatteryReading> => { reads++; return { present: true, discharging: false, percent: 99 } }
      const fixed = power({ batteryPercent: 30 })({ logger, readBattery })
      await fixed.start()
      expect(await fixed.refresh()).to.deep.equal({ onBattery: true, percent: 30 })
      expect(reads).to.equal(0)
      await fixed.stop()
      const tagged = power({ tagged: true, sysfsRoot: join(root, 'none') })({ logger })
      await tagged.start()
      expect(tagged.state()).to.deep.equal({ onBattery: true })
      await tagged.stop()
    })

    it('keeps the last state when a read fails', async function () {
      let fail = false
      const readBattery = async (): Promise<BatteryReading> => {
        if (fail) throw new Error('EIO')
        return { present: true, discharging: true, percent: 44 }
      }
      const p = power({ refreshMs: 60_000 })({ logger, readBattery })
      await p.start()
      fail = true
      expect(await p.refresh()).to.deep.equal({ onBattery: true, percent: 44 })
      await p.stop()
    })
  })

  describe('the price curve', function () {
    it('is the mains price on mains and at a full battery, and rises as the level falls', function () {
      expect(batteryPriceFactor({ onBattery: false, percent: 5 })).to.equal(1)
      expect(batteryPriceFactor({ onBattery: true, percent: 100 })).to.equal(1)
      expect(batteryPriceFactor({ onBattery: true, percent: 80 })).to.be.closeTo(1.5625, 1e-9)
      expect(batteryPriceFactor({ onBattery: true, percent: 50 })).to.equal(4)
      expect(batteryPriceFactor({ onBattery: true, percent: 30 })).to.be.closeTo(11.11, 0.01)
      expect(batteryPriceFactor({ onBattery: true, percent: 10 })).to.be.closeTo(100, 1e-9)
      expect(batteryPriceFactor({ onBattery: true, percent: 0 }), 'capped at a hundred times').to.be.closeTo(100, 1e-9)
      expect(batteryPriceFactor({ onBattery: true }), 'unknown level: priced as half full').to.equal(4)
      const levels = [100, 80, 60, 40, 20, 10].map((percent) => batteryPriceFactor({ onBattery: true, percent }))
      for (let i = 1; i < levels.length; i++) expect(levels[i]).to.be.above(levels[i - 1]!)
    })

    it('comes on top of the tag rules and the load', function () {
      let state: PowerState = { onBattery: true, percent: 50 }
      const price = pricing({ basePrice: 1, factors: [{ key: 'power', value: 'battery', factor: 4 }], tags: { power: 'battery' }, power: () => state })
      expect(price(0)).to.equal(16)
      expect(price(1)).to.equal(32)
      state = { onBattery: true, percent: 25 }
      expect(price(0), 'read at each bid').to.equal(64)
      expect(pricing({ basePrice: 1, factors: [], tags: {} })(0), 'no power source: mains').to.equal(1)
    })

    it('advertises the level on battery only, within 0-100', function () {
      expect(advertisedBatteryPercent({ onBattery: false, percent: 80 })).to.equal(undefined)
      expect(advertisedBatteryPercent({ onBattery: true })).to.equal(undefined)
      expect(advertisedBatteryPercent({ onBattery: true, percent: 29.6 })).to.equal(30)
      expect(isBelowThreshold({ onBattery: true }, 20), 'an unknown level never declines').to.equal(false)
    })
  })

  describe('the bidder', function () {
    function bidder (state: () => PowerState, declineBelowPercent = 20): { bidder: Bidder, reservations: Reservations } {
      const reservations = new Reservations(5000, () => {})
      const b = new Bidder({
        running: () => 0,
        slots: () => 2,
        codeState: () => Bid.Code.WARM,
        estimates: new RunTimeEstimates(),
        reservations,
        ledger: new PeerLedger(),
        power: state,
        price: pricing({ basePrice: 1, factors: [], tags: {}, power: state })
      }, { queuePerSlot: 2, speed: 1, declineBelowPercent })
      return { bidder: b, reservations }
    }

    it('declines other peers BATTERY below the threshold, bids for its own callers, and bids again once charged', function () {
      let state: PowerState = { onBattery: true, percent: 19 }
      const { bidder: b, reservations } = bidder(() => state)
      try {
        expect(b.bid(call(), 'peer-a')).to.deep.include({ status: Bid.Status.DECLINED, reason: Bid.Reason.BATTERY })
        const own = b.bid(call())
        expect(own.status, 'its own auction').to.equal(Bid.Status.BID)
        expect(own.price).to.be.closeTo((100 / 19) ** 2, 1e-9)
        state = { onBattery: true, percent: 20 }
        expect(b.bid(call(), 'peer-a')).to.deep.include({ status: Bid.Status.BID, reason: Bid.Reason.NONE })
        state = { onBattery: false, percent: 5 }
        expect(b.bid(call(), 'peer-a'), 'plugged in').to.deep.include({ status: Bid.Status.BID, price: 1 + 2 / 2 })
      } finally {
        reservations.clear()
      }
    })

    it('a mid-level battery bids dearer than mains for the same load', function () {
      const mains = bidder(() => ({ onBattery: false }))
      const mid = bidder(() => ({ onBattery: true, percent: 40 }))
      try {
        const a = mains.bidder.bid(call(), 'peer-a')
        const b = mid.bidder.bid(call(), 'peer-a')
        expect(b.status).to.equal(Bid.Status.BID)
        expect(b.estimatedMs).to.equal(a.estimatedMs)
        expect(b.price).to.be.closeTo(a.price * 6.25, 1e-9)
      } finally {
        mains.reservations.clear()
        mid.reservations.clear()
      }
    })
  })

  it('least-loaded and power-of-two leave out peers below the threshold; the auction and the blind baselines do not', function () {
    expect(skipsLowBattery('least-loaded', 10, 20)).to.equal(true)
    expect(skipsLowBattery('power-of-two', 19, 20)).to.equal(true)
    expect(skipsLowBattery('power-of-two', 20, 20)).to.equal(false)
    expect(skipsLowBattery('least-loaded', undefined, 20), 'mains').to.equal(false)
    for (const policy of ['auction', 'random', 'round-robin', 'local']) expect(skipsLowBattery(policy, 5, 20)).to.equal(false)
  })
})
