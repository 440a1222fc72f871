/**
 * The `local` back end: one `faasmesh daemon` child process per scenario node on 127.0.0.1 (or,
 * with `--netns`, each in its own network namespace with its own address), each with its own
 * data directory and log under the results folder, testbed control on, and all bootstrapped to
 * the first node. Every process is killed when the mesh stops, when the
 * testbed process exits, and on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseBanner, type DaemonBanner } from '../../daemon/src/cli/banner.js'
import { createTopology, netnsUnavailable, type NetnsTopology } from './netns.js'
import { groupOf, nodeNames, powerEnv, type Scenario } from './scenario.js'
import { authHeaders, type Mesh } from './mesh.js'
import { tokenStore } from '../../daemon/src/auth/index.js'
import { isLoopbackHost } from '../../daemon/src/gateway/exposure.js'
import type { LinkState } from '../../daemon/src/links/index.js'

const BIN = fileURLToPath(new URL('../../../bin/faasmesh.js', import.meta.url))
/** Daemons started at once. */
const START_BATCH = 4
/**
 * Adverts every second: views converge and follow load faster than the 2 s default, without
 * the gossip of a dozen daemons eating the cores they share (a change is advertised at once anyway).
 */
const ADVERT_INTERVAL_MS = 1000

export interface MeshNode {
  name: string
  url: string
  peerId: string
  multiaddr: string
  proc: ChildProcess
  /** An admin token for its gateway, where that listens beyond loopback (`--netns`). */
  token?: string
}

const everyProcess = new Set<ChildProcess>()
process.once('exit', () => { for (const p of everyProcess) p.kill('SIGKILL') })

export class LocalMesh implements Mesh {
  readonly nodes = new Map<string, MeshNode>()
  private readonly logs = new Map<string, WriteStream>()

  private topology?: NetnsTopology
  /** Gateway tokens made for nodes whose gateway listens beyond loopback, kept across restarts. */
  private readonly tokens = new Map<string, string>()

  /**
   * `env`: extra environment for a node's daemon, by node name (config through `FAASMESH_*`, e.g.
   * the external state model's database).
   */
  constructor (private readonly scenario: Scenario, private readonly outDir: string, private readonly options: { netns?: boolean, env?: (name: string) => Record<string, string> } = {}) {}

  /** Starts every node and waits (bounded) until each sees all the others. */
  async start (progress: (message: string) => void, signal: AbortSignal): Promise<void> {
    const names = nodeNames(this.scenario)
    if (this.options.netns === true) {
      const why = netnsUnavailable()
      if (why != null) throw new Error(why)
      progress(`creating ${names.length} network namespaces joined by a bridge`)
      this.topology = createTopology(names.length)
    }
    const [first, ...rest] = names
    progress(`starting ${names.length} daemons`)
    await this.spawn(first!, [])
    // in batches, each node bootstrapped to the first and to one started before it: a crowd
    // dialing one node at the same instant is turned away more than it needs to be
    for (let i = 0; i < rest.length; i += START_BATCH) {
      signal.throwIfAborted()
      const started = [...this.nodes.values()]
      await Promise.all(rest.slice(i, i + START_BATCH).map(async (name, j) => {
        const other = started[1 + ((i + j) % Math.max(1, started.length - 1))] ?? started[0]!
        await this.spawn(name, [...new Set([started[0]!.multiaddr, other.multiaddr])])
      }))
    }
    progress('waiting for every node to see the others')
    await this.waitForViews(names.length - 1, 60_000, signal)
  }

  /** SIGKILL: the node vanishes as a crashed machine would. */
  kill (name: string): void {
    this.nodes.get(name)?.proc.kill('SIGKILL')
  }

  /** Starts a killed node again: same data directory, so the same peer id and functions. */
  async restart (name: string): Promise<void> {
    const bootstrap = [...this.nodes.values()].find((n) => n.name !== name && n.proc.exitCode == null && n.proc.signalCode == null)
    await this.spawn(name, bootstrap == null ? [] : [bootstrap.multiaddr])
  }

  async setLinks (name: string, state: LinkState): Promise<void> {
    const node = this.nodes.get(name)
    if (node == null || !this.isAlive(name)) return
    const res = await fetch(`${node.url}/v1/testbed/links`, { method: 'PUT', body: JSON.stringify(state), headers: authHeaders(node), signal: AbortSignal.timeout(10_000) })
    if (res.status !== 200) throw new Error(`${name}: PUT /v1/testbed/links answered ${res.status}: ${await res.text()}`)
  }

