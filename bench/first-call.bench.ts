/**
 * The first call from the mesh (issue 18): on a freshly started 5-daemon loopback mesh, node 0
 * deploys a function no node has seen and, as soon as the deploy answers 201, another node
 * invokes it by name (no wait in between, default policy); then the same node calls it again
 * (the caller knows the name now). Baseline: a warm invoke on the calling nodes, same run.
 * Every call must succeed: a failure ends the benchmark with its error.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMesh, type Daemon } from './daemons.js'
import { sample, summarize, uniqueBytes } from './stats.js'
import type { Row } from './report.js'

async function deploy (d: Daemon, name: string, bytes: Uint8Array): Promise<number> {
  const res = await fetch(`${d.url}/v1/functions/${name}`, { method: 'POST', body: bytes as Uint8Array<ArrayBuffer> })
  const body = await res.json() as { announced?: { peers: number } }
  if (res.status !== 201) throw new Error(`deploy ${name}: ${JSON.stringify(body)}`)
  return body.announced?.peers ?? 0
}

async function invoke (d: Daemon, name: string): Promise<void> {
  const res = await fetch(`${d.url}/v1/invoke/${name}`, { method: 'POST', body: 'bench' })
  if (res.status !== 200) throw new Error(`invoke ${name} on ${d.peerId}: ${res.status} ${await res.text()}`)
  await res.arrayBuffer()
}

export async function benchFirstCall (root: string, quick: boolean, progress: (m: string) => void): Promise<Row[]> {
  const n = quick ? 10 : 20
  const hello = readFileSync(join(root, 'build', 'hello.wasm'))
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-first-call-bench-'))
  const daemons = await startMesh(root, dir, 5)
  try {
    const publisher = daemons[0]!
    const callers = daemons.slice(1)
    const tag = Date.now()
    const first: number[] = []
    const known: number[] = []
    const deploys: number[] = []
    const held: number[] = []
    progress(`first-call: ${n} fresh functions deployed on node 0, each invoked at once on nodes 1-4`)
    for (let i = 0; i < n; i++) {
      const name = `first-${i}`
      const caller = callers[i % callers.length]!
      const t0 = performance.now()
      held.push(await deploy(publisher, name, uniqueBytes(hello, tag + i)))
      const t1 = performance.now()
      await invoke(caller, name)
      const t2 = performance.now()
      await invoke(caller, name)
      known.push(performance.now() - t2)
      first.push(t2 - t1)
      deploys.push(t1 - t0)
    }
    // the baseline: steady state, the same callers, a function each of them has run before
    const warm = summarize(await sample(n * 5, async (i) => { await invoke(callers[Math.abs(i) % callers.length]!, 'first-0') }, 8))
    progress(`first-call: a deploy's record was held by ${Math.min(...held)}-${Math.max(...held)} peers when it answered`)
    return [
      { group: 'first-call', name: `first invoke by name on another node right after the deploy's 201 (${n} fresh functions, default policy, HTTP)`, result: summarize(first), baselineName: 'warm invoke of a known function, same callers', baseline: warm },
      { group: 'first-call', name: 'second invoke of the same name on the same node (name known, code fetched)', result: summarize(known), baselineName: 'warm invoke of a known function, same callers', baseline: warm },
      { group: 'first-call', name: 'deploy on node 0 until 201 (sanitize, store, record handed to connected peers)', result: summarize(deploys), baselineName: 'warm invoke of a known function, same callers', baseline: warm }
    ]
  } finally {
    for (const d of daemons) d.proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
