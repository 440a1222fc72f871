/**
 * The chain samples (wasm-functions/README.md, Chains) compute what their docs say, run through
 * the real sandbox with the node's default limits: sensor-parse and sensor-alert, the ends of the
 * sensor-pipeline chain, the pipeline itself step by step as a chain feeds it (each step gets its
 * one predecessor's output bytes; baseline's state carried from call to call), and blob-step,
 * the benchmark's 256 KiB transform.
 */
import { expect } from 'chai'
import { DEFAULT_LIMITS, type Executor } from '../src/executor/index.js'
import { sanitize } from '../src/sanitizer/sanitize.js'
import { expectError } from './contracts/executor.js'
import { startExecutor } from './support/executors.js'
import { wasm } from './support/paths.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const NAMES = ['sensor-parse', 'sensor-baseline', 'sensor-alert', 'blob-step']
/** What the chains benchmark sends through every step. */
const BLOB_BYTES = 256 * 1024

describe('chain sample functions', function () {
  let exec: Executor
  const call = async (name: string, input: Uint8Array | string): Promise<Uint8Array> =>
    (await exec.invoke(name, typeof input === 'string' ? enc(input) : input)).output
  const json = async (name: string, input: string): Promise<any> => JSON.parse(dec(await call(name, input)))
  /** The GuestTrapError `input` must end in; its message must include every one of `parts`. */
  const rejects = async (name: string, input: string, ...parts: string[]): Promise<void> => {
    const err = await expectError(exec.invoke(name, enc(input)), 'GuestTrapError')
    for (const part of parts) expect(err.message, `${name} on ${JSON.stringify(input)}`).to.include(part)
  }

  before(async function () {
    const modules = Object.fromEntries(NAMES.map((n) => [n, sanitize(wasm(n), { maxModuleBytes: 4 << 20, memoryPages: DEFAULT_LIMITS.memoryPages })]))
    // no limits given: the node's defaults, as a daemon started without a config has them
    exec = await startExecutor(modules, { slots: 1 })
  })

  after(async function () {
    await exec?.stop()
  })

  describe('sensor-parse', function () {
    it('reads a CSV line, a JSON object or a bare number into {"sensor","value"}', async function () {
      expect(await json('sensor-parse', 's1,21.5')).to.deep.equal({ sensor: 's1', value: 21.5 })
      expect(await json('sensor-parse', '{"sensor":"s1","value":21.5}')).to.deep.equal({ sensor: 's1', value: 21.5 })
      expect(await json('sensor-parse', '{"value": -3, "sensor": "door 7", "unit": "C"}')).to.deep.equal({ sensor: 'door 7', value: -3 })
      expect(await json('sensor-parse', '21.5')).to.deep.equal({ sensor: 'default', value: 21.5 })
      // whitespace around the fields and a line ending are not part of the reading
      expect(await json('sensor-parse', '  hall-2 , -0.25e1 \r\n')).to.deep.equal({ sensor: 'hall-2', value: -2.5 })
      expect(await json('sensor-parse', 's1,.5')).to.deep.equal({ sensor: 's1', value: 0.5 })
      expect(await json('sensor-parse', 's1,40')).to.deep.equal({ sensor: 's1', value: 40 })
      // the output is exactly what sensor-baseline reads
      expect(dec(await call('sensor-parse', 's1,21.5\n'))).to.equal('{"sensor":"s1","value":21.5}')
    })

    it('aborts on a malformed reading with a message naming what is wrong', async function () {
      await rejects('sensor-parse', '', 'empty input')
      await rejects('sensor-parse', '  \n', 'empty input')
      await rejects('sensor-parse', 'hot', 'not a number', '"hot"', 's1,21.5')
      await rejects('sensor-parse', 's1,', 'not a number')
      await rejects('sensor-parse', 's1,21.5abc', 'not a number', '"21.5abc"')
      await rejects('sensor-parse', 's1,0x10', 'not a number')
      await rejects('sensor-parse', 's1,Infinity', 'not a number')
      await rejects('sensor-parse', 's1,1e', 'not a number')
      await rejects('sensor-parse', 's1,1e999', 'finite')
      await rejects('sensor-parse', ',21.5', 'sensor name is empty')
      await rejects('sensor-parse', 's1,21.5,C', '2 fields', 'got 3')
      await rejects('sensor-parse', 's1,21.5\ns2,22', 'one reading per call')
      await rejects('sensor-parse', '{"sensor":"s1"}', '"value" must be a number')
      await rejects('sensor-parse', '{"sensor":"s1","value":"21.5"}', '"value" must be a number')
      await rejects('sensor-parse', '{"sensor":7,"value":1}', '"sensor" must be a string')
      await rejects('sensor-parse', '{"sensor":"a\\u0001b","value":1}', 'control character')
      await rejects('sensor-parse', '{"sensor":"s1",', 'invalid JSON')
      await rejects('sensor-parse', `${'x'.repeat(65)},1`, 'longer than 64')
    })
  })

  describe('sensor-alert', function () {
    const verdict = (fields: Record<string, unknown> = {}): string =>
      JSON.stringify({ sensor: 's1', value: 21.3, mean: 21.06, stddev: 0.14, count: 11, anomaly: false, z: 1.89, ...fields })

    it('passes a normal reading as level ok, with the baseline in words', async function () {
      expect(await json('sensor-alert', verdict())).to.deep.equal({
        sensor: 's1', value: 21.3, alert: false, level: 'ok', message: 's1: 21.3 is within its baseline (z 1.89, now mean 21.06, stddev 0.14 over 11 readings)'
      })
    })

    it('raises an anomaly above or below the baseline, and one from a baseline with no spread', async function () {
      expect(await json('sensor-alert', verdict({ value: 25, mean: 21.345, stddev: 1.1349, count: 12, anomaly: true, z: 4.214 }))).to.deep.equal({
        sensor: 's1', value: 25, alert: true, level: 'anomaly', message: 's1: 25 is 4.21 standard deviations above its baseline (now mean 21.35, stddev 1.13 over 12 readings)'
      })
      const below = await json('sensor-alert', verdict({ value: 12, anomaly: true, z: -6.5 }))
      expect(below).to.include({ alert: true, level: 'anomaly' })
      expect(below.message).to.include('6.5 standard deviations below')
      const flat = await json('sensor-alert', verdict({ value: 8, mean: 7.17, stddev: 2.04, count: 6, anomaly: true, z: null }))
      expect(flat).to.include({ alert: true, level: 'anomaly' })
      expect(flat.message).to.equal('s1: 8 differs from a baseline with no spread (now mean 7.17, stddev 2.04 over 6 readings)')
    })

    it('says the baseline is still learning while it has too few readings', async function () {
      const out = await json('sensor-alert', verdict({ value: 30, count: 3, z: 0.7 }))
      expect(out).to.deep.equal({ sensor: 's1', value: 30, alert: false, level: 'ok', message: 's1: 30 recorded; learning the baseline (3 of 5 readings before alerts)' })
    })

    it('aborts on input that is not sensor-baseline\'s output, naming the field', async function () {
      await rejects('sensor-alert', '[1, 2]', 'expects sensor-baseline')
      await rejects('sensor-alert', '{"sensor":"s1","value":21.5}', '"mean" is missing')
      await rejects('sensor-alert', verdict({ anomaly: 'yes' }), '"anomaly" must be true or false')
      await rejects('sensor-alert', verdict({ count: '11' }), '"count" must be a number')
      await rejects('sensor-alert', verdict({ sensor: null }), '"sensor" must be a string')
      await rejects('sensor-alert', verdict({ z: 'high' }), '"z" must be a number or null')
      await rejects('sensor-alert', 'not json', 'invalid JSON')
    })
  })

  describe('the sensor-pipeline, step by step', function () {
    it('parse -> baseline (with state) -> alert raises exactly one alert, on the spike', async function () {
      let state = new Map<string, Uint8Array>()
      const pipeline = async (line: string): Promise<any> => {
        // a step with one predecessor gets its output bytes, untouched
        const parsed = await call('sensor-parse', line)
        const baseline = await exec.invoke('sensor-baseline', parsed, { state: { entries: state, maxBytes: 1 << 20 } })
        const next = new Map(state)
        for (const [k, v] of baseline.writes!) {
          if (v == null) next.delete(k)
          else next.set(k, v)
        }
        state = next
        return JSON.parse(dec(await call('sensor-alert', baseline.output)))
      }
      const steady = ['21.0', '21.2', '20.9', '21.1', '21.0', '20.8', '21.2', '21.1', '20.9', '21.0', '21.3']
      const outs = []
      for (const [i, value] of steady.entries()) outs.push(await pipeline(i % 2 === 0 ? `s1,${value}` : `{"sensor":"s1","value":${value}}`))
      expect(outs.map((o) => o.level)).to.deep.equal(steady.map(() => 'ok'))
      expect(outs[2].message).to.include('learning the baseline')
      expect(outs[10].message).to.match(/^s1: 21\.3 is within its baseline \(z [\d.]+, now mean 21\.05, stddev 0\.15 over 11 readings\)$/)
      const spike = await pipeline('s1,25\n')
      expect(spike).to.include({ sensor: 's1', value: 25, alert: true, level: 'anomaly' })
      expect(spike.message).to.match(/^s1: 25 is [\d.]+ standard deviations above its baseline \(now mean 21\.3\d?, stddev [\d.]+ over 12 readings\)$/)
      expect([...state.keys()]).to.deep.equal(['baseline:s1'])
    })
  })

  describe('blob-step', function () {
    it('the node\'s default input and output caps carry the benchmark\'s 256 KiB', function () {
      expect(exec.limits.maxInputBytes).to.equal(DEFAULT_LIMITS.maxInputBytes)
      expect(DEFAULT_LIMITS.maxInputBytes).to.be.at.least(BLOB_BYTES)
      expect(DEFAULT_LIMITS.maxOutputBytes).to.be.at.least(BLOB_BYTES)
    })

    it('adds 1 to every byte, mod 256, and keeps the size: 256 KiB and sizes that are not a multiple of 8', async function () {
      for (const size of [BLOB_BYTES, BLOB_BYTES + 5, 7, 1, 0]) {
        const input = new Uint8Array(size)
        for (let i = 0; i < size; i++) input[i] = (i * 7 + (i >> 8)) & 0xff
        const result = await exec.invoke('blob-step', input)
        expect(result.output.byteLength, `size ${size}`).to.equal(size)
        let wrong = -1
        for (let i = 0; i < size && wrong < 0; i++) if (result.output[i] !== ((input[i]! + 1) & 0xff)) wrong = i
        expect(wrong, `size ${size}: first wrong byte`).to.equal(-1)
      }
    })

    it('five steps in a row, as the benchmark chain runs them, add 5 to every byte, cheaply', async function () {
      let data: Uint8Array = new Uint8Array(BLOB_BYTES).fill(0xfd)
      data[1] = 0x7f
      data[2] = 0x80
      let fuel = 0
      for (let step = 0; step < 5; step++) {
        const result = await exec.invoke('blob-step', data)
        fuel += result.fuelUsed
        data = result.output
      }
      expect(data.byteLength).to.equal(BLOB_BYTES)
      expect([data[0], data[1], data[2], data[BLOB_BYTES - 1]]).to.deep.equal([0x02, 0x84, 0x85, 0x02])
      expect(data.every((b, i) => i === 1 || i === 2 || b === 0x02)).to.equal(true)
      // a few instructions per 8 bytes: far below the 1e9 budget of one call
      expect(fuel / 5).to.be.below(DEFAULT_LIMITS.fuel / 100)
    })

    it('refuses an input over the node\'s cap, as any function does', async function () {
      await expectError(exec.invoke('blob-step', new Uint8Array(DEFAULT_LIMITS.maxInputBytes + 1)), 'PayloadTooLargeError')
    })
  })
})
