/**
 * The executor against raw in-process WebAssembly, same functions, same run:
 * - cold start: compile + instantiate + first call (unique bytes each time, so V8's module
 *   cache cannot help either side);
 * - warm invocation: the executor's full path (post to a worker, fresh instance, metered call,
 *   copy back) against a raw call on a fresh in-process instance and on a reused one;
 * - fuel metering overhead: the same CPU-bound work instrumented and not, both in-process.
 */
import { defaultLogger } from '@libp2p/logger'
import { executor, type RunnableModule } from '../daemon/src/executor/index.js'
import { sanitize } from '../daemon/src/sanitizer/sanitize.js'
import { rawInstantiate } from './raw-call.js'
import { sample, summarize, uniqueBytes } from './stats.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Row } from './report.js'

const LIMITS = { maxModuleBytes: 4 << 20, memoryPages: 256 }

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
    rows.push({ group: 'executor', name: 'warm invoke (hello): worker + fresh instance + fuel', result: execWarm, baselineName: 'raw in-process call, fresh instance', baseline: rawFresh })
    rows.push({ group: 'executor', name: 'warm invoke (hello): worker + fresh instance + fuel', result: execWarm, baselineName: 'raw in-process call, reused instance', baseline: rawReused })

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
