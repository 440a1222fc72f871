/**
 * A real `redis-server` for tests, on a free loopback port, persisting nothing, in a temp dir of
 * its own. Every server started here is killed (and its dir removed) on exit of the test runner;
 * every wait is bounded. `redisServerMissing()` says why there is none, when there is none.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const REDIS_SERVER = 'redis-server'
export const REDIS_MISSING_MESSAGE = 'redis-server is not installed: apt-get install redis-server'

const running = new Set<ChildProcess>()
const dirs = new Set<string>()
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string
  port: number
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. Safe to call twice. */
  stop(timeoutMs?: number): Promise<void>
  /** SIGKILL: the server vanishes without closing anything properly. */
  kill(): Promise<void>
  /** SIGSTOP: the server keeps its connections open and answers nothing (a hung or very slow Redis). */
  pause(): void
  /** SIGCONT after `pause()`. */
  resume(): void
  output(): string
}

let missing: string | undefined | null = null

/** Why no redis-server can be started here, or undefined when one can. */
export function redisServerMissing (): string | undefined {
  if (missing === null) {
    const probe = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore', timeout: 5000 })
    missing = probe.error != null || probe.status !== 0 ? REDIS_MISSING_MESSAGE : undefined
  }
  return missing
}

/**
 * Starts redis-server on 127.0.0.1 (on `port`, e.g. to restart a stopped one where its clients
 * expect it; a free port otherwise) and resolves once it answers PING. Rejects with
 * REDIS_MISSING_MESSAGE when redis-server is not installed.
 */
export async function startRedis (options: { port?: number, timeoutMs?: number } = {}): Promise<RedisServer> {
  const why = redisServerMissing()
  if (why != null) throw new Error(why)
  const timeoutMs = options.timeoutMs ?? 10_000
  // a port found free may be taken before redis binds it: try again with another one
  let lastError: unknown
  for (let attempt = 0; attempt < (options.port != null ? 1 : 3); attempt++) {
    const port = options.port ?? await freePort()
    try {
      return await launch(port, timeoutMs)
    } catch (err) {
      lastError = err
    }
  }
  throw lastError
}

async function launch (port: number, timeoutMs: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-redis-'))
  dirs.add(dir)
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'
  ]
  // setpriv (util-linux) execs redis-server with a parent-death signal: a test runner killed by a
  // signal (no 'exit' event) takes its servers with it
  const command = hasSetpriv() ? ['setpriv', '--pdeathsig', 'KILL', REDIS_SERVER, ...args] : [REDIS_SERVER, ...args]
  const proc = spawn(command[0]!, command.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(proc)
  let out = ''
  proc.stdout!.on('data', (d) => { out += String(d) })
  proc.stderr!.on('data', (d) => { out += String(d) })
  proc.on('error', (err) => { out += `\n${err.message}` })
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      running.delete(proc)
      rmSync(dir, { recursive: true, force: true })
      dirs.delete(dir)
      resolve()
    })
  })
  const gone = (): boolean => proc.exitCode != null || proc.signalCode != null

  const deadline = Date.now() + timeoutMs
  while (!(await answersPing(port))) {
    if (gone() || Date.now() > deadline) {
      proc.kill('SIGKILL')
      await exited
      throw new Error(`redis-server on port ${port} did not come up within ${timeoutMs} ms:\n${out}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }

  const end = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (gone()) return await exited
    proc.kill('SIGCONT') // a paused server cannot act on SIGTERM
    proc.kill(signal)
    const timer = setTimeout(() => { proc.kill('SIGKILL') }, graceMs)
    await exited
    clearTimeout(timer)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async (graceMs = 5000) => { await end('SIGTERM', graceMs) },
    kill: async () => { await end('SIGKILL', 0) },
    pause: () => { if (!gone()) proc.kill('SIGSTOP') },
    resume: () => { if (!gone()) proc.kill('SIGCONT') },
    output: () => out
  }
}

let setpriv: boolean | undefined

function hasSetpriv (): boolean {
  if (setpriv == null) {
    const probe = spawnSync('setpriv', ['--help'], { encoding: 'utf8', timeout: 5000 })
    setpriv = probe.error == null && probe.status === 0 && probe.stdout.includes('--pdeathsig')
  }
  return setpriv
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address != null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

/** True when something on `port` answers `PING` with `+PONG` within 500 ms. */
async function answersPing (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean): void => { clearTimeout(timer); socket.destroy(); resolve(ok) }
    const timer = setTimeout(() => { done(false) }, 500)
    socket.once('error', () => { done(false) })
    socket.once('connect', () => { socket.write('PING\r\n') })
    socket.on('data', (d) => {
      reply += String(d)
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}
