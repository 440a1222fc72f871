/**
 * The simulator (docs/testbed.md, "The simulator"): the engine's order of events, repeatable
 * runs, that it drives the daemon's own placement modules, and one point of queueing theory.
 */
import { expect } from 'chai'
import { Bidder } from '../../daemon/src/placement/bidder.js'
import { Reputation } from '../../daemon/src/placement/reputation.js'
import { parseScenario, type Scenario } from '../src/scenario.js'
import { Simulator } from '../src/sim/engine.js'
import { EventHeap } from '../src/sim/heap.js'
import { simulate } from '../src/sim/simulate.js'
import { meanCi } from '../src/sim/stats.js'
import { supermarketSojourn } from '../src/sim/theory.js'

/** One twice-slower node (a) among nine: how often it wins says whose estimate or score the simulator used. */
function mesh (sim: Record<string, unknown> = {}, nodes = [{ name: 'a', count: 1, slots: 1, slowdown: 2 }, { name: 'b', count: 9, slots: 1 }]): Scenario {
  return parseScenario({
    name: 'sim-test',
    seed: 3,
    nodes,
    functions: [{ name: 'job', wasm: 'build/fib.wasm', deployOn: [nodes[0]!.name] }],
    links: { default: 'lan' },
    workload: { mix: [{ function: 'job' }], load: [0.5] },
    policies: ['auction'],
    sim: { serviceTime: { dist: 'exponential', meanMs: 100 }, invocations: 2000, queuePerSlot: 1000, ...sim }
  }, { sim: true })
}

