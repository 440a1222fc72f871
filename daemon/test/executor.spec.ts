import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { Registry } from 'prom-client'
import { executor, type RunnableModule } from '../src/executor/index.js'
import { MAX_FUNCTION_LABELS } from '../src/executor/executor.js'
import { OTHER_LABEL } from '../src/utils/bounded-labels.js'
import { sanitize } from '../src/sanitizer/sanitize.js'
import { executorContract, expectError } from './contracts/executor.js'
import { wasm } from './support/paths.js'
import { startExecutor } from './support/executors.js'
import { waitFor } from './support/wait.js'

const sanitized = (name: string): RunnableModule => sanitize(wasm(name), { maxModuleBytes: 4 << 20, memoryPages: 4096 })

describe('executor (worker pool)', function () {
  executorContract({
    async create (modules, { slots, limits }) {
      return startExecutor(modules, { slots, spares: 1, limits })
    },
    module: sanitized
  })

  it('queues invocations beyond its slots and refuses past the queue bound with NoCapacityError', async function () {
    const loop = sanitized('hostile/loop')
    const exec = executor({ slots: 1, spares: 0, maxQueue: 1, limits: { timeoutMs: 500, fuel: 1e12 } })({
      logger: defaultLogger(),
      modules: { loadRunnable: async () => loop }
    })
    await exec.start()
    try {
      const first = exec.invoke('loop', new Uint8Array())
      first.catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 50))
      const queued = exec.invoke('loop', new Uint8Array())
      queued.catch(() => {})
      await waitFor(() => exec.stats().queued === 1, 2000)
      try {
        await exec.invoke('loop', new Uint8Array())
        expect.fail('a third invocation should be refused')
      } catch (err: any) {
        expect(err.name).to.equal('NoCapacityError')
      }
      for (const p of [first, queued]) {
        try { await p } catch (err: any) { expect(err.name).to.equal('ExecutionTimeoutError') }
      }
      expect(exec.stats().replaced).to.equal(2)
    } finally {
      await exec.stop()
    }
  })

  it('records invocations, outcomes, cold starts and pool state as Prometheus metrics', async function () {
    const registry = new Registry()
    const hello = sanitized('hello')
    const trap = sanitized('hostile/trap')
    const exec = executor({ slots: 1, spares: 0 })({
      logger: defaultLogger(),
      registry,
      modules: { loadRunnable: async (cid) => cid === 'trap' ? trap : hello }
    })
    await exec.start()
    try {
      await exec.invoke('hello', new Uint8Array())
      await exec.invoke('hello', new Uint8Array())
      await exec.invoke('trap', new Uint8Array()).catch(() => {})
      const text = await registry.metrics()
      expect(text).to.match(/faasmesh_executor_invocations_total\{function="hello",outcome="ok"\} 2/)
      expect(text).to.match(/faasmesh_executor_invocations_total\{function="trap",outcome="GuestTrapError"\} 1/)
      expect(text).to.match(/faasmesh_executor_starts_total\{kind="cold"\} 2/)
      expect(text).to.match(/faasmesh_executor_starts_total\{kind="warm"\} 1/)
      expect(text).to.match(/faasmesh_executor_pool_workers\{state="idle"\} 1/)
      expect(text).to.match(/faasmesh_executor_duration_seconds_count\{outcome="ok"\} 2/)
    } finally {
      await exec.stop()
    }
  })

  it('stopped under running and queued invocations, ends them with NodeStoppingError, never a function error, and quarantines nothing', async function () {
    this.timeout(60_000)
    const registry = new Registry()
    const loop = sanitized('hostile/loop')
    const exec = executor({ slots: 1, spares: 0, maxQueue: 4, limits: { timeoutMs: 20_000, fuel: 1e12 } })({
      logger: defaultLogger(),
      registry,
      modules: { loadRunnable: async () => loop }
    })
    try {
      // twice: two deaths of its sandbox would put the function in quarantine
      for (let round = 0; round < 2; round++) {
        await exec.start()
        const running = exec.invoke('loop', new Uint8Array())
        running.catch(() => {})
        await waitFor(() => exec.stats().busy === 1, 10_000, 'the loop to run')
        const queued = exec.invoke('loop', new Uint8Array())
        queued.catch(() => {})
        await waitFor(() => exec.stats().queued === 1, 10_000, 'a queued call')
        const stopped = exec.stop()
        // refused at once from the moment stop() begins
        await expectError(exec.invoke('loop', new Uint8Array()), 'NodeStoppingError')
        await stopped
        await expectError(running, 'NodeStoppingError')
        await expectError(queued, 'NodeStoppingError')
        await expectError(exec.invoke('loop', new Uint8Array()), 'NodeStoppingError')
      }
      // not in quarantine (that would refuse it with GuestTrapError): it runs into its own timeout
      await exec.start()
      await expectError(exec.invoke('loop', new Uint8Array(), { limits: { timeoutMs: 200 } }), 'ExecutionTimeoutError')
      const text = await registry.metrics()
      // the running and the queued call of each round; calls refused at the door are not runs
      expect(text).to.match(/faasmesh_executor_invocations_total\{function="loop",outcome="NodeStoppingError"\} 4\n/)
      expect(text).not.to.match(/GuestTrapError|OutOfMemoryError/)
    } finally {
      await exec.stop()
    }
  })

  it(`keeps at most ${MAX_FUNCTION_LABELS} function labels; later CIDs count as "${OTHER_LABEL}"`, async function () {
    const registry = new Registry()
    const exec = executor({ slots: 1, spares: 0, limits: { maxInputBytes: 1 } })({
      logger: defaultLogger(),
      registry,
      modules: { loadRunnable: async () => sanitized('hello') }
    })
    await exec.start()
    try {
      const extra = 20
      // every CID is counted, whatever the outcome: too large an input is refused before any load
      for (let i = 0; i < MAX_FUNCTION_LABELS + extra; i++) await expectError(exec.invoke(`cid-${i}`, new Uint8Array(2)), 'PayloadTooLargeError')
      await expectError(exec.invoke('cid-0', new Uint8Array(2)), 'PayloadTooLargeError')
      const text = await registry.metrics()
      const labels = new Set([...text.matchAll(/faasmesh_executor_invocations_total\{function="([^"]*)"/g)].map((m) => m[1]))
      expect(labels.size).to.equal(MAX_FUNCTION_LABELS + 1)
      expect(text).to.match(new RegExp(`faasmesh_executor_invocations_total\\{function="${OTHER_LABEL}",outcome="PayloadTooLargeError"\\} ${extra}\n`))
      expect(text).to.match(/faasmesh_executor_invocations_total\{function="cid-0",outcome="PayloadTooLargeError"\} 2\n/)
    } finally {
      await exec.stop()
    }
  })

  it('shares one compile between concurrent cold invocations of a CID', async function () {
    const hello = sanitized('hello')
    let loads = 0
    const exec = executor({ slots: 2, spares: 0 })({
      logger: defaultLogger(),
      modules: { loadRunnable: async () => { loads++; return hello } }
    })
    await exec.start()
    try {
      await Promise.all(Array.from({ length: 6 }, async () => exec.invoke('hello', new Uint8Array())))
      expect(loads).to.equal(1)
    } finally {
      await exec.stop()
    }
  })
})
