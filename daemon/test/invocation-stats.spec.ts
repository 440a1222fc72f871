/**
 * The dashboard's numbers (daemon/src/stats): quantiles, the per-second ring and the
 * per-function table, with a fake clock; and their bounds, so a long-running or busy node
 * keeps a fixed amount of memory.
 */
import { expect } from 'chai'
import { invocationStats } from '../src/stats/index.js'
import { p50p99, quantile } from '../src/stats/quantile.js'
import { Reservoir } from '../src/stats/samples.js'

function clock (startMs: number): { now(): number, advance(ms: number): void } {
  let t = startMs
  return { now: () => t, advance: (ms) => { t += ms } }
}

describe('invocation stats', function () {
  describe('quantile', function () {
    it('interpolates between the nearest ranks, and is undefined for no samples', function () {
      const sorted = [10, 20, 30, 40, 50]
      expect(quantile(sorted, 0)).to.equal(10)
      expect(quantile(sorted, 0.5)).to.equal(30)
      expect(quantile(sorted, 1)).to.equal(50)
      expect(quantile(sorted, 0.25)).to.equal(20)
      expect(quantile(sorted, 0.99)).to.be.closeTo(49.6, 1e-9)
      expect(quantile([7], 0.99)).to.equal(7)
      expect(quantile([], 0.5)).to.equal(undefined)
    })

    it('p50p99 sorts a copy: 100..1 gives 50.5 and 99.01', function () {
      const values = Array.from({ length: 100 }, (_, i) => 100 - i)
      const { p50, p99 } = p50p99(values)
      expect(p50).to.be.closeTo(50.5, 1e-9)
      expect(p99).to.be.closeTo(99.01, 1e-9)
      expect(values[0], 'the caller\'s array is left as it was').to.equal(100)
    })
  })

  it('a reservoir keeps every value while there is room, then at most its capacity', function () {
    const r = new Reservoir(8)
    for (let i = 0; i < 5; i++) r.add(i)
    expect(r.samples()).to.deep.equal([0, 1, 2, 3, 4])
    for (let i = 5; i < 10_000; i++) r.add(i)
    expect(r.samples()).to.have.length(8)
  })

  describe('series', function () {
    it('counts invocations and errors per second, with each second\'s p50 and p99, and zeros for quiet seconds', function () {
      const time = clock(1_000_000_000)
      const stats = invocationStats({ windowSeconds: 5 })({ now: time.now })
      for (const ms of [10, 20, 30]) stats.record({ cid: 'c', name: 'f', outcome: 'ok', totalMs: ms })
      time.advance(2000)
      stats.record({ cid: 'c', name: 'f', outcome: 'GuestTrapError', totalMs: 5 })
      const points = stats.series()
      expect(points.map((p) => p.t)).to.deep.equal([999_998, 999_999, 1_000_000, 1_000_001, 1_000_002])
      expect(points.map((p) => p.count)).to.deep.equal([0, 0, 3, 0, 1])
      expect(points.map((p) => p.errors)).to.deep.equal([0, 0, 0, 0, 1])
      expect(points[2]).to.deep.include({ p50Ms: 20 })
      expect(points[2]!.p99Ms).to.be.closeTo(29.8, 1e-9)
      expect(points[3]).to.not.have.any.keys('p50Ms', 'p99Ms')
    })

    it('is a ring: it never holds more than its window, and a reused second starts from zero', function () {
      const time = clock(0)
      const stats = invocationStats({ windowSeconds: 4, samples: 16 })({ now: time.now })
      for (let second = 0; second < 50; second++) {
        for (let i = 0; i < 100; i++) stats.record({ cid: 'c', outcome: 'ok', totalMs: second })
        time.advance(1000)
      }
      time.advance(-1000)
      const points = stats.series()
      expect(points).to.have.length(4)
      expect(points.map((p) => p.t)).to.deep.equal([46, 47, 48, 49])
      expect(points.map((p) => p.count)).to.deep.equal([100, 100, 100, 100])
      expect(points.map((p) => p.p50Ms)).to.deep.equal([46, 47, 48, 49])
      // a second long gone is not drawn again when its bucket comes round
      time.advance(4000)
      expect(stats.series().map((p) => p.count)).to.deep.equal([0, 0, 0, 0])
    })
  })

  describe('functions', function () {
    it('per function: invocations, errors, error rate, p50/p99 and the latest CID of a name; a call by CID is its own row', function () {
      const time = clock(5000)
      const stats = invocationStats()({ now: time.now })
      for (let i = 1; i <= 10; i++) stats.record({ cid: 'v1', name: 'hello', outcome: i === 3 ? 'OutOfFuelError' : 'ok', totalMs: i })
      stats.record({ cid: 'v2', name: 'hello', outcome: 'ok', totalMs: 11 })
      stats.record({ cid: 'v1', outcome: 'ok', totalMs: 1 })
      stats.record({ cid: 'chaincid', chain: { name: 'pair' }, outcome: 'ok', totalMs: 3 })
      const [pair, byCid, hello] = stats.functions()
      expect(pair).to.deep.include({ name: 'pair', cid: 'chaincid', invocations: 1 })
      expect(byCid).to.deep.include({ cid: 'v1', invocations: 1, errors: 0 })
      expect(byCid).to.not.have.property('name')
      expect(hello).to.deep.include({ name: 'hello', cid: 'v2', invocations: 11, errors: 1, lastError: 'OutOfFuelError', p50Ms: 6, lastAt: 5000 })
      expect(hello!.errorRate).to.be.closeTo(1 / 11, 1e-9)
      expect(hello!.p99Ms).to.be.closeTo(10.9, 1e-9)
    })

    it('tracks at most maxFunctions, forgetting the one invoked least recently', function () {
      const stats = invocationStats({ maxFunctions: 3 })({})
      for (const name of ['a', 'b', 'c']) stats.record({ cid: name, name, outcome: 'ok', totalMs: 1 })
      stats.record({ cid: 'a', name: 'a', outcome: 'ok', totalMs: 1 })
      for (let i = 0; i < 1000; i++) stats.record({ cid: `x${i}`, name: `x${i}`, outcome: 'ok', totalMs: 1 })
      expect(stats.functions().map((f) => f.name)).to.deep.equal(['x999', 'x998', 'x997'])
      const kept = invocationStats({ maxFunctions: 3 })({})
      for (const name of ['a', 'b', 'c', 'a', 'd']) kept.record({ cid: name, name, outcome: 'ok', totalMs: 1 })
      // b was the least recent when d came
      expect(kept.functions().map((f) => f.name)).to.deep.equal(['d', 'a', 'c'])
    })
  })
})
