/** Daemon processes on 127.0.0.1 for the benchmarks: started, meshed, and killed by the caller. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { parseBanner, type DaemonBanner } from '../daemon/src/cli/banner.js'

/** Adverts twice a second, so views converge and delays are sampled quickly. */
export const INTERVAL_MS = 500

export interface Daemon { proc: ChildProcess, url: string, multiaddr: string, peerId: string }

export async function startDaemon (root: string, dataDir: string, args: string[]): Promise<Daemon> {
  const proc = spawn(process.execPath, [join(root, 'bin', 'faasmesh.js'), 'daemon', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0',
    '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--slots', '1', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FAASMESH_ADVERTS_INTERVAL_MS: String(INTERVAL_MS) } })
  let out = ''
  const banner = await new Promise<DaemonBanner>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`daemon not ready: ${out}`)) }, 30_000)
    proc.stdout!.on('data', (d) => {
      out += String(d)
      const b = parseBanner(out)
      if (b != null) { clearTimeout(timer); resolve(b) }
    })
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited ${code}: ${out}`)) })
  })
  return { proc, ...banner }
}

/** `n` daemons bootstrapped to the first, once every one sees the other n - 1; `args(i)` adds flags per node. */
export async function startMesh (root: string, dir: string, n: number, args: (i: number) => string[] = () => []): Promise<Daemon[]> {
  const daemons: Daemon[] = [await startDaemon(root, join(dir, '0'), args(0))]
  try {
    daemons.push(...await Promise.all(Array.from({ length: n - 1 }, async (_, i) => startDaemon(root, join(dir, String(i + 1)), ['--bootstrap', daemons[0]!.multiaddr, ...args(i + 1)]))))
    const deadline = Date.now() + 30_000
    while (true) {
      const sizes = await Promise.all(daemons.map(async (d) => ((await (await fetch(`${d.url}/v1/peers`)).json()).peers as unknown[]).length))
      if (sizes.every((s) => s === n - 1)) return daemons
      if (Date.now() > deadline) throw new Error(`mesh of ${n} did not converge: ${sizes.join(',')}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } catch (err) {
    for (const d of daemons) d.proc.kill('SIGKILL')
    throw err
  }
}
