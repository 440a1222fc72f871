/**
 * The scenario format and the pieces of a run that decide on their own: validation with named
 * paths, the quick variant, links and partitions, seeded arrivals, summaries.
 */
import { expect } from 'chai'
import { linkBetween, linkState } from '../src/links.js'
import { summarize } from '../src/results.js'
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
    for (const name of ['policies-hetero', 'edge-cloud-sweep', 'churn', 'links-50ms']) {
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
})