  isAlive (name: string): boolean {
    const proc = this.nodes.get(name)?.proc
    return proc != null && proc.exitCode == null && proc.signalCode == null
  }

  /** SIGTERM, then SIGKILL whatever is left after `graceMs`. */
  async stop (graceMs = 5000): Promise<void> {
    const procs = [...this.nodes.values()].map((n) => n.proc).filter((p) => p.exitCode == null && p.signalCode == null)
    await Promise.all(procs.map(async (p) => {
      const exited = new Promise<void>((resolve) => p.once('exit', () => { resolve() }))
      p.kill('SIGTERM')
      const timer = setTimeout(() => { p.kill('SIGKILL') }, graceMs)
      await exited
      clearTimeout(timer)
    }))
    for (const log of this.logs.values()) log.end()
    this.topology?.remove()
  }

  /** Kills every process at once (Ctrl-C, failure). */
  killAll (): void {
    for (const n of this.nodes.values()) n.proc.kill('SIGKILL')
  }

  private async spawn (name: string, bootstrap: string[]): Promise<void> {
    const group = groupOf(this.scenario, name)
    const dataDir = join(this.outDir, 'nodes', name)
    mkdirSync(dataDir, { recursive: true })
    const index = nodeNames(this.scenario).indexOf(name)
    const host = this.topology?.address(index) ?? '127.0.0.1'
    // a gateway beyond loopback refuses to start without a token (DESIGN.md section 12): the
    // testbed makes an admin token in the node's data dir and drives the node with it
    const token = isLoopbackHost(host) ? undefined : await this.tokenFor(name, dataDir)
    const args = [BIN, 'daemon', '--data-dir', dataDir, '--api-listen', `${host}:${this.topology == null ? 0 : 8787}`, '--listen', `/ip4/${host}/tcp/${this.topology == null ? 0 : 4001}`, '--no-mdns',
      '--slots', String(group.slots), '--slowdown', String(group.slowdown),
      ...Object.entries({ node: name, group: group.name, ...group.tags }).flatMap(([k, v]) => ['--tag', `${k}=${v}`]),
      ...bootstrap.flatMap((b) => ['--bootstrap', b])]
    const command = [...(this.topology?.prefix(index) ?? []), process.execPath, ...args]
    const proc = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FAASMESH_TESTBED_CONTROL: 'true', FAASMESH_ADVERTS_INTERVAL_MS: String(ADVERT_INTERVAL_MS), ...powerEnv(group), ...this.options.env?.(name) }
    })
    everyProcess.add(proc)
    proc.once('exit', () => { everyProcess.delete(proc) })
    mkdirSync(join(this.outDir, 'logs'), { recursive: true })
    const log = this.logs.get(name) ?? createWriteStream(join(this.outDir, 'logs', `${name}.log`), { flags: 'a' })
    this.logs.set(name, log)
    let out = ''
    const ready = new Promise<DaemonBanner>((resolve, reject) => {
      // a daemon that never got ready is killed: left running, it would keep the testbed from exiting
      const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${name} did not start within 30 s:\n${out}`)) }, 30_000)
      proc.stdout!.on('data', (d) => {
        out += String(d)
        const banner = parseBanner(out)
        if (banner != null) { clearTimeout(timer); resolve(banner) }
      })
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code} while starting:\n${out}`)) })
    })
    proc.stdout!.pipe(log, { end: false })
    proc.stderr!.pipe(log, { end: false })
    this.nodes.set(name, { name, proc, ...(token != null ? { token } : {}), ...await ready })
  }

  private async tokenFor (name: string, dataDir: string): Promise<string> {
    let token = this.tokens.get(name)
    if (token == null) {
      token = (await tokenStore({ dataDir })().create({ scope: 'admin' })).token
      this.tokens.set(name, token)
    }
    return token
  }

  private async waitForViews (others: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const until = Date.now() + timeoutMs
    let sizes: number[] = []
    while (Date.now() < until) {
      signal.throwIfAborted()
      sizes = await Promise.all([...this.nodes.values()].map(async (n) => {
        try {
          return ((await (await fetch(`${n.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json()).peers as unknown[]).length
        } catch {
          return 0
        }
      }))
      if (sizes.every((s) => s >= others)) return
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const names = [...this.nodes.keys()]
    throw new Error(`the mesh did not converge within ${timeoutMs / 1000} s: peers seen per node ${sizes.map((s, i) => `${names[i]}=${s}`).join(' ')} (logs in ${join(this.outDir, 'logs')})`)
  }
}
