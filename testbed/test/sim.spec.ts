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
import { cells, table } from '../src/sim/report.js'
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

  describe('scenario events', () => {
    // entries at a (2 nodes); at rho 0.5 of all ten slots the work needs b's 8 nodes too
    const churn = (events: unknown[]): Scenario => parseScenario({
      name: 'sim-events',
      seed: 4,
      nodes: [{ name: 'a', count: 2, slots: 1 }, { name: 'b', count: 8, slots: 1 }],
      functions: [{ name: 'job', wasm: 'build/fib.wasm', deployOn: ['a'] }],
      links: { default: 'lan' },
      workload: { mix: [{ function: 'job' }], load: [0.5], entry: ['a'] },
      policies: ['auction'],
      events,
      // 2000 arrivals at 0.05 per ms: about 40 s of virtual time
      sim: { serviceTime: { dist: 'exponential', meanMs: 100 }, invocations: 2000, warmupShare: 0, view: 'fresh', queuePerSlot: 1000 }
    }, { sim: true })
    const run = async (events: unknown[]): Promise<Awaited<ReturnType<typeof simulate>>> => simulate(churn(events), { policy: 'auction', rho: 0.5, seed: 1 })

    it('a kill loses nothing that entered elsewhere: what ran or queued on the dead nodes is passed on', async () => {
      const calm = await run([])
      expect(calm.retriedShare).to.equal(0)
      expect(calm.failed).to.equal(0)
      const killed = await run([{ at: 10, kill: 'b' }])
      expect(killed.failed).to.equal(0)
      expect(killed.measured).to.equal(2000)
      expect(killed.retriedShare).to.be.above(0)
      // b ran its share for 10 s of about 40, then nothing
      expect(killed.byGroup.b).to.be.above(0).and.below(calm.byGroup.b! / 2)
    })

    it('a kill of an entry node loses what entered there, running, queued or placed elsewhere', async () => {
      const r = await run([{ at: 10, kill: 'a-0' }])
      // about half of the 1500 arrivals after 10 s go to a-0
      expect(r.failed).to.be.within(500, 1000)
      expect(r.measured + r.failed).to.equal(2000)
    })

    it('a restarted node bids and runs again', async () => {
      const dead = await run([{ at: 0, kill: 'b' }])
      expect(dead.byGroup.b).to.equal(0)
      const back = await run([{ at: 0, kill: 'b' }, { at: 20, restart: 'b' }])
      expect(back.byGroup.b).to.be.above(100)
      expect(back.failed).to.equal(0)
    })

    it('a partition keeps work on its side until it heals, and passes on what it cut', async () => {
      const split = await run([{ at: 0, partition: [['a'], ['b']] }])
      expect(split.byGroup.b).to.equal(0)
      const healed = await run([{ at: 0, partition: [['a'], ['b']] }, { at: 20, heal: true }])
      expect(healed.byGroup.b).to.be.above(100)
      const mid = await run([{ at: 10, partition: [['a'], ['b']] }])
      expect(mid.retriedShare).to.be.above(0)
      expect(mid.failed).to.equal(0)
    })

    it('gives the same result twice with events', async () => {
      const events = [{ at: 5, kill: 'b-1' }, { at: 8, partition: [['a', 'b-2'], ['b-3', 'b-4']] }, { at: 12, heal: true }, { at: 15, restart: 'b-1' }]
      expect(JSON.stringify(await run(events))).to.equal(JSON.stringify(await run(events)))
    })
  })

  describe('oracle and stale gossip', () => {
    it('the oracle, knowing every queue and run time, beats every policy that does not', async () => {
      // one twice-slower node among ten, each with one slot: where to wait matters
      const scenario = mesh({ view: 'fresh', invocations: 4000 })
      const run = async (policy: 'oracle' | 'auction' | 'least-loaded' | 'power-of-two'): Promise<number> => (await simulate(scenario, { policy, rho: 0.8, seed: 2 })).meanSojournMs
      const oracle = await run('oracle')
      for (const policy of ['auction', 'least-loaded', 'power-of-two'] as const) expect(oracle, policy).to.be.below(await run(policy))
    })

    it('sweeps the advert interval: a row per load and interval, and staler adverts leave more waiting beside idle slots', async () => {
      const scenario = mesh({ view: 'gossip', advertIntervalMs: [50, 2000], invocations: 3000, policies: ['least-loaded'] }, [{ name: 'srv', count: 20, slots: 1 }])
      expect(scenario.sim!.advertIntervalMs).to.deep.equal([50, 2000])
      const runs = [
        await simulate(scenario, { policy: 'least-loaded', rho: 0.8, seed: 1, advertIntervalMs: 50 }),
        await simulate(scenario, { policy: 'least-loaded', rho: 0.8, seed: 1, advertIntervalMs: 2000 })
      ]
      expect(runs.map((r) => r.advertIntervalMs)).to.deep.equal([50, 2000])
      // two seconds is 20 service times: least-loaded herds onto what looked idle long ago
      expect(runs[1]!.waitedWhileIdle).to.be.above(runs[0]!.waitedWhileIdle + 0.1)
      const text = table(cells(runs, { ...scenario.sim!, rho: [0.8] }, true), { ...scenario.sim!, rho: [0.8] })
      expect(text).to.match(/rho {3}advert ms {2}least-loaded/)
      expect(text).to.match(/\n0\.80 {2}50 {9}\S/)
      expect(text).to.match(/\n0\.80 {2}2000 {7}\S/)
    })
  })

  describe('scale', () => {
    it('takes a cancelled timer out of the heap at once, and keeps the others in order', () => {
      const heap = new EventHeap<{ at: number, seq: number, pos?: number }>()
      const items = Array.from({ length: 500 }, (_, seq) => ({ at: (seq * 7919) % 97, seq }))
      for (const item of items) heap.push(item)
      // every third one cancelled, from anywhere in the heap
      for (let i = 0; i < items.length; i += 3) expect(heap.remove(items[i]!)).to.equal(true)
      expect(heap.remove(items[0]!)).to.equal(false)
      expect(heap.size).to.equal(items.length - Math.ceil(items.length / 3))
      const popped: number[] = []
      for (let e = heap.pop(); e != null; e = heap.pop()) popped.push(e.seq)
      const expected = items.filter((_, i) => i % 3 !== 0).sort((a, b) => a.at - b.at || a.seq - b.seq).map((e) => e.seq)
      expect(popped).to.deep.equal(expected)
    })

    // issue 17: placement costs the same per invocation at any mesh size. Counted, not timed:
    // messages and bids asked per invocation, and the peers the simulator looked at to build
    // views, which grows with the mesh if a view is built by scanning every node
    it('costs the same per invocation on 50 nodes as on 500: messages, bids asked, peers viewed', async () => {
      const cost = async (nodes: number, policy: 'auction' | 'power-of-two'): Promise<{ messages: number, asked: number, viewed: number }> => {
        const scenario = mesh({ view: 'gossip', advertIntervalMs: 100, viewSize: 16, invocations: 6 * nodes }, [{ name: 'srv', count: nodes, slots: 1 }])
        const r = await simulate(scenario, { policy, rho: 0.7, seed: 4 })
        return { messages: r.messagesPerInvocation, asked: r.askedPerInvocation, viewed: r.viewedPerInvocation }
      }
      for (const policy of ['auction', 'power-of-two'] as const) {
        const small = await cost(50, policy)
        const large = await cost(500, policy)
        expect(large.viewed, `${policy}: peers viewed per invocation`).to.be.at.most(16)
        expect(large.viewed / small.viewed, `${policy}: viewed, 500 / 50 nodes`).to.be.closeTo(1, 0.05)
        expect(large.messages / small.messages, `${policy}: messages, 500 / 50 nodes`).to.be.closeTo(1, 0.15)
        expect(large.asked / small.asked, `${policy}: bids asked, 500 / 50 nodes`).to.be.closeTo(1, 0.15)
      }
    })
  })

  describe('scenario', () => {
    it('names every bad field of the sim section', () => {
      expect(() => mesh({ serviceTime: { dist: 'pareto', meanMs: -1 }, view: 'psychic', policies: ['power-of-99'], bogus: 1 })).to.throw(
        'sim.bogus: unknown field (serviceTime, rho, invocations, invocationsByPolicy, warmupShare, policies, view, advertIntervalMs, advertDelayMs, viewSize, queuePerSlot, learnRunTimes)\n' +
        'sim.serviceTime.dist: expected one of exponential, deterministic, lognormal, got "pareto"\n' +
        'sim.view: expected fresh or gossip, got "psychic"\n' +
        'sim.policies[0]: expected one of auction, local, random, round-robin, least-loaded, power-of-two power-of-<d> (d from 2 to 16) or oracle, got "power-of-99"\n' +
        'sim.serviceTime.meanMs: expected a number from 0.001 to 3600000, got -1')
    })

    it('lets the simulator have more than 64 nodes, and tells `testbed run` where to go', () => {
      const big = [{ name: 'srv', count: 1000, slots: 1 }]
      expect(() => mesh({}, big)).to.not.throw()
      expect(() => parseScenario({ ...mesh({}, [{ name: 'srv', count: 1, slots: 1 }]), nodes: big, sim: undefined })).to.throw(/at most 64 nodes on one machine, got 1000 \(`testbed sim` runs larger meshes\)/)
    })
  })
})
