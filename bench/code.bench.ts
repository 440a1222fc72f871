/**
 * Cold start from the mesh: invoking by name a function this node has never seen (resolve the
 * name in the DHT, find providers, fetch, verify, sanitize, compile, run) against a local cold
 * start (deployed here, never compiled) and a warm invoke, on a 5-daemon loopback mesh. Every
 * iteration uses a module no node has seen before (unique bytes), so no cache helps.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMesh, type Daemon } from './daemons.js'
import { sample, summarize, uniqueBytes } from './stats.js'
import type { Row } from './report.js'

async function deploy (d: Daemon, name: string, bytes: Uint8Array): Promise<void> {
  const res = await fetch(`${d.url}/v1/functions/${name}`, { method: 'POST', body: bytes as Uint8Array<ArrayBuffer> })
  if (res.status !== 201) throw new Error(`deploy ${name}: ${await res.text()}`)
}

async function invoke (d: Daemon, name: string): Promise<void> {
  const res = await fetch(`${d.url}/v1/invoke/${name}`, { method: 'POST', body: 'bench' })
  if (res.status !== 200) throw new Error(`invoke ${name} on ${d.peerId}: ${res.status} ${await res.text()}`)
}

export async function benchCode (root: string, quick: boolean, progress: (m: string) => void): Promise<Row[]> {
  const n = quick ? 10 : 40
  const hello = readFileSync(join(root, 'build', 'hello.wasm'))
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-code-bench-'))
  const daemons = await startMesh(root, dir, 5)
  try {
    const [publisher, , , , caller] = daemons as [Daemon, Daemon, Daemon, Daemon, Daemon]
    progress(`code: deploying ${n} unique modules on node 0 and ${n} on node 4`)
    for (let i = 0; i < n + 5; i++) await deploy(publisher, `remote-${i}`, uniqueBytes(hello, i))
    for (let i = 0; i < n + 5; i++) await deploy(caller, `local-${i}`, uniqueBytes(hello, 100_000 + i))
    await deploy(caller, 'warm', hello)
    // announcements run in the background after each deploy: wait until the last one resolves
    const deadline = Date.now() + 30_000
    while (true) {
      const res = await fetch(`${caller.url}/v1/invoke/remote-${n + 4}`, { method: 'POST', body: 'x' })
      if (res.status === 200) break
      if (Date.now() > deadline) throw new Error(`remote-${n + 4} never resolved: ${await res.text()}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    progress('code: measuring')
    // warm-up iterations use the spare modules 0..4 (sample() calls fn with negative i)
    const remote = summarize(await sample(n, async (i) => { await invoke(caller, `remote-${i < 0 ? n + 4 + i : i}`) }, 4))
    const local = summarize(await sample(n, async (i) => { await invoke(caller, `local-${i < 0 ? n + 4 + i : i}`) }, 4))
    const warm = summarize(await sample(n * 5, async () => { await invoke(caller, 'warm') }))
    return [
      { group: 'code', name: 'cold start from the mesh: resolve + find providers + fetch + verify + sanitize + compile + run (HTTP)', result: remote, baselineName: 'warm invoke, same node', baseline: warm },
      { group: 'code', name: 'local cold start: compile + run (HTTP)', result: local, baselineName: 'warm invoke, same node', baseline: warm }
    ]
  } finally {
    for (const d of daemons) d.proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
