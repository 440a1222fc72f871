/**
 * The README's tour runs as written (issue 16): the quick start's daemon through `npm start`,
 * then every command of the `sh` blocks marked `<!-- tour:start -->`/`<!-- tour:end -->`, in
 * order, each through bash; the mesh's daemons are started from the README's own lines. What
 * the test changes, and only that: `npx faasmesh` runs this checkout's bin (npx would link the
 * package into npm's cache and build it again), the README's fixed ports become free ones, `/tmp/`
 * a temporary directory, the `/p2p/12D3KooW...` placeholder the address the first node printed,
 * and the daemons keep to loopback (mDNS off, in the environment). Each command must exit 0 and
 * say what the README says it says (CLAIMS); a claim no command made fails the test too.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, symlink } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { expect } from 'chai'
import { parseBanner } from '../src/cli/banner.js'
import { killNpmGroups, startThroughNpm } from './support/npm.js'
import { BIN, ROOT, tempDir } from './support/paths.js'
import { tourCommands } from './support/readme-tour.js'
import { waitFor } from './support/wait.js'

interface Claim {
  /** The README command (as written) this claim is about. */
  command: RegExp
  stdout?: RegExp
  stderr?: RegExp
  /** The mesh needs a moment (adverts every 2 s): run the command again until the claim holds. */
  retryMs?: number
}

