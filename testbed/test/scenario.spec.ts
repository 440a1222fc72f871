/**
 * The scenario format and the pieces of a run that decide on their own: validation with named
 * paths, the quick variant, links and partitions, seeded arrivals, summaries.
 */
import { expect } from 'chai'
import { chainTraffic } from '../src/chain-run.js'
import { chainInput, chainJobs, chainSpec, drawLength, sample, type ChainJobRecord } from '../src/chains.js'
import { hopsBetween, linkBetween, linkState } from '../src/links.js'
import { chainSummaryTable, summarize, summarizeChains } from '../src/results.js'
import { seeded } from '../src/rng.js'
import { loadScenario, nodeNames, parseScenario, type Scenario } from '../src/scenario.js'
import { arrivals, type InvocationRecord } from '../src/workload.js'

const MINIMAL = {
  name: 'mini',
  nodes: [{ name: 'edge', count: 2, slots: 1 }, { name: 'cloud', count: 1, slots: 4, slowdown: 2 }],
  functions: [{ name: 'fib', wasm: 'build/fib.wasm', deployOn: ['cloud'] }],
  links: { default: 'lan', overrides: [{ between: ['edge', 'cloud'], class: 'mobile', latencyMs: 30 }] },
  workload: { mix: [{ function: 'fib', input: '20' }], load: [0.5] },
  policies: ['auction', 'random'],
  quick: { workload: { durationS: 2 }, policies: ['auction'] }
}

function errorsOf (raw: unknown): string[] {
  try {
    parseScenario(raw)
  } catch (err: any) {
    expect(err.name).to.equal('InvalidScenarioError')
    return String(err.message).split('\n')
  }
  expect.fail('expected InvalidScenarioError')
}