describe('simulator', function () {
  this.timeout(60_000)

  describe('engine', () => {
    it('runs events in time order, events at the same time in the order they were scheduled', async () => {
      const sim = new Simulator()
      const seen: string[] = []
      sim.setTimeout(() => seen.push('b@5'), 5)
      sim.setTimeout(() => seen.push('a@1'), 1)
      sim.setTimeout(() => seen.push('c@5'), 5)
      sim.setTimeout(() => seen.push('d@5'), 5)
      const cancelled = sim.setTimeout(() => seen.push('never'), 3)
      sim.clearTimeout(cancelled)
      await sim.run()
      expect(seen).to.deep.equal(['a@1', 'b@5', 'c@5', 'd@5'])
      expect(sim.now()).to.equal(5)
      expect(sim.events).to.equal(4)
    })

    it('lets an event\'s promise continuations run before the clock moves on', async () => {
      const sim = new Simulator()
      const seen: string[] = []
      sim.setTimeout(() => {
        void (async () => {
          await Promise.resolve()
          await new Promise<void>((resolve) => { queueMicrotask(resolve) })
          seen.push(`continuation@${sim.now()}`)
          sim.setTimeout(() => seen.push(`scheduled by it@${sim.now()}`), 0)
        })()
      }, 1)
      sim.setTimeout(() => seen.push(`later@${sim.now()}`), 2)
      await sim.run()
      expect(seen).to.deep.equal(['continuation@1', 'scheduled by it@1', 'later@2'])
    })

    it('keeps a heap of many events in order', () => {
      const heap = new EventHeap<{ at: number, seq: number }>()
      let x = 7
      for (let seq = 0; seq < 2000; seq++) { x = (x * 48271) % 2147483647; heap.push({ at: x % 50, seq }) }
      let last = { at: -1, seq: -1 }
      for (let i = 0; i < 2000; i++) {
        const e = heap.pop()!
        expect(e.at > last.at || (e.at === last.at && e.seq > last.seq)).to.equal(true)
        last = e
      }
      expect(heap.pop()).to.equal(undefined)
    })
  })

  describe('determinism', () => {
    it('gives identical results for a seed and different ones for another seed', async () => {
      const scenario = mesh({ view: 'gossip', advertIntervalMs: 50 })
      const one = await simulate(scenario, { policy: 'auction', rho: 0.8, seed: 1 })
      const two = await simulate(scenario, { policy: 'auction', rho: 0.8, seed: 1 })
      const other = await simulate(scenario, { policy: 'auction', rho: 0.8, seed: 2 })
      expect(JSON.stringify(two)).to.equal(JSON.stringify(one))
      expect(other.meanSojournMs).to.not.equal(one.meanSojournMs)
    })
  })

  describe('the daemon\'s placement code', () => {
    // node a is a stranger's favourite only if the real Bidder's estimate or the real
    // Auctioneer's scoring says so: the simulator has no copy of either
    const share = async (scenario: Scenario, policy: 'power-of-two'): Promise<number> => {
      const r = await simulate(scenario, { policy, rho: 0.5, seed: 5 })
      return r.byGroup.a! / r.measured
    }

    it('bids with the daemon\'s Bidder: a node whose estimate is patched to be tiny wins where it is asked', async () => {
      const scenario = mesh({ view: 'fresh' })
      const before = await share(scenario, 'power-of-two')
      const estimate = Bidder.prototype.estimate
      Bidder.prototype.estimate = function (this: Bidder, ...args: Parameters<Bidder['estimate']>) {
        const e = estimate.apply(this, args)
        // node a's bidder is the one with speed 1/2 (its slowdown): it now promises everything at once
        return (this as any).init.speed === 0.5 ? { ...e, estimatedMs: 0 } : e
      }
      try {
        const after = await share(scenario, 'power-of-two')
        // in about one pair in five: slow, it won few of them; now it wins every one
        expect(before).to.be.below(0.1)
        expect(after).to.be.above(0.15)
      } finally {
        Bidder.prototype.estimate = estimate
      }
    })

    it('ranks with the daemon\'s Auctioneer: patching reputation scores changes the winner', async () => {
      const scenario = mesh({ view: 'fresh' })
      const before = await share(scenario, 'power-of-two')
      const score = Reputation.prototype.score
      // every peer but a is distrusted: rank / max(0.05, score) makes their bids 20 times worse
      Reputation.prototype.score = function (peer: string) { return peer === 'a-0' ? 1 : 0.05 }
      try {
        const after = await share(scenario, 'power-of-two')
        // in one pair in five; now it wins there until its queue is 20 times the other's
        // (reputation never divides by less than 0.05)
        expect(before).to.be.below(0.08)
        expect(after).to.be.above(0.1)
      } finally {
        Reputation.prototype.score = score
      }
    })
  })

  describe('queueing theory', () => {
    it('computes the supermarket model\'s published points', () => {
      expect(supermarketSojourn(1, 0.9)).to.be.closeTo(10, 1e-9)
      expect(supermarketSojourn(2, 0.9)).to.be.closeTo(2.61, 0.005)
      expect(supermarketSojourn(3, 0.9)).to.be.closeTo(2.03, 0.005)
      expect(supermarketSojourn(2, 0.8)).to.be.closeTo(1.95, 0.005)
      expect(supermarketSojourn(3, 0.8)).to.be.closeTo(1.58, 0.005)
    })

    it('reproduces M/M/1 for random placement at rho 0.8 within 10 %', async () => {
      // seeds 1-5 give 4.84, 5.01, 5.24, 5.11, 5.35 here: M/M/1 at 0.8 is noisy, 10 % is about two standard errors
      const scenario = mesh({ view: 'fresh', viewSize: 8, queuePerSlot: 1_000_000, learnRunTimes: false, invocations: 60_000, warmupShare: 0.2 }, [{ name: 'srv', count: 10, slots: 1 }])
      const r = await simulate(scenario, { policy: 'random', rho: 0.8, seed: 2 })
      expect(r.sojournRatio).to.be.closeTo(5, 0.5)
    })

    it('gives t-based 95 % confidence intervals', () => {
      expect(meanCi([1, 2, 3])).to.deep.equal({ mean: 2, ci: 4.303 * Math.sqrt(1 / 3) })
      expect(meanCi([4])).to.deep.equal({ mean: 4, ci: 0 })
    })
  })

  describe('scenario', () => {
    it('names every bad field of the sim section', () => {
      expect(() => mesh({ serviceTime: { dist: 'pareto', meanMs: -1 }, view: 'psychic', policies: ['power-of-99'], bogus: 1 })).to.throw(
        'sim.bogus: unknown field (serviceTime, rho, invocations, invocationsByPolicy, warmupShare, policies, view, advertIntervalMs, advertDelayMs, viewSize, queuePerSlot, learnRunTimes)\n' +
        'sim.serviceTime.dist: expected one of exponential, deterministic, lognormal, got "pareto"\n' +
        'sim.view: expected fresh or gossip, got "psychic"\n' +
        'sim.policies[0]: expected one of auction, local, random, round-robin, least-loaded, power-of-two or power-of-<d> (d from 2 to 16), got "power-of-99"\n' +
        'sim.serviceTime.meanMs: expected a number from 0.001 to 3600000, got -1')
    })

    it('lets the simulator have more than 64 nodes, and tells `testbed run` where to go', () => {
      const big = [{ name: 'srv', count: 1000, slots: 1 }]
      expect(() => mesh({}, big)).to.not.throw()
      expect(() => parseScenario({ ...mesh({}, [{ name: 'srv', count: 1, slots: 1 }]), nodes: big, sim: undefined })).to.throw(/at most 64 nodes on one machine, got 1000 \(`testbed sim` runs larger meshes\)/)
    })
  })
})
