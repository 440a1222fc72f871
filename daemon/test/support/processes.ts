/**
 * Real daemon and CLI processes for end-to-end tests. Every process started here is killed by
 * `killAll()` (call it in `after`) and on exit of the test runner; every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { parseBanner, type DaemonBanner } from '../../src/cli/banner.js'
import { LOOPBACK_ARGS } from './loopback.js'
import { BIN } from './paths.js'
import { waitFor } from './wait.js'

const running = new Set<ChildProcess>()
process.once('exit', () => { for (const p of running) p.kill('SIGKILL') })

export interface DaemonProcess {
  proc: ChildProcess
  url: string
  peerId: string
  /** The first libp2p listen address, with /p2p/<peer id>. */
  multiaddr: string
  output(): string
  /** Sends `signal` and resolves with the exit code; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
}

/**
 * Starts `faasmesh daemon` on loopback with OS-chosen ports. `prefix` runs it through another
 * command, e.g. `['ip', 'netns', 'exec', name]`; `loopbackArgs: false` leaves mDNS on.
 */
export async function startDaemon (dataDir: string, args: string[] = [], env: Record<string, string> = {}, options: { prefix?: string[], mdns?: boolean } = {}): Promise<DaemonProcess> {
  const flags = options.mdns === true ? LOOPBACK_ARGS.filter((a) => a !== '--no-mdns') : LOOPBACK_ARGS
  const command = [...(options.prefix ?? []), process.execPath, BIN, 'daemon', '--data-dir', dataDir, ...flags, ...args]
  const proc = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(proc)
  let out = ''
  proc.stdout!.on('data', (d) => { out += String(d) })
  proc.stderr!.on('data', (d) => { out += String(d) })
  const exited = new Promise<number | null>((resolve) => { proc.once('exit', (code) => { running.delete(proc); resolve(code) }) })

  const banner = await Promise.race([
    new Promise<DaemonBanner>((resolve) => {
      const check = (): void => { const b = parseBanner(out); if (b != null) resolve(b) }
      proc.stdout!.on('data', check)
      check()
    }),
    exited.then(() => undefined),
    new Promise<undefined>((resolve) => setTimeout(() => { resolve(undefined) }, 15_000))
  ])
  if (banner == null) {
    proc.kill('SIGKILL')
    throw new Error(`daemon did not become ready:\n${out}`)
  }
  const { url, peerId, multiaddr } = banner
  return {
    proc,
    url,
    peerId,
    multiaddr,
    output: () => out,
    async stop (signal = 'SIGTERM', timeoutMs = 10_000) {
      if (proc.exitCode != null || proc.signalCode != null) return proc.exitCode
      proc.kill(signal)
      const timer = setTimeout(() => { proc.kill('SIGKILL') }, timeoutMs)
      const code = await exited
      clearTimeout(timer)
      return code
    }
  }
}

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Runs `faasmesh <args>` to completion (killed after `timeoutMs`). */
export async function runCli (args: string[], options: { stdin?: string | Uint8Array, timeoutMs?: number, env?: Record<string, string>, prefix?: string[] } = {}): Promise<CliResult> {
  const command = [...(options.prefix ?? []), process.execPath, BIN, ...args]
  const proc = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
  running.add(proc)
  let stdout = ''
  let stderr = ''
  proc.stdout!.on('data', (d) => { stdout += String(d) })
  proc.stderr!.on('data', (d) => { stderr += String(d) })
  proc.stdin!.end(options.stdin ?? '')
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, options.timeoutMs ?? 20_000)
  const code = await new Promise<number | null>((resolve) => { proc.once('close', (c) => { resolve(c) }) })
  clearTimeout(timer)
  running.delete(proc)
  return { code, stdout, stderr }
}

export function killAll (): void {
  for (const p of running) p.kill('SIGKILL')
  running.clear()
}

/** Waits until every daemon sees all the others in its capacity view (bounded). */
export async function waitForMesh (nodes: DaemonProcess[], timeoutMs = 15_000): Promise<void> {
  const sees = async (n: DaemonProcess): Promise<boolean> => {
    const { peers } = await (await fetch(`${n.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json() as { peers: unknown[] }
    return peers.length === nodes.length - 1
  }
  await waitFor(async () => (await Promise.all(nodes.map(sees))).every(Boolean), timeoutMs, 'mesh')
}
