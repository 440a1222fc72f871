/**
 * The executor's sandbox work (`run`: fresh instance, fuel, marshaling) hosted in a worker
 * thread instead of a process: the design before process isolation, kept here only as the
 * same-run baseline that prices the process boundary (docs/performance.md).
 */
import { parentPort, Worker } from 'node:worker_threads'
import { run } from '../daemon/src/executor/run.js'
import type { RunRequest, RunResponse } from '../daemon/src/executor/messages.js'

if (parentPort != null) {
  const port = parentPort
  port.on('message', (request: RunRequest & { id: number }) => {
    const response = run(request)
    port.postMessage({ ...response, id: request.id }, response.ok ? [response.output.buffer as ArrayBuffer] : [])
  })
}

/** A started worker thread running `run`, one call at a time. */
export async function threadSandbox (): Promise<{ call(request: RunRequest): Promise<RunResponse>, stop(): Promise<void> }> {
  const worker = new Worker(new URL(import.meta.url))
  await new Promise((resolve) => worker.once('online', resolve))
  let next = 0
  const pending = new Map<number, (r: RunResponse) => void>()
  worker.on('message', (m: RunResponse & { id: number }) => { pending.get(m.id)?.(m); pending.delete(m.id) })
  return {
    async call (request) {
      const id = next++
      return new Promise((resolve) => {
        pending.set(id, resolve)
        worker.postMessage({ ...request, id })
      })
    },
    async stop () { await worker.terminate() }
  }
}
