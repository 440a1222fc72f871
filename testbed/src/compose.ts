/**
 * The `docker` back end: `faasmesh testbed compose` writes a compose project for a scenario:
 * one service per node on one bridge network with fixed addresses, identities generated here
 * (so every bootstrap address is known before anything starts), the daemon image from
 * testbed/docker/Dockerfile, links shaped with `tc netem` in the container when it has
 * NET_ADMIN and the kernel allows, else by the daemon's own link shaper, and `run.sh`, which
 * brings the project up and drives the same workload with `faasmesh testbed run --attach`.
 * Gateways listen on 0.0.0.0 in their containers, so each node gets an admin gateway token in its
 * data directory (DESIGN.md section 12); the token goes into mesh.json (mode 0600), which the
 * attached run reads to deploy, invoke and shape links.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { loadOrCreateIdentity } from '../../daemon/src/identity/index.js'
import { tokenStore } from '../../daemon/src/auth/index.js'
import { writeFileAtomic } from '../../daemon/src/utils/atomic-write.js'
import { linkBetween } from './links.js'
import { groupOf, nodeNames, powerEnv, wasmPath, type Scenario } from './scenario.js'

const REPO = resolve(fileURLToPath(new URL('../../../', import.meta.url)))
/** A private subnet for the scenario's network; node i gets .10 + i. */
const SUBNET = '172.28.0.0/16'
const ipOf = (i: number): string => `172.28.${Math.floor((10 + i) / 250)}.${(10 + i) % 250}`
const P2P_PORT = 4001
const API_PORT = 8787
/** Host ports: node i's gateway on 18787 + i, loopback only. */
const HOST_API_BASE = 18787

export interface ComposeNode {
  name: string
  ip: string
  peerId: string
  multiaddr: string
  hostUrl: string
  /** Admin token of the node's gateway (stored hashed in its data dir). */
  token: string
}

/** The name of the token the generator makes in each node's data dir; made again on each run of it. */
const TOKEN_NAME = 'testbed'

/** A fresh admin token in a node's data dir, replacing the one an earlier generation left there. */
async function testbedToken (dataDir: string): Promise<string> {
  const tokens = tokenStore({ dataDir })()
  await tokens.revoke(TOKEN_NAME).catch((err: any) => { if (err?.name !== 'TokenNotFoundError') throw err })
  return (await tokens.create({ scope: 'admin', name: TOKEN_NAME })).token
}

export async function writeCompose (scenario: Scenario, dir: string): Promise<string[]> {
  const out = resolve(dir)
  await mkdir(out, { recursive: true })
  const names = nodeNames(scenario)
  const nodes: ComposeNode[] = []
  for (const [i, name] of names.entries()) {
    // the identity lives in the node's data directory, mounted into its container
    const identity = await loadOrCreateIdentity(join(out, 'nodes', name))
    const token = await testbedToken(join(out, 'nodes', name))
    nodes.push({ name, ip: ipOf(i), peerId: identity.peerId.toString(), multiaddr: `/ip4/${ipOf(i)}/tcp/${P2P_PORT}/p2p/${identity.peerId.toString()}`, hostUrl: `http://127.0.0.1:${HOST_API_BASE + i}`, token })
  }
  const project = scenario.name
  const services: Record<string, unknown> = {}
  for (const [i, node] of nodes.entries()) {
    const group = groupOf(scenario, node.name)
    const bootstrap = i === 0 ? [] : ['--bootstrap', nodes[0]!.multiaddr]
    services[node.name] = {
      image: '${FAASMESH_IMAGE:-faasmesh:latest}',
      ...(i === 0 ? { build: { context: `${'$'}{FAASMESH_REPO:-${relative(out, REPO) || '.'}}`, dockerfile: 'testbed/docker/Dockerfile' } } : { depends_on: [nodes[0]!.name] }),
      hostname: node.name,
      // root only long enough for the entrypoint to install tc netem; the daemon runs as `node`
      user: '0',
      command: [
        'daemon', '--data-dir', '/data', '--api-listen', `0.0.0.0:${API_PORT}`, '--listen', `/ip4/0.0.0.0/tcp/${P2P_PORT}`, '--no-mdns',
        '--slots', String(group.slots), '--slowdown', String(group.slowdown),
        ...Object.entries({ node: node.name, group: group.name, ...group.tags }).flatMap(([k, v]) => ['--tag', `${k}=${v}`]),
        ...bootstrap
      ],
      environment: { FAASMESH_TESTBED_CONTROL: 'true', FAASMESH_ADVERTS_INTERVAL_MS: '500', ...powerEnv(group) },
      // the driver waits for each node itself (peers, /v1/health); the image's check would start
      // a node process per container every few seconds, CPU the measured daemons do not get
      healthcheck: { disable: true },
      cap_add: ['NET_ADMIN'],
      volumes: [`./nodes/${node.name}:/data`, `./shape/${node.name}:/shape:ro`],
      ports: [`127.0.0.1:${HOST_API_BASE + i}:${API_PORT}`],
      networks: { mesh: { ipv4_address: node.ip } }
    }
    await mkdir(join(out, 'shape', node.name), { recursive: true })
    await writeFile(join(out, 'shape', node.name, 'shape.sh'), netemScript(scenario, node, nodes), { mode: 0o755 })
  }
  // version 3.8 so both Compose v2 and the older docker-compose v1 (Debian's) accept the file
  const compose = { version: '3.8', services, networks: { mesh: { driver: 'bridge', ipam: { config: [{ subnet: SUBNET }] } } } }
  await writeFile(join(out, 'docker-compose.yml'), `# faasmesh testbed: ${scenario.name}, generated by \`faasmesh testbed compose\`\n${stringify(compose)}`)
  // it holds the nodes' admin tokens: for this user only
  await writeFileAtomic(join(out, 'mesh.json'), JSON.stringify({ project, nodes }, null, 2), 0o600)
  // wasm paths made absolute: run.sh runs from the project directory
  await writeFile(join(out, 'scenario.json'), JSON.stringify({ ...scenario, functions: scenario.functions.map((f) => ({ ...f, wasm: wasmPath(scenario, f) })) }, null, 2))
  await writeFile(join(out, 'run.sh'), runScript(project, relative(out, REPO) || '.'), { mode: 0o755 })
  return ['docker-compose.yml', 'mesh.json', 'scenario.json', 'run.sh', ...nodes.map((n) => `shape/${n.name}/shape.sh`)]
}

