/** The sample functions compute what their docs say, run through the real sandbox. */
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { FunctionNotFoundError } from '../src/errors.js'
import { executor, type Executor } from '../src/executor/index.js'
import { sanitize } from '../src/sanitizer/sanitize.js'
import { expectError } from './contracts/executor.js'
import { SAMPLES, wasm } from './support/paths.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('sample functions', function () {
  let exec: Executor
  const call = async (name: string, input: Uint8Array | string): Promise<Uint8Array> =>
    (await exec.invoke(name, typeof input === 'string' ? enc(input) : input)).output
  const json = async (name: string, input: string): Promise<any> => JSON.parse(new TextDecoder().decode(await call(name, input)))

  before(async function () {
    const modules = Object.fromEntries(SAMPLES.map((n) => [n, sanitize(wasm(n), { maxModuleBytes: 4 << 20, memoryPages: 256 })]))
    exec = executor({ slots: 1 })({
      logger: defaultLogger(),
      modules: { loadRunnable: async (cid) => { const m = modules[cid]; if (m == null) throw new FunctionNotFoundError(cid); return m } }
    })
    await exec.start()
  })

  after(async function () {
    await exec.stop()
  })

  it('hello greets the input, or the world', async function () {
    expect(new TextDecoder().decode(await call('hello', ' Ada \n'))).to.equal('Hello, Ada!')
    expect(new TextDecoder().decode(await call('hello', ''))).to.equal('Hello, world!')
  })

  it('fib computes Fibonacci numbers and rejects n out of range', async function () {
    expect(await json('fib', '20')).to.deep.equal({ n: 20, fib: 6765 })
    expect(await json('fib', '{"n": 1}')).to.deep.equal({ n: 1, fib: 1 })
    await expectError(exec.invoke('fib', enc('{"n": 100}')), 'GuestTrapError')
    await expectError(exec.invoke('fib', enc('"twenty"')), 'GuestTrapError')
  })

  it('sensor-stats summarises readings and flags z-score anomalies', async function () {
    const readings = [20, 21, 19, 20, 22, 21, 20, 19, 45, 20]
    const out = await json('sensor-stats', JSON.stringify({ readings, threshold: 2.5 }))
    const mean = readings.reduce((a, b) => a + b) / readings.length
    const stddev = Math.sqrt(readings.reduce((a, b) => a + (b - mean) ** 2, 0) / readings.length)
    expect(out.count).to.equal(10)
    expect(out.min).to.equal(19)
    expect(out.max).to.equal(45)
    expect(out.mean).to.be.closeTo(mean, 1e-9)
    expect(out.stddev).to.be.closeTo(stddev, 1e-9)
    expect(out.anomalies).to.have.length(1)
    expect(out.anomalies[0]).to.include({ index: 8, value: 45 })
    expect(out.anomalies[0].z).to.be.closeTo((45 - mean) / stddev, 1e-3)
    // a bare array works too, with the default threshold of 2
    expect((await json('sensor-stats', '[1, 1, 1, 1, 1, 1, 1, 1, 1, 10]')).anomalies).to.have.length(1)
    expect(await json('sensor-stats', '[]')).to.deep.include({ count: 0, anomalies: [] })
  })

  it('sensor-stats rejects malformed JSON as a guest error, not a crash', async function () {
    const err = await expectError(exec.invoke('sensor-stats', enc('[1, 2,')), 'GuestTrapError')
    expect(err.message).to.include('invalid JSON')
    await expectError(exec.invoke('sensor-stats', enc('[1, "x"]')), 'GuestTrapError')
  })

  it('wordcount counts lines, words, characters and the most frequent words', async function () {
    const out = await json('wordcount', 'The cat and the hat.\nThe end')
    expect(out).to.deep.include({ lines: 2, words: 7, chars: 28, unique: 5 })
    expect(out.top[0]).to.deep.equal({ word: 'the', count: 3 })
    expect(out.top.map((t: any) => t.word)).to.deep.equal(['the', 'and', 'cat', 'end', 'hat'])
  })

  it('checksum matches the standard check values of CRC-32, Adler-32 and FNV-1a', async function () {
    expect(await json('checksum', '123456789')).to.deep.equal({ bytes: 9, crc32: 'cbf43926', adler32: '091e01de', fnv1a64: '06d5573923c6cdfc' })
    expect(await json('checksum', '')).to.deep.equal({ bytes: 0, crc32: '00000000', adler32: '00000001', fnv1a64: 'cbf29ce484222325' })
  })

  it('threshold binarises a PGM image with Otsu\'s threshold', async function () {
    const width = 8
    const height = 2
    const pixels = [10, 12, 11, 13, 200, 210, 205, 199, 9, 14, 10, 12, 220, 201, 198, 203]
    const header = enc(`P5\n# test image\n${width} ${height}\n255\n`)
    const image = new Uint8Array([...header, ...pixels])
    const out = await call('threshold', image)
    const expectedHeader = enc(`P5\n${width} ${height}\n255\n`)
    expect([...out.slice(0, expectedHeader.length)]).to.deep.equal([...expectedHeader])
    expect([...out.slice(expectedHeader.length)]).to.deep.equal(pixels.map((p) => p > 100 ? 255 : 0))
    await expectError(exec.invoke('threshold', enc('P6\n1 1\n255\nx')), 'GuestTrapError')
  })
})
