/** Daemon processes on 127.0.0.1 for the benchmarks: started, meshed, and stopped by the caller. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { parseBanner, type DaemonBanner } from '../daemon/src/cli/banner.js'

/** Adverts twice a second, so views converge and delays are sampled quickly. */
export const INTERVAL_MS = 500

/**
 * `FAASMESH_BENCH_CPU_PROF=<dir>`: every daemon runs under `node --cpu-prof` and writes its
 * profile there when it stops (`stopDaemons` ends them with SIGTERM, so the profile is written).
 * The benchmark's own knob, read here and nowhere else.
 */
const CPU_PROF_DIR = process.env.FAASMESH_BENCH_CPU_PROF

export interface Daemon { proc: ChildProcess, url: string, multiaddr: string, peerId: string }

/** Node's flags for a profiled daemon (none unless FAASMESH_BENCH_CPU_PROF is set). */
export function profFlags (): string[] {
  return CPU_PROF_DIR == null || CPU_PROF_DIR === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`]
}

/** `env`: extra environment (FAASMESH_* settings) for this daemon only. A daemon that never becomes ready is killed. */
export async function startDaemon (root: string, dataDir: string, args: string[], env: Record<string, string> = {}): Promise<Daemon> {
  const proc = spawn(process.execPath, [...profFlags(), join(root, 'bin', 'faasmesh.js'), 'daemon', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0',
    '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--slots', '1', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FAASMESH_ADVERTS_INTERVAL_MS: String(INTERVAL_MS), ...env } })
  let out = ''
  const banner = await new Promise<DaemonBanner>((resolve, reject) => {
    // generous: on a 2-core host shared with other work, a daemon was seen to need over 30 s
    const timer = setTimeout(() => { reject(new Error(`daemon not ready: ${out}`)) }, 120_000)
    proc.stdout!.on('data', (d) => {
      out += String(d)
      const b = parseBanner(out)
      if (b != null) { clearTimeout(timer); resolve(b) }
    })
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited ${code}: ${out}`)) })
  }).catch((err) => {
    proc.kill('SIGKILL')
    throw err
  })
  return { proc, ...banner }
}

/** `n` daemons bootstrapped to the first, once every one sees the other n - 1; `args(i)` adds flags and `env(i)` settings per node. */
export async function startMesh (root: string, dir: string, n: number, args: (i: number) => string[] = () => [], env: (i: number) => Record<string, string> = () => ({})): Promise<Daemon[]> {
  const daemons: Daemon[] = [await startDaemon(root, join(dir, '0'), args(0), env(0))]
  try {
    // every start settles before a failure is thrown, so the ones that did start are killed below too
    const started = await Promise.allSettled(Array.from({ length: n - 1 }, async (_, i) => startDaemon(root, join(dir, String(i + 1)), ['--bootstrap', daemons[0]!.multiaddr, ...args(i + 1)], env(i + 1))))
    for (const s of started) if (s.status === 'fulfilled') daemons.push(s.value)
    const failed = started.find((s) => s.status === 'rejected')
    if (failed != null) throw failed.reason
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

/**
 * Ends the daemons: SIGKILL, unless they are profiled (then SIGTERM and up to 15 s for each to
 * stop and write its profile, SIGKILL after that).
 */
export async function stopDaemons (daemons: Daemon[]): Promise<void> {
  if (CPU_PROF_DIR == null || CPU_PROF_DIR === '') {
    for (const d of daemons) d.proc.kill('SIGKILL')
    return
  }
  await Promise.all(daemons.map(async (d) => {
    if (d.proc.exitCode != null || d.proc.signalCode != null) return
    const exited = new Promise((resolve) => d.proc.once('exit', resolve))
    d.proc.kill('SIGTERM')
    const timer = setTimeout(() => d.proc.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }))
}
