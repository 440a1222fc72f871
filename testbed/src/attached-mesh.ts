/**
 * A mesh someone else started (`faasmesh testbed compose` + run.sh): nodes from its mesh.json,
 * reached through their published gateways; kill and restart through `docker compose`. Links
 * are left to `tc netem` where the container's entrypoint managed to install it (it leaves a
 * `netem-active` file in the node's data directory), else set on the daemon's shaper.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { authHeaders, type Mesh, type MeshGateway } from './mesh.js'
import type { LinkState } from '../../daemon/src/links/index.js'

const exec = promisify(execFile)

export class AttachedMesh implements Mesh {
  readonly nodes = new Map<string, MeshGateway>()
  private readonly dead = new Set<string>()
  /** `docker compose kill` in flight, by node: a restart waits for it. */
  private readonly killing = new Map<string, Promise<void>>()
  private readonly dir: string
  private project = ''

  constructor (private readonly meshFile: string) {
    this.dir = dirname(resolve(meshFile))
  }

  async start (progress: (m: string) => void, signal: AbortSignal): Promise<void> {
    // `token`: the admin token compose.ts made in the node's data dir (its gateway listens on 0.0.0.0)
    const mesh = JSON.parse(await readFile(this.meshFile, 'utf8')) as { project: string, nodes: Array<{ name: string, hostUrl: string, peerId: string, token?: string }> }
    this.project = mesh.project
    for (const n of mesh.nodes) this.nodes.set(n.name, { name: n.name, url: n.hostUrl, peerId: n.peerId, ...(n.token != null ? { token: n.token } : {}) })
    progress(`attached to ${this.nodes.size} nodes of compose project ${this.project}`)
    const until = Date.now() + 120_000
    for (const node of this.nodes.values()) {
      while (true) {
        signal.throwIfAborted()
        try {
          const peers = ((await (await fetch(`${node.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json()).peers as unknown[]).length
          if (peers >= this.nodes.size - 1) break
        } catch {}
        if (Date.now() > until) throw new Error(`${node.name} did not see the mesh within 120 s`)
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
  }

  isAlive (name: string): boolean {
    return this.nodes.has(name) && !this.dead.has(name)
  }

  kill (name: string): void {
    this.dead.add(name)
    this.killing.set(name, this.compose('kill', name).catch((err: any) => { process.stderr.write(`docker compose kill ${name} failed: ${err?.message ?? err}\n`) }))
  }

  /**
   * `start` returns once the container runs, before its daemon listens: wait (bounded) for its
   * gateway, or the link table set right after would fail with "fetch failed".
   */
  async restart (name: string): Promise<void> {
    await this.killing.get(name)
    await this.compose('start', name)
    const node = this.nodes.get(name)
    const until = Date.now() + 60_000
    while (node != null) {
      try {
        if ((await fetch(`${node.url}/v1/health`, { signal: AbortSignal.timeout(5000) })).ok) break
      } catch {}
      if (Date.now() > until) throw new Error(`${name} did not answer on ${node.url} within 60 s of its restart`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    this.dead.delete(name)
  }

  async setLinks (name: string, state: LinkState): Promise<void> {
    const node = this.nodes.get(name)
    if (node == null || !this.isAlive(name)) return
    // tc netem shapes the real interface: only partitions are left to the daemon
    const netem = existsSync(join(this.dir, 'nodes', name, 'netem-active'))
    const body = netem ? { rules: [], blocked: state.blocked } : state
    const res = await fetch(`${node.url}/v1/testbed/links`, { method: 'PUT', body: JSON.stringify(body), headers: authHeaders(node), signal: AbortSignal.timeout(10_000) })
    if (res.status !== 200) throw new Error(`${name}: PUT /v1/testbed/links answered ${res.status}: ${await res.text()}`)
  }

  /** The compose project is run.sh's to tear down. */
  async stop (): Promise<void> {}

  killAll (): void {}

  private async compose (command: 'kill' | 'start', service: string): Promise<void> {
    // Compose v2 (a docker plugin) where there is one, else the standalone docker-compose
    try {
      await exec('docker', ['compose', '-f', join(this.dir, 'docker-compose.yml'), '-p', this.project, command, service], { timeout: 60_000 })
    } catch {
      // v1 finds its file in the working directory, not --project-directory: name it
      await exec('docker-compose', ['-f', join(this.dir, 'docker-compose.yml'), '-p', this.project, command, service], { timeout: 60_000 })
    }
  }
}
