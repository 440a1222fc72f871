/**
 * The sanitizer's process pool (docs/sandbox.md, "Sanitizer isolation"): each job alone in a
 * process, its time limit counting only its own work, its memory capped, a bounded queue, and
 * one job's timeout, crash or cancellation never reaching another.
 */
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { sanitizer, type Sanitizer, type SanitizerInit } from '../src/sanitizer/index.js'
import { expectError } from './contracts/executor.js'
import { worstCaseModule } from './support/hostile-modules.js'
import { wasm } from './support/paths.js'
import { waitFor } from './support/wait.js'

const LIMITS = { maxModuleBytes: 4 << 20, memoryPages: 256, maxTableEntries: 65_536 }
/** Within every bound, but seconds of binaryen work: 2,000 functions of metered loops, 256 KiB. */
const SLOW = worstCaseModule('loops', 2000, 256 << 10)
/** Within every bound, and over 48 MiB of binaryen memory: 2 MiB of constants. */
const LARGE = worstCaseModule('constants', 20_000, 2 << 20)

describe('sanitizer isolation (a process per job)', function () {
  this.timeout(120_000)
  const started: Sanitizer[] = []
  const make = (init: SanitizerInit): Sanitizer => {
    const s = sanitizer(init)({ logger: defaultLogger() })
    started.push(s)
    return s
  }

  after(async function () {
    await Promise.all(started.map(async (s) => { await s.stop() }))
  })

  it('prepare() starts one process ahead of the first job, which then runs on it; a second prepare() starts none', async function () {
    const s = make({})
    expect(s.stats().idle).to.equal(0)
    s.prepare()
    s.prepare()
    expect(s.stats().idle).to.equal(1)
    expect((await s.sanitize(wasm('hello'), LIMITS)).bytes.byteLength).to.be.greaterThan(0)
    // the job took the prepared process and gave it back: still one, none replaced
    expect(s.stats()).to.include({ idle: 1, running: 0, replaced: 0 })
    s.prepare()
    expect(s.stats().idle).to.equal(1)
  })

  it('counts only a job\'s own work against its time: a module queued behind a slow one still gets its whole time', async function () {
    // hello needs tens of ms of its own; it waits behind SLOW for longer than the limit
    const s = make({ timeoutMs: 500, concurrency: 1 })
    const slow = s.sanitize(SLOW, LIMITS)
    const honest = s.sanitize(wasm('hello'), LIMITS)
    const err = await expectError(slow, 'InvalidModuleError')
    expect(err.message).to.include('within 500 ms')
    expect((await honest).bytes.byteLength).to.be.greaterThan(0)
  })

  it('ends only the cancelled job: the caller gets its reason, the next job in line succeeds', async function () {
    const s = make({ concurrency: 1 })
    const controller = new AbortController()
    const slow = s.sanitize(SLOW, LIMITS, { signal: controller.signal })
    const honest = s.sanitize(wasm('fib'), LIMITS)
    await waitFor(() => s.stats().running === 1, 10_000)
    const reason = new Error('the deploying client went away')
    reason.name = 'AbortError'
    controller.abort(reason)
    expect(await slow.then(() => undefined, (e: unknown) => e)).to.equal(reason)
    expect((await honest).bytes.byteLength).to.be.greaterThan(0)
    // the cancelled job's process may still have been starting (its caller is answered at once):
    // it is replaced once its start-up ends, which on a loaded host can come after the next job
    await waitFor(() => s.stats().replaced === 1, 10_000, 'the cancelled job\'s process to be replaced')
    expect(s.stats().replaced).to.equal(1)
  })

  it('refuses jobs beyond the queue bound with NoCapacityError, and runs the ones it took', async function () {
    const s = make({ concurrency: 1, maxQueue: 1 })
    const controller = new AbortController()
    const running = s.sanitize(SLOW, LIMITS, { signal: controller.signal })
    running.catch(() => {})
    await waitFor(() => s.stats().running === 1, 10_000)
    const queued = s.sanitize(wasm('hello'), LIMITS)
    await expectError(s.sanitize(wasm('fib'), LIMITS), 'NoCapacityError')
    controller.abort()
    expect((await queued).bytes.byteLength).to.be.greaterThan(0)
  })

  it('caps the instrumenter\'s memory: a module that needs more is refused naming the cap, and the next one succeeds', async function () {
    const s = make({ memoryMb: 48, timeoutMs: 60_000 })
    const err = await expectError(s.sanitize(LARGE, LIMITS), 'InvalidModuleError')
    expect(err.message).to.include('48 MiB')
    expect((await s.sanitize(wasm('hello'), LIMITS)).bytes.byteLength).to.be.greaterThan(0)
  })

  it('gives memory back: a process left large after a job is replaced, and the next job runs on a fresh one', async function () {
    const s = make({ recycleRssMb: 1 })
    await s.sanitize(wasm('hello'), LIMITS)
    expect(s.stats()).to.include({ replaced: 1, idle: 0 })
    await s.sanitize(wasm('hello'), LIMITS)
    expect(s.stats().replaced).to.equal(2)
  })
})