describe('testbed scenarios', function () {
  it('every shipped scenario is valid, in full and quick', async function () {
    for (const name of ['policies-hetero', 'edge-cloud-sweep', 'churn', 'links-50ms', 'state-models']) {
      for (const quick of [false, true]) {
        const s = await loadScenario(`testbed/scenarios/${name}.yaml`, { quick })
        expect(s.name).to.equal(name)
        expect(nodeNames(s).length).to.be.greaterThan(0)
      }
    }
    const full = await loadScenario('testbed/scenarios/policies-hetero.yaml')
    expect(nodeNames(full)).to.have.length(10)
    expect(full.policies).to.deep.equal(['random', 'round-robin', 'least-loaded', 'power-of-two', 'auction', 'local'])
  })

  it('fills in defaults and merges the quick variant over the whole', function () {
    const full = parseScenario(MINIMAL)
    expect(nodeNames(full)).to.deep.equal(['edge-0', 'edge-1', 'cloud-0'])
    expect(full.workload).to.deep.include({ arrival: 'poisson', durationS: 10, timeoutS: 60, entry: ['edge', 'cloud'] })
    expect(full.nodes[0]).to.deep.include({ slowdown: 1, tags: {} })
    const quick = parseScenario(MINIMAL, { quick: true })
    expect(quick.workload.durationS).to.equal(2)
    expect(quick.workload.load, 'keys the quick variant does not name are kept').to.deep.equal([0.5])
    expect(quick.policies).to.deep.equal(['auction'])
  })

  it('names every bad field with its path, all at once', function () {
    const errors = errorsOf({
      ...MINIMAL,
      nodes: [{ name: 'Edge!', count: 0 }],
      workload: { mix: [{ function: 'nope' }], arrival: 'sometimes', load: [3] },
      policies: ['fastest'],
      events: [{ at: 1, kill: 'ghost' }, { at: 2, explode: true }]
    })
    for (const expected of ['nodes[0].name', 'nodes[0].count', 'workload.mix[0].function', 'workload.arrival', 'workload.load[0]', 'policies[0]', 'events[0].kill', 'events[1]']) {
      expect(errors.some((e) => e.startsWith(expected)), `${expected} in\n${errors.join('\n')}`).to.equal(true)
    }
  })

  it('refuses what is not a scenario: no nodes, a list, load and rate together', function () {
    expect(errorsOf([])[0]).to.match(/^the scenario: expected a mapping/)
    expect(errorsOf({ ...MINIMAL, workload: { ...MINIMAL.workload, rate: [10] } })).to.include('workload: give load or rate, not both')
  })

  it('derives each link from the default class and the overrides, both ways, and partitions by side', function () {
    const s: Scenario = parseScenario(MINIMAL)
    expect(linkBetween(s, 'edge-0', 'edge-1')).to.deep.equal({ latencyMs: 0.5, jitterMs: 0.1, bandwidthMbps: 1000, lossPct: 0 })
    expect(linkBetween(s, 'cloud-0', 'edge-1')).to.deep.equal({ latencyMs: 30, jitterMs: 8, bandwidthMbps: 25, lossPct: 1 })
    const ids = new Map([['edge-0', 'P0'], ['edge-1', 'P1'], ['cloud-0', 'P2']])
    const state = linkState(s, 'edge-0', ids, [['edge'], ['cloud']])
    expect(state.rules.map((r) => [r.peer, r.latencyMs, r.bandwidthKbps])).to.deep.equal([['P1', 0.5, 1_000_000], ['P2', 30, 25_000]])
    expect(state.blocked).to.deep.equal(['P2'])
    expect(linkState(s, 'cloud-0', ids, [['edge'], ['cloud']]).blocked).to.deep.equal(['P0', 'P1'])
    expect(linkState(s, 'cloud-0', ids).blocked).to.deep.equal([])
  })

  it('draws the same arrivals for the same seed, at the asked rate', function () {
    const a = arrivals('poisson', 50, 20, 1, seeded(7))
    expect(arrivals('poisson', 50, 20, 1, seeded(7))).to.deep.equal(a)
    expect(a.length).to.be.within(900, 1100)
    expect(a.every((t, i) => t < 20_000 && (i === 0 || t >= a[i - 1]!))).to.equal(true)
    expect(arrivals('constant', 10, 2, 1, seeded(1))).to.have.length(20)
    expect(arrivals('poisson', 10, 2, 1, seeded(1), 137), 'a count instead of a duration').to.have.length(137)
    const bursts = arrivals('bursts', 10, 2, 5, seeded(1))
    expect(bursts).to.have.length(20)
    expect(new Set(bursts).size, 'four bursts of five').to.equal(4)
  })

  it('summarises per run: answered, failed, lost, quantiles of the successful ones, executions per node', function () {
    const base = { run: 'auction@50%', policy: 'auction' as const, load: 0.5, rate: 10, at: 0, entry: 'edge-0', function: 'fib', status: 200 }
    const records: InvocationRecord[] = [
      ...Array.from({ length: 98 }, (_, i) => ({ ...base, seq: i, executor: i % 2 === 0 ? 'edge-0' : 'cloud-0', outcome: 'ok', totalMs: i + 1 })),
      { ...base, seq: 98, executor: '', status: 503, outcome: 'NoCapacityError', totalMs: 5 },
      { ...base, seq: 99, executor: '', status: 0, outcome: 'lost', totalMs: 60_000 }
    ]
    const [s] = summarize(records, ['edge-0', 'edge-1', 'cloud-0'])
    expect(s).to.deep.include({ count: 100, ok: 98, failed: 1, lost: 1, successPct: 98, p50Ms: 50, p99Ms: 98 })
    expect(s!.perNode).to.deep.equal({ 'edge-0': 49, 'edge-1': 0, 'cloud-0': 49 })
    expect(s!.errors).to.deep.equal({ NoCapacityError: 1 })
  })

  describe('chain workloads', function () {
    const CHAINS = {
      name: 'chains',
      nodes: [{ name: 'client', count: 2 }, { name: 'central', count: 1, slots: 4 }],
      functions: [{ name: 'state-step', wasm: 'build/state-step.wasm' }],
      links: { default: 'lan', overrides: [{ between: ['client', 'central'], class: 'isp', hops: 4 }] },
      workload: {
        chains: {
          function: 'state-step',
          length: { min: 2, max: 6 },
          stateBytes: { mean: 3700, sigma: 0.7, min: 256, max: 7168 },
          argBytes: 3700,
          workMs: { mean: 2, sigma: 0.5, min: 0.2, max: 10 }
        },
        rate: [2],
        count: 30,
        entry: ['client']
      },
      redis: { latencyMs: 60, bandwidthMbps: 50, hops: 4 }
    }

    it('fills in the defaults: every model, both placements, 4 keys per entry; a bare number is a fixed size', function () {
      const s = parseScenario(CHAINS)
      const chains = s.workload.chains!
      expect(s.workload.mix).to.deep.equal([])
      expect(chains.models).to.deep.equal(['in-client', 'in-function', 'in-edge', 'external'])
      expect(chains.placements).to.deep.equal(['network-aware', 'processing-only'])
      expect(chains.keysPerEntry).to.equal(4)
      expect(chains.argBytes).to.deep.equal({ mean: 3700, sigma: 0, min: 0, max: 1 << 20 })
      expect(s.redis).to.deep.equal({ latencyMs: 60, bandwidthMbps: 50, hops: 4 })
      const noRedis = parseScenario({ ...CHAINS, redis: undefined, workload: { ...CHAINS.workload, chains: { ...CHAINS.workload.chains, models: ['in-function'] } } })
      expect(noRedis.redis, 'no database without the external model').to.equal(undefined)
      expect(parseScenario({ ...CHAINS, redis: undefined }).redis, 'the external model gets the B4 cloud link by default').to.deep.equal({ latencyMs: 60, bandwidthMbps: 50, hops: 1 })
    })

    it('names every bad chain field with its path, all at once', function () {
      const errors = errorsOf({
        ...CHAINS,
        workload: {
          mix: [{ function: 'state-step' }],
          load: [0.5],
          chains: {
            function: 'nope',
            length: { min: 2, max: 3, weights: [1, 2, 3] },
            stateBytes: { mean: 9000, max: 100 },
            argBytes: { sigma: 1 },
            workMs: { mean: 1, spread: 2 },
            models: ['in-cloud', 'in-edge', 'in-edge'],
            placements: ['anywhere'],
            keysPerEntry: 0,
            colour: 'blue'
          }
        },
        redis: { latencyMs: -1, hops: 0.5, region: 'eu' }
      })
      for (const expected of [
        'workload: give mix (single invocations) or chains, not both',
        'workload.load: a chain workload takes rate',
        'workload.chains.function', 'workload.chains.length.weights: expected 2 weights',
        'workload.chains.stateBytes.mean: 9000 is outside', 'workload.chains.argBytes.mean', 'workload.chains.workMs.spread',
        'workload.chains.models[0]', 'workload.chains.models: each at most once', 'workload.chains.placements[0]',
        'workload.chains.keysPerEntry', 'workload.chains.colour', 'redis.latencyMs', 'redis.hops', 'redis.region'
      ]) {
        expect(errors.some((e) => e.startsWith(expected)), `${expected} in\n${errors.join('\n')}`).to.equal(true)
      }
      expect(errorsOf({ ...CHAINS, workload: { ...CHAINS.workload, chains: { ...CHAINS.workload.chains, length: { min: 4, max: 3 } } } })).to.deep.equal(['workload.chains.length: max (3) is below min (4)'])
      expect(errorsOf({ ...CHAINS, links: { overrides: [{ between: ['client', 'central'], hops: 0 }] } })).to.include('links.overrides[0].hops: expected an integer from 1 to 64, got 0')
    })

    it('counts hops per link from the overrides: 1 by default, 0 to itself', function () {
      const s = parseScenario(CHAINS)
      expect(hopsBetween(s, 'client-0', 'central-0')).to.equal(4)
      expect(hopsBetween(s, 'central-0', 'client-1')).to.equal(4)
      expect(hopsBetween(s, 'client-0', 'client-1')).to.equal(1)
      expect(hopsBetween(s, 'client-0', 'client-0')).to.equal(0)
    })

    it('draws the same jobs for the same seed, within the bounds, every length about as often', function () {
      const chains = parseScenario(CHAINS).workload.chains!
      const jobs = chainJobs(chains, 2000, 3, 9)
      expect(chainJobs(chains, 2000, 3, 9)).to.deep.equal(jobs)
      expect(chainJobs(chains, 2000, 3, 10)).to.not.deep.equal(jobs)
      const lengths = new Map<number, number>()
      for (const j of jobs) lengths.set(j.length, (lengths.get(j.length) ?? 0) + 1)
      expect([...lengths.keys()].sort()).to.deep.equal([2, 3, 4, 5, 6])
      for (const n of lengths.values()) expect(n).to.be.within(320, 480)
      const states = jobs.flatMap((j) => j.plan.map((p) => p[0]))
      expect(Math.min(...states)).to.be.at.least(256)
      expect(Math.max(...states)).to.be.at.most(7168)
      // the lognormal's mean, a little lower for the clamp at 7 KiB
      expect(states.reduce((a, b) => a + b, 0) / states.length).to.be.within(3200, 3800)
      for (const j of jobs) {
        expect(j.plan).to.have.length(j.length)
        expect(j.plan[j.length - 1]![1], 'the chain returns as much as it was given').to.equal(j.inputBytes)
        expect(j.entryIndex).to.be.within(0, 2)
        expect(j.keyIndex).to.be.within(0, 3)
      }
      expect(jobs.every((j) => j.plan.every((p) => p[1] === 3700)), 'a fixed argument size').to.equal(true)
      expect(drawLength({ min: 2, max: 4, weights: [0, 1, 0] }, seeded(1))).to.equal(3)
      expect(sample({ mean: 5, sigma: 0, min: 0, max: 10 }, seeded(1))).to.equal(5)
    })

    it('writes linear chain specs and inputs that state-step reads', function () {
      expect(chainSpec('state-step', 3).steps).to.deep.equal([
        { id: 's1', fn: 'state-step', state: true },
        { id: 's2', fn: 'state-step', after: ['s1'], state: true },
        { id: 's3', fn: 'state-step', after: ['s2'], state: true }
      ])
      const input = chainInput([[100, 200, 3000], [50, 10, 0]], 500)
      expect(input.byteLength).to.equal(500)
      const text = new TextDecoder().decode(input)
      expect(JSON.parse(text.slice(0, text.indexOf('\n')))).to.deep.equal({ i: 0, plan: [[100, 200, 3000], [50, 10, 0]] })
      expect(chainInput([[1, 1, 1]], 4).byteLength, 'never shorter than its header').to.be.greaterThan(4)
    })

    it('counts traffic as bytes x links crossed, by where each step ran and where the model keeps state', function () {
      const scenario = parseScenario(CHAINS)
      const nameOf = new Map([['P0', 'client-0'], ['P1', 'client-1'], ['P2', 'central-0']])
      const record = {
        chain: {
          locality: true,
          steps: [
            { id: 's1', executor: 'P2', bytesIn: 1000, bytesOut: 0, inputFrom: ['P0'], runMs: 4 },
            { id: 's2', executor: 'P2', bytesIn: 0, bytesOut: 500, inputFrom: ['P2'], runMs: 5 }
          ],
          traffic: { invoke: 1500, chainData: 0, state: 300 }
        }
      }
      const external = chainTraffic({ scenario, model: 'external', nameOf }, 'client-0', record)
      expect(external.executors).to.deep.equal(['central-0', 'central-0'])
      expect(external.trafficBytes).to.equal(1800)
      // input 1000 x 4 links up, output 500 x 4 back, state 300 x the database's 4
      expect(external.trafficHopBytes).to.equal(1000 * 4 + 500 * 4 + 300 * 4)
      const inClient = chainTraffic({ scenario, model: 'in-client', nameOf }, 'client-0', record)
      expect(inClient.trafficHopBytes, 'in-client state travels between the entry node and the executors').to.equal(6000 + 300 * 4)
      const local = chainTraffic({ scenario, model: 'in-function', nameOf }, 'client-0', { chain: { steps: [{ id: 's1', executor: 'P0', bytesIn: 0, bytesOut: 0, inputFrom: ['P0'] }], traffic: { invoke: 0, chainData: 0, state: 0 } } })
      expect(local.trafficHopBytes, 'a chain run where its data is moves nothing').to.equal(0)
      expect(chainTraffic({ scenario, model: 'in-edge', nameOf }, 'client-0', {}), 'no chain in the record').to.deep.equal({})
    })

    it('summarises per model and placement: quantiles, traffic per chain, steps per node', function () {
      const base = { run: 'external/network-aware@2/s', model: 'external' as const, placement: 'network-aware' as const, policy: 'auction' as const, rate: 2, at: 0, waitMs: 0, entry: 'client-0', key: 'k', chain: 'c', length: 2, stateBytes: 1, argBytes: 1, workMs: 1, status: 200 }
      const records: ChainJobRecord[] = [
        ...Array.from({ length: 99 }, (_, i) => ({ ...base, seq: i, outcome: 'ok', totalMs: i + 1, executors: ['central-0', 'client-1'], trafficBytes: 1000, trafficHopBytes: 4000 })),
        { ...base, seq: 99, status: 503, outcome: 'StateUnavailableError', totalMs: 5 },
        { ...base, run: 'in-edge/network-aware@2/s', model: 'in-edge', seq: 0, status: 0, outcome: 'lost', totalMs: 60_000 }
      ]
      const [external, inEdge] = summarizeChains(records, ['client-0', 'client-1', 'central-0'], new Map([['external/network-aware@2/s', 99 * 512]]))
      expect(external).to.deep.include({ model: 'external', placement: 'network-aware', count: 100, ok: 99, failed: 1, lost: 0, p50Ms: 50, p90Ms: 90, p99Ms: 99, meanMs: 50, trafficBytes: 1000, trafficHopBytes: 4000, databaseBytes: 512 })
      expect(external!.perNode).to.deep.equal({ 'client-0': 0, 'client-1': 99, 'central-0': 99 })
      expect(external!.errors).to.deep.equal({ StateUnavailableError: 1 })
      expect(inEdge).to.deep.include({ count: 1, ok: 0, lost: 1 })
      const table = chainSummaryTable([external!, inEdge!], ['client-0', 'client-1', 'central-0'])
      expect(table).to.match(/^model\s+placement\s+policy/)
      expect(table).to.include('3.9')
    })
  })
})
