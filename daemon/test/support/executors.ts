/** A started executor whose modules come from a table, for tests that run functions directly. */
import { defaultLogger } from '@libp2p/logger'
import { FunctionNotFoundError } from '../../src/errors.js'
import { executor, type Executor, type ExecutorInit, type RunnableModule } from '../../src/executor/index.js'

export async function startExecutor (modules: Record<string, RunnableModule>, init: ExecutorInit): Promise<Executor> {
  const exec = executor(init)({
    logger: defaultLogger(),
    modules: {
      async loadRunnable (cid) {
        const m = modules[cid]
        if (m == null) throw new FunctionNotFoundError(cid)
        return m
      }
    }
  })
  await exec.start()
  return exec
}
