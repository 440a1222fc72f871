/**
 * Daemons started the way a user starts them: through npm (`npm start`, `npm exec`), in the
 * repository, each npm in a process group of its own so that `killNpmGroups()` (call it in
 * `after`) ends npm, its shell and the daemon wherever each one is by then. Nothing reaches a
 * registry: npm runs offline.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { parseBanner, type DaemonBanner } from '../../src/cli/banner.js'
import { ROOT } from './paths.js'
import { waitFor } from './wait.js'

const groups = new Set<ChildProcess>()
process.once('exit', () => { killNpmGroups() })

export interface NpmDaemon {
  /** npm itself, the leader of the group. */
  npm: ChildProcess
  banner: DaemonBanner
  /** npm's and the daemon's output so far (they share the pipes). */
  output(): string
}

/** Runs `npm <args>` in the repository; resolves once the daemon under it printed its banner. */
export async function startThroughNpm (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<NpmDaemon> {
  const npm = spawn('npm', args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', ...env }
  })
  groups.add(npm)
  let out = ''
  npm.stdout!.on('data', (d) => { out += String(d) })
  npm.stderr!.on('data', (d) => { out += String(d) })
  await waitFor(() => parseBanner(out) != null || npm.exitCode != null || npm.signalCode != null, timeoutMs, `npm ${args.join(' ')}: the daemon's banner`)
  const banner = parseBanner(out)
  if (banner == null) throw new Error(`npm ${args.join(' ')} ended before the daemon was ready:\n${out}`)
  return { npm, banner, output: () => out }
}

/** SIGKILLs every process group started here. */
export function killNpmGroups (): void {
  for (const npm of groups) {
    try {
      process.kill(-npm.pid!, 'SIGKILL')
    } catch {
      // the whole group is gone already
    }
  }
  groups.clear()
}
