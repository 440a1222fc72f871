/**
 * The external state model's database for a run: Debian's `redis-server` on a free loopback
 * port, persisting nothing, in a directory under the results; killed when the run ends, and when
 * the testbed process exits. `redisMissing()` says why there is none, when there is none.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'

const REDIS_SERVER = 'redis-server'
const START_TIMEOUT_MS = 10_000

const running = new Set<ChildProcess>()
process.once('exit', () => { for (const p of running) p.kill('SIGKILL') })

export interface RedisServer {
  port: number
  stop(): Promise<void>
}

/** Why no redis-server can be started here, or undefined when one can. */
export function redisMissing (): string | undefined {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore', timeout: 5000 })
  return probe.error != null || probe.status !== 0 ? 'redis-server is not installed (apt-get install redis-server)' : undefined
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { typeof address === 'object' && address != null ? resolve(address.port) : reject(new Error('no port')) })
    })
  })
}

/** PONG within the time left, or false. */
async function ping (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1000, () => { done(false) })
    socket.once('error', () => { done(false) })
    socket.once('connect', () => { socket.write('PING\r\n') })
    socket.once('data', (d) => { done(String(d).startsWith('+PONG')) })
  })
}

/** Starts redis-server in `dir`; resolves once it answers PING. */
export async function startRedisServer (dir: string): Promise<RedisServer> {
  const why = redisMissing()
  if (why != null) throw new Error(why)
  mkdirSync(dir, { recursive: true })
  let lastError: unknown
  // a port found free may be taken before redis binds it: try again with another one
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'], { cwd: dir, stdio: 'ignore' })
    running.add(proc)
    const exited = new Promise<void>((resolve) => proc.once('exit', () => { running.delete(proc); resolve() }))
    const until = Date.now() + START_TIMEOUT_MS
    while (Date.now() < until && proc.exitCode == null) {
      if (await ping(port)) {
        return {
          port,
          stop: async () => {
            if (proc.exitCode != null || proc.signalCode != null) return
            const timer = setTimeout(() => { proc.kill('SIGKILL') }, 5000)
            proc.kill('SIGTERM')
            await exited
            clearTimeout(timer)
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    proc.kill('SIGKILL')
    await exited
    lastError = new Error(`redis-server did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} s`)
  }
  throw lastError
}
