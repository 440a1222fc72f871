/**
 * The executor against raw in-process WebAssembly, same functions, same run:
 * - cold start: compile + instantiate + first call (unique bytes each time, so V8's module
 *   cache cannot help either side);
 * - warm invocation: the executor's full path (send to a sandbox process, fresh instance, metered
 *   call, copy back) against a raw call on a fresh in-process instance and on a reused one, and
 *   and, to price the process boundary alone, the sandbox's work (`run`) sent to one sandbox
 *   process against the same work sent to a worker thread, both without the executor around them;
 * - fuel metering overhead: the same CPU-bound work instrumented and not, both in-process.
 */
import { defaultLogger } from '@libp2p/logger'
import { executor, type RunnableModule } from '../daemon/src/executor/index.js'
import { sanitize } from '../daemon/src/sanitizer/sanitize.js'
import { rawInstantiate } from './raw-call.js'
import { threadSandbox } from './thread-sandbox.js'
import { sample, summarize, uniqueBytes } from './stats.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ProcessChannel } from '../daemon/src/utils/process-channel.js'
import type { RunRequest, RunResponse } from '../daemon/src/executor/messages.js'
import type { Row } from './report.js'

const LIMITS = { maxModuleBytes: 4 << 20, memoryPages: 256 }
const SANDBOX_URL = new URL('../daemon/src/executor/sandbox-process.js', import.meta.url)

export async function benchExecutor (root: string, quick: boolean): Promise<Row[]> {
  const rows: Row[] = []
  const load = (name: string): Uint8Array => readFileSync(join(root, 'build', `${name}.wasm`))
  const hello = load('hello')
  const input = new TextEncoder().encode('world')
  const N = quick ? 200 : 2000
  const COLD_N = quick ? 50 : 300

  // cold start: each iteration a module V8 has never seen
  const coldModules = new Map<string, RunnableModule>()
  for (let i = 0; i < COLD_N + 20; i++) coldModules.set(`cold-${i}`, sanitize(uniqueBytes(hello, i), LIMITS))
  const exec = executor({ slots: 1, spares: 1 })({
    logger: defaultLogger(),
    modules: {
      async loadRunnable (cid) {
        const m = coldModules.get(cid) ?? runnable.get(cid)
        if (m == null) throw new Error(cid)
        return m
      }
    }
  })
  const runnable = new Map<string, RunnableModule>([['hello', sanitize(hello, LIMITS)]])
  await exec.start()
  try {
    const rawCold = summarize(await sample(COLD_N, (i) => {
      const module = new WebAssembly.Module(uniqueBytes(hello, 1_000_000 + i + 100) as Uint8Array<ArrayBuffer>)
      rawInstantiate(module).call(input)
    }, 20))
    let c = 0
    const execCold = summarize(await sample(COLD_N, async () => { await exec.invoke(`cold-${c++}`, input) }, 20))
    rows.push({ group: 'executor', name: 'cold start: compile + instantiate + first call (hello)', result: execCold, baselineName: 'raw in-process compile + instantiate + call', baseline: rawCold })

    const module = new WebAssembly.Module(hello as Uint8Array<ArrayBuffer>)
    const reused = rawInstantiate(module)
    const rawFresh = summarize(await sample(N, () => { rawInstantiate(module).call(input) }))
    const rawReused = summarize(await sample(N, () => { reused.call(input) }))
    const execWarm = summarize(await sample(N, async () => { await exec.invoke('hello', input) }))
    const thread = await threadSandbox()
    const helloRunnable = runnable.get('hello')!
    const request = (code?: Uint8Array): RunRequest => ({
      cid: 'hello', code, drop: [], memory: { initialPages: helloRunnable.memory.initialPages, maximumPages: 256 }, input, fuel: 1e9, maxOutputBytes: 1 << 20, context: { seed: 1, nowMs: 0 }, extraMsPerFuel: 0
    })
    const sandbox = new ProcessChannel<RunRequest, RunResponse>({ url: SANDBOX_URL })
    await thread.call(request(helloRunnable.bytes))
    await sandbox.call(request(helloRunnable.bytes))
    // interleaved, so a noisy moment of the machine falls on both sides alike
    const threadSamples: number[] = []
    const processSamples: number[] = []
    for (let round = 0; round < 10; round++) {
      threadSamples.push(...await sample(N / 10, async () => { await thread.call(request()) }))
      processSamples.push(...await sample(N / 10, async () => { await sandbox.call(request()) }))
    }
    await thread.stop()
    await sandbox.terminate()
    const name = 'warm invoke (hello): executor, sandbox process + fresh instance + fuel'
    rows.push({ group: 'executor', name, result: execWarm, baselineName: 'raw in-process call, fresh instance', baseline: rawFresh })
    rows.push({ group: 'executor', name, result: execWarm, baselineName: 'raw in-process call, reused instance', baseline: rawReused })
    rows.push({ group: 'executor', name: 'sandbox work (fresh instance + fuel) sent to a sandbox process', result: summarize(processSamples), baselineName: 'same work sent to a worker thread', baseline: summarize(threadSamples) })

    // fuel overhead on CPU-bound and parsing-bound work, both in-process on a reused path
    for (const [name, payload] of [['fib', '25'], ['sensor-stats', JSON.stringify(Array.from({ length: 2000 }, (_, i) => Math.sin(i) * 10 + 20))]] as const) {
      const plain = new WebAssembly.Module(load(name) as Uint8Array<ArrayBuffer>)
      const metered = new WebAssembly.Module(sanitize(load(name), LIMITS).bytes as Uint8Array<ArrayBuffer>)
      const bytes = new TextEncoder().encode(payload)
      const n = quick ? 20 : 100
      const base = summarize(await sample(n, () => { rawInstantiate(plain).call(bytes) }, 10))
      const withFuel = summarize(await sample(n, () => { rawInstantiate(metered, true).call(bytes) }, 10))
      rows.push({ group: 'fuel', name: `metered ${name}(${name === 'fib' ? '25' : '2000 readings'}) in-process`, result: withFuel, baselineName: 'same module, not metered', baseline: base })
    }
  } finally {
    await exec.stop()
  }
  return rows
}
