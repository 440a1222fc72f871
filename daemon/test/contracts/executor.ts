/**
 * The Executor contract: every implementation must pass these. Each case asserts the outcome by
 * error name and bounds the time it may take.
 */
import { expect } from 'chai'
import type { Executor, ExecutionLimits, RunnableModule } from '../../src/executor/index.js'

export interface ExecutorSetup {
  /** Creates a started executor whose module source knows the given CIDs. */
  create(modules: Record<string, RunnableModule>, options: { slots: number, limits: Partial<ExecutionLimits> }): Promise<Executor>
  /** A runnable module for a built function name (`hello`, `hostile/loop`). */
  module(name: string): RunnableModule
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

export async function expectError (promise: Promise<unknown>, name: string): Promise<Error> {
  try {
    await promise
  } catch (err: any) {
    expect(err?.name, `expected ${name}, got ${err?.name}: ${err?.message}`).to.equal(name)
    return err
  }
  throw new Error(`expected ${name}, but it succeeded`)
}

export function executorContract (setup: ExecutorSetup): void {
  describe('Executor contract', function () {
    let exec: Executor
    const TIMEOUT_MS = 800

    before(async function () {
      const modules: Record<string, RunnableModule> = {}
      for (const name of ['hello', 'fib', 'fixtures/context', 'hostile/loop', 'hostile/start-loop', 'hostile/memory-bomb', 'hostile/trap', 'hostile/stack-overflow']) {
        modules[name] = setup.module(name)
      }
      // fuel high enough that the wall clock, not the fuel, stops the runaway loops
      exec = await setup.create(modules, { slots: 2, limits: { timeoutMs: TIMEOUT_MS, fuel: 1e12, memoryPages: 64, maxInputBytes: 4096, maxOutputBytes: 64 } })
    })

    after(async function () {
      await exec?.stop()
    })

    it('runs a function: bytes in, bytes out', async function () {
      const result = await exec.invoke('hello', enc('world'))
      expect(dec(result.output)).to.equal('Hello, world!')
      expect(result.fuelUsed).to.be.greaterThan(0)
    })

    it('compiles once per CID: the first call is cold, the next warm', async function () {
      const first = await exec.invoke('fib', enc('10'))
      const second = await exec.invoke('fib', enc('10'))
      expect(first.cold).to.equal(true)
      expect(second.cold).to.equal(false)
      expect(exec.isWarm('fib')).to.equal(true)
      expect(dec(second.output)).to.equal('{"n":10,"fib":55}')
    })

    it('gives every invocation a fresh instance: fuel used is identical call after call', async function () {
      const runs = await Promise.all([1, 2, 3].map(async () => exec.invoke('fib', enc('15'))))
      expect(new Set(runs.map((r) => r.fuelUsed)).size).to.equal(1)
    })

    it('stops a runaway loop at the wall-clock timeout with ExecutionTimeoutError', async function () {
      const started = Date.now()
      await expectError(exec.invoke('hostile/loop', enc('')), 'ExecutionTimeoutError')
      expect(Date.now() - started).to.be.within(TIMEOUT_MS - 50, TIMEOUT_MS + 1500)
    })

    it('stops a loop in the start function the same way', async function () {
      const started = Date.now()
      await expectError(exec.invoke('hostile/start-loop', enc('')), 'ExecutionTimeoutError')
      expect(Date.now() - started).to.be.lessThan(TIMEOUT_MS + 1500)
    })

    it('keeps serving other invocations while a runaway one holds a slot', async function () {
      const runaway = exec.invoke('hostile/loop', enc(''))
      runaway.catch(() => {})
      const started = Date.now()
      for (let i = 0; i < 5; i++) expect(dec((await exec.invoke('hello', enc(String(i)))).output)).to.equal(`Hello, ${i}!`)
      expect(Date.now() - started, 'hello waited for the runaway loop').to.be.lessThan(TIMEOUT_MS / 2)
      await expectError(runaway, 'ExecutionTimeoutError')
      // and the terminated worker's slot is back
      expect(dec((await exec.invoke('hello', enc('again'))).output)).to.equal('Hello, again!')
    })

    it('stops a memory bomb at the memory cap with OutOfMemoryError', async function () {
      await expectError(exec.invoke('hostile/memory-bomb', enc('')), 'OutOfMemoryError')
    })

    it('reports a guest abort as GuestTrapError with its message', async function () {
      const err = await expectError(exec.invoke('hostile/trap', enc('')), 'GuestTrapError')
      expect(err.message).to.include('this function always fails')
    })

    it('reports unbounded recursion as GuestTrapError', async function () {
      const err = await expectError(exec.invoke('hostile/stack-overflow', enc('')), 'GuestTrapError')
      expect(err.message).to.include('stack overflow')
    })

    it('stops a function that exhausts its fuel with OutOfFuelError', async function () {
      await expectError(exec.invoke('fib', enc('30'), { limits: { fuel: 100_000 } }), 'OutOfFuelError')
    })

    it('refuses an input over the cap with PayloadTooLargeError', async function () {
      await expectError(exec.invoke('hello', new Uint8Array(4097)), 'PayloadTooLargeError')
    })

    it('refuses an output over the cap with PayloadTooLargeError, checked before copying', async function () {
      // "Hello, " + 60 chars + "!" is 68 bytes, over the 64-byte cap
      await expectError(exec.invoke('hello', enc('x'.repeat(60))), 'PayloadTooLargeError')
      expect(dec((await exec.invoke('hello', enc('x'.repeat(50)))).output)).to.have.length(58)
    })

    it('lets a function ask for less time than the node allows, never more', async function () {
      const started = Date.now()
      await expectError(exec.invoke('hostile/loop', enc(''), { limits: { timeoutMs: 200 } }), 'ExecutionTimeoutError')
      expect(Date.now() - started).to.be.lessThan(TIMEOUT_MS)
      expect(exec.limits.timeoutMs).to.equal(TIMEOUT_MS)
    })

    it('cancels on abort: the caller gets the signal reason and the slot is freed', async function () {
      const controller = new AbortController()
      const reason = new Error('caller gave up')
      reason.name = 'DeadlineExceededError'
      setTimeout(() => { controller.abort(reason) }, 100)
      const started = Date.now()
      await expectError(exec.invoke('hostile/loop', enc(''), { signal: controller.signal }), 'DeadlineExceededError')
      expect(Date.now() - started).to.be.lessThan(TIMEOUT_MS)
      expect(dec((await exec.invoke('hello', enc('after'))).output)).to.equal('Hello, after!')
    })

    it('hands the guest the seed and clock of the invocation context', async function () {
      const context = { seed: 42, nowMs: 1_700_000_000_000 }
      const a = JSON.parse(dec((await exec.invoke('fixtures/context', enc(''), { context })).output))
      const b = JSON.parse(dec((await exec.invoke('fixtures/context', enc(''), { context })).output))
      const c = JSON.parse(dec((await exec.invoke('fixtures/context', enc(''), { context: { ...context, seed: 43 } })).output))
      expect(a).to.deep.equal(b)
      expect(a.now).to.equal(context.nowMs)
      expect(a.random).to.be.within(0, 1)
      expect(c.random).to.not.equal(a.random)
    })

    it('returns what the guest logged through the host API', async function () {
      const result = await exec.invoke('fixtures/context', enc('abc'))
      expect(result.logs).to.deep.equal(['context fixture called with 3 bytes'])
    })

    it('fails an unknown CID with the source\'s FunctionNotFoundError', async function () {
      await expectError(exec.invoke('no-such-cid', enc('')), 'FunctionNotFoundError')
    })
  })
}