/** What the README says each command prints. */
const CLAIMS: Claim[] = [
  { command: /faasmesh deploy hello build\/hello\.wasm/, stdout: /^deployed hello \(v\d+\)\n\s+cid\s+bafkrei/ },
  { command: /^curl .*\/v1\/invoke\/hello/, stdout: /^Hello, world!$/ },
  { command: /faasmesh invoke hello --data mesh --verbose/, stdout: /^Hello, mesh!\n$/, stderr: /executor\s+12D3KooW/ },
  { command: /faasmesh invoke sensor-stats --data '\[20,21,19/, stdout: /"count":8/ },
  { command: /^npx faasmesh functions +#/, stdout: /\nhello\s+bafkrei[\s\S]*\nsensor-stats\s+bafkrei|\nsensor-stats\s+bafkrei[\s\S]*\nhello\s+bafkrei/ },
  { command: /faasmesh peers --api/, stdout: /^PEER[^\n]*\n12D3KooW[^\n]*region=eu[^\n]*\n12D3KooW|^PEER[^\n]*\n12D3KooW[^\n]*\n12D3KooW[^\n]*region=eu/, retryMs: 30_000 },
  { command: /invoke sensor-stats --data '\[20,21,45\]' --policy local --verbose/, stdout: /"count":3/, stderr: /code fetched from a peer/ },
  { command: /faasmesh functions --api http:\/\/127\.0\.0\.1:8789/, stdout: /\n\S+\s+bafkrei\S+\s+\S+ \S+\s+cached\s/ },
  { command: /faasmesh deploy fib build\/fib\.wasm/, stdout: /^deployed fib/ },
  { command: /faasmesh invoke fib --data 25 --verbose/, stdout: /"fib":75025/, stderr: /bids \d+\/\d+ \(received\/asked\)/ },
  { command: /faasmesh invoke fib --data 25 --policy random/, stdout: /"fib":75025/ },
  { command: /faasmesh invoke counter --state-key door-7 --data 5/, stdout: /^5\n$/ },
  { command: /faasmesh invoke counter --state-key door-7 --state-model in-edge/, stdout: /^1\n$/ },
  { command: /faasmesh invoke counter --state-key me --state-file \.\/me\.state/, stdout: /^1\n$/ },
  { command: /faasmesh state get door-7/, stdout: /version\s+1/ },
  { command: /^for v in /, stdout: /"alert":true[^\n]*\n$/ },
  { command: /invoke sensor-pipeline --data 's1,21\.1' .*--verbose/, stderr: /chain\s+sensor-pipeline, 3 steps/ },
  { command: /faasmesh psk generate --out swarm\.key/, stderr: /wrote a pre-shared key to swarm\.key/ },
  { command: /faasmesh daemon --psk swarm\.key/, stdout: /private \(pre-shared key\)/ }
]

/** A port nothing listens on right now. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('README: the tour runs as written', function () {
  this.timeout(600_000)
  let dir: Awaited<ReturnType<typeof tempDir>>
  const daemons: ChildProcess[] = []

  before(async function () {
    if (!existsSync(join(ROOT, 'build', 'sensor-parse.wasm')) || !existsSync(join(ROOT, 'build', 'counter.wasm'))) {
      console.log('    (skipped: the sample functions are not built; npm run build:wasm)')
      this.skip()
    }
    dir = await tempDir('faasmesh-readme-')
  })

  after(async function () {
    for (const d of daemons) {
      try { process.kill(-d.pid!, 'SIGKILL') } catch {}
    }
    killNpmGroups()
    await dir?.cleanup()
  })

  it('every marked command exits 0 and prints what the README says', async function () {
    const commands = tourCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    expect(commands.length, 'tour commands in README.md').to.be.greaterThan(10)
    // the commands run in a directory of their own, beside the clone's build/ and wasm-functions/
    const work = join(dir.path, 'work')
    await mkdir(work)
    for (const shared of ['build', 'wasm-functions']) await symlink(join(ROOT, shared), join(work, shared))

    const ports = new Map<string, number>()
    const port = async (written: string): Promise<number> => {
      if (!ports.has(written)) ports.set(written, await freePort())
      return ports.get(written)!
    }
    /** libp2p address of each README daemon, by its (mapped) listen port. */
    const peers = new Map<string, string>()
    const localize = async (command: string): Promise<string> => {
      // the README's scratch paths before the checkout's path goes in: a checkout may live under /tmp
      let text = command.replaceAll('/tmp/', `${dir.path}/`).replace(/\bnpx faasmesh\b/g, `node ${BIN}`)
      for (const [pattern, prefix] of [[/127\.0\.0\.1:(\d{4,5})\b/g, '127.0.0.1:'], [/\/tcp\/(\d{4,5})\b/g, '/tcp/']] as const) {
        for (const m of text.matchAll(pattern)) await port(m[1]!)
        text = text.replace(pattern, (_, p: string) => `${prefix}${ports.get(p)!}`)
      }
      return text.replace(/\/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/p2p\/12D3KooW\.\.\./g, (_, p: string) => {
        const addr = peers.get(p)
        if (addr == null) throw new Error(`the README bootstraps from port ${p}, but no daemon of the tour listens there`)
        return addr
      })
    }
    const env = {
      ...process.env,
      FAASMESH_API: `http://127.0.0.1:${await port('8787')}`,
      FAASMESH_DATA_DIR: join(dir.path, 'home'),
      FAASMESH_LIBP2P_LISTEN: '/ip4/127.0.0.1/tcp/0',
      FAASMESH_LIBP2P_MDNS: 'false'
    }

    // the quick start: `npm start` (on the README's default port)
    const quick = await startThroughNpm(['start'], {
      FAASMESH_DATA_DIR: env.FAASMESH_DATA_DIR,
      FAASMESH_API_LISTEN: `127.0.0.1:${await port('8787')}`,
      FAASMESH_LIBP2P_LISTEN: env.FAASMESH_LIBP2P_LISTEN,
      FAASMESH_LIBP2P_MDNS: 'false'
    })
    expect(quick.banner.url).to.equal(env.FAASMESH_API)

    const made = new Set<Claim>()
    for (const command of commands) {
      const shell = await localize(command)
      if (/^npx faasmesh daemon\b/.test(command)) {
        // "Stop the quick-start daemon first (Ctrl-C): the first node takes its port"
        if (quick.npm.exitCode == null && quick.npm.signalCode == null) {
          process.kill(-quick.npm.pid!, 'SIGINT')
          await waitFor(() => quick.output().includes('\nstopped\n'), 30_000, 'the quick-start daemon to stop')
        }
        const daemon = spawn('bash', ['-c', `exec ${shell}`], { cwd: work, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
        daemons.push(daemon)
        let out = ''
        daemon.stdout!.on('data', (d) => { out += String(d) })
        daemon.stderr!.on('data', (d) => { out += String(d) })
        await waitFor(() => parseBanner(out) != null || daemon.exitCode != null, 60_000, `the daemon of: ${command}`)
        const banner = parseBanner(out)
        expect(banner, `${command}\n${out}`).to.not.equal(undefined)
        const listen = /--listen \/ip4\/127\.0\.0\.1\/tcp\/(\d+)/.exec(shell)?.[1]
        if (listen != null) peers.set(listen, banner!.multiaddr)
        for (const claim of CLAIMS.filter((c) => c.command.test(command))) {
          if (claim.stdout != null) expect(out, command).to.match(claim.stdout)
          made.add(claim)
        }
        continue
      }
      const claims = CLAIMS.filter((c) => c.command.test(command))
      const retryMs = Math.max(0, ...claims.map((c) => c.retryMs ?? 0))
      const deadline = Date.now() + retryMs
      for (;;) {
        const run = await runBash(shell, work, env)
        const failed = run.code !== 0
          ? `exit ${String(run.code)}`
          : claims.find((c) => (c.stdout != null && !c.stdout.test(run.stdout)) || (c.stderr != null && !c.stderr.test(run.stderr)))
        if (failed == null) break
        if (run.code === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 1000))
          continue
        }
        const what = typeof failed === 'string' ? failed : `expected stdout ${String(failed.stdout)} stderr ${String(failed.stderr)}`
        expect.fail(`README command failed (${what}):\n${command}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`)
      }
      for (const claim of claims) made.add(claim)
    }
    expect(CLAIMS.filter((c) => !made.has(c)).map((c) => String(c.command)), 'claims whose README command is missing').to.deep.equal([])
  })
})

async function runBash (script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = spawn('bash', ['-o', 'pipefail', '-ec', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d) => { stdout += String(d) })
  proc.stderr.on('data', (d) => { stderr += String(d) })
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, 120_000)
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}