/**
 * Per-destination egress shaping inside the container: an htb class and a netem qdisc per peer,
 * selected by destination address. Exits non-zero when tc is missing or not permitted, and the
 * container then relies on the daemon's link shaper (run.sh sets it).
 */
function netemScript (scenario: Scenario, self: ComposeNode, nodes: ComposeNode[]): string {
  const lines = ['#!/bin/sh', `# egress shaping for ${self.name}; generated`, 'set -e', 'command -v tc >/dev/null', 'tc qdisc del dev eth0 root 2>/dev/null || true',
    'tc qdisc add dev eth0 root handle 1: htb default 1', 'tc class add dev eth0 parent 1: classid 1:1 htb rate 10gbit']
  nodes.filter((n) => n.name !== self.name).forEach((peer, i) => {
    const spec = linkBetween(scenario, self.name, peer.name)
    const id = 10 + i
    const rate = spec.bandwidthMbps > 0 ? `${spec.bandwidthMbps}mbit` : '10gbit'
    lines.push(
      `tc class add dev eth0 parent 1: classid 1:${id} htb rate ${rate}`,
      `tc qdisc add dev eth0 parent 1:${id} handle ${id}: netem delay ${spec.latencyMs}ms ${spec.jitterMs}ms loss ${spec.lossPct}%`,
      `tc filter add dev eth0 protocol ip parent 1: prio 1 u32 match ip dst ${peer.ip}/32 flowid 1:${id}`
    )
  })
  return `${lines.join('\n')}\n`
}

function runScript (project: string, repoFromHere: string): string {
  return `#!/bin/sh
# Brings the ${project} mesh up, drives the scenario's workload from this machine through the
# published gateways, and tears everything down, even on Ctrl-C. Needs Docker with compose
# (\`docker compose\` or \`docker-compose\`) and a built faasmesh checkout: FAASMESH_REPO, else the
# one that generated this file, found relative to this directory (FAASMESH overrides the CLI).
#   ./run.sh [--build] [testbed run options, e.g. --quick]    results land in ./results
#   ./run.sh down                                              remove what an interrupted run left
# The image (FAASMESH_IMAGE, default faasmesh:latest) is built only when missing or with --build,
# by testbed/docker/build-image.sh (no registry needed, see docs/testbed.md).
set -eu
cd "$(dirname "$0")"
REPO="\${FAASMESH_REPO:-$(pwd)/${repoFromHere}}"
FAASMESH="\${FAASMESH:-node $REPO/bin/faasmesh.js}"
export FAASMESH_IMAGE="\${FAASMESH_IMAGE:-faasmesh:latest}" FAASMESH_REPO="$REPO"
if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE="docker-compose"; fi
down () { $COMPOSE -p ${project} down --volumes --remove-orphans --timeout 5; }
if [ "\${1:-}" = down ]; then down; exit 0; fi
build=no
if [ "\${1:-}" = --build ]; then build=yes; shift; fi
if [ "$build" = yes ] || ! docker image inspect "$FAASMESH_IMAGE" >/dev/null 2>&1; then
  "$REPO/testbed/docker/build-image.sh" "$FAASMESH_IMAGE"
fi
trap down EXIT
trap 'exit 130' INT TERM
$COMPOSE -p ${project} up -d --no-build
$FAASMESH testbed run scenario.json --attach mesh.json --out results "$@"
`
}
