/**
 * Issue 15, item 6: a node group's `power` (an emulated battery) in the scenario format:
 * parsed, validated with named paths like every other field, and handed to the daemons as
 * their power.* config. The shipped battery scenarios are valid and differ only in it.
 */
import { expect } from 'chai'
import { loadScenario, parseScenario, powerEnv } from '../src/scenario.js'

const base = (power?: unknown): unknown => ({
  name: 'p',
  nodes: [{ name: 'mains', count: 2 }, { name: 'battery', count: 1, ...(power !== undefined ? { power } : {}) }],
  functions: [{ name: 'fib', wasm: 'build/fib.wasm' }],
  workload: { mix: [{ function: 'fib', input: '20' }], load: [0.5] }
})

function errorsOf (raw: unknown): string[] {
  try {
    parseScenario(raw)
  } catch (err: any) {
    expect(err.name).to.equal('InvalidScenarioError')
    return String(err.message).split('\n')
  }
  return []
}

describe('testbed scenarios: a group\'s power', function () {
  it('parses a battery level and threshold, and leaves groups without one on their host\'s power', function () {
    const s = parseScenario(base({ batteryPercent: 30, declineBelowPercent: 25 }))
    expect(s.nodes[1]!.power).to.deep.equal({ batteryPercent: 30, declineBelowPercent: 25 })
    expect(s.nodes[0]).to.not.have.property('power')
    expect(powerEnv(s.nodes[1]!)).to.deep.equal({ FAASMESH_POWER_BATTERY_PERCENT: '30', FAASMESH_POWER_DECLINE_BELOW_PERCENT: '25' })
    expect(powerEnv(s.nodes[0]!)).to.deep.equal({})
    expect(powerEnv(parseScenario(base({ batteryPercent: 0 })).nodes[1]!), 'an empty battery is a level').to.deep.equal({ FAASMESH_POWER_BATTERY_PERCENT: '0' })
  })

  it('names every bad power field with its path', function () {
    expect(errorsOf(base({ batteryPercent: 101 }))).to.deep.equal(['nodes[1].power.batteryPercent: expected an integer from 0 to 100, got 101'])
    expect(errorsOf(base({ batteryPercent: 30.5 }))).to.deep.equal(['nodes[1].power.batteryPercent: expected an integer from 0 to 100, got 30.5'])
    expect(errorsOf(base({}))).to.deep.equal(['nodes[1].power.batteryPercent: expected an integer from 0 to 100, got undefined'])
    expect(errorsOf(base({ batteryPercent: 30, declineBelowPercent: -1, volts: 12 }))).to.have.members([
      'nodes[1].power.volts: unknown field (batteryPercent, declineBelowPercent)',
      'nodes[1].power.declineBelowPercent: expected an integer from 0 to 100, got -1'
    ])
    expect(errorsOf(base('battery'))).to.deep.equal(['nodes[1].power: expected a mapping'])
  })

  it('ships battery.yaml and its all-mains baseline, alike but for the battery group\'s power', async function () {
    for (const quick of [false, true]) {
      const battery = await loadScenario('testbed/scenarios/battery.yaml', { quick })
      const mains = await loadScenario('testbed/scenarios/battery-mains.yaml', { quick })
      expect(battery.nodes.map((g) => g.power)).to.deep.equal([undefined, { batteryPercent: 30 }])
      expect(mains.nodes.every((g) => g.power == null)).to.equal(true)
      const strip = (s: typeof battery): unknown => ({ ...s, name: '', description: '', nodes: s.nodes.map((g) => ({ ...g, tags: {}, power: undefined })) })
      expect(strip(battery)).to.deep.equal(strip(mains))
    }
  })
})
