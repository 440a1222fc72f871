import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { Registry } from 'prom-client'
import { executor, type RunnableModule } from '../src/executor/index.js'
import { sanitize } from '../src/sanitizer/sanitize.js'
import { executorContract } from './contracts/executor.js'
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
