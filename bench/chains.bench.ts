/**
 * Chains (DESIGN.md section 11) on a 5-daemon loopback mesh with emulated links: 20 ms one way
 * between every pair of daemons, applied by each daemon to its own frames (testbed control,
 * `PUT /v1/testbed/links`). A linear chain of 5 blob-step calls (each returns its input with every
 * byte plus 1) carries a 256 KiB input through every step; it is invoked through node 0 with
 * `x-faasmesh-locality: on` (each step's input moves from the node that produced it, and bids
 * count where it is) and `off` (every step's data goes through the entry node), runs
 * interleaved one by one so drift in the machine's load falls on both alike, the same number of
 * each. Measured per run: the end-to-end latency over HTTP, and the bytes the chain moved between
 * daemons (the sum of its placement record's traffic: invoke, chain data, state). Every output is
 * checked (each byte of the input plus 5). Under unlimited bandwidth (the links add latency
 * only), 100 Mbit/s (a 256 KiB transfer takes another ~21 ms) and 20 Mbit/s (~105 ms).
 *
 * Two meshes. In the first, five equal nodes: the entry node holds the input and runs a step of
 * blob-step as fast as any other, so the auction keeps every step there in both modes and
 * nothing crosses a link (locality cannot help a chain that never leaves its entry node). In the
 * second, the entry node is a weak gateway (`--slowdown 1000`: it runs a call 1000 times slower,
 * and bids so): the steps run on the other nodes, and the modes differ in how the data gets to
 * them. That is the case locality is for, and the one the targets are about.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMesh, type Daemon } from './daemons.js'
import { fmt, summarize } from './stats.js'
import type { Row } from './report.js'
import type { LinkState } from '../daemon/src/links/index.js'
import type { ChainRecord } from '../daemon/src/placement/index.js'

const NODES = 5
const STEPS = 5
const INPUT_BYTES = 256 * 1024
const FUNCTION = 'blob-step'
const CHAIN = 'blob-chain'
/** One-way latency of every emulated link. */
const LATENCY_MS = 20
interface Mesh {
  name: string
  /** Flags per node (index 0: the entry node). */
  args: (i: number) => string[]
  /** Link bandwidths to run under, in Mbit/s; 0 = unlimited (the link adds only its latency). */
  bandwidthsMbps: number[]
}

/**
 * The entry node's slowdown in the second mesh (the most `executor.slowdown` allows): a call of
 * blob-step then holds its slot ~0.5-1 s, so it loses every auction to a peer 20 ms away even
 * when it holds the input (100 was not enough: 100 x ~1 ms is about a bid's round trip plus the
 * input's transfer, and the entry node won most steps).
 */
const WEAK_ENTRY_SLOWDOWN = 1000
const MESHES: Mesh[] = [
  // every step stays on the entry node: one bandwidth shows it
  { name: '5 equal nodes', args: () => [], bandwidthsMbps: [100] },
  // unlimited: only the hops' latency counts; 100 and 20 Mbit/s (a LAN, an edge uplink): the bytes too
  { name: `weak entry node (node 0 --slowdown ${WEAK_ENTRY_SLOWDOWN})`, args: (i) => i === 0 ? ['--slowdown', String(WEAK_ENTRY_SLOWDOWN)] : [], bandwidthsMbps: [0, 100, 20] }
]
/** Targets (the chains issue): locality on takes at most this share of off's latency and bytes. */
const TARGET_LATENCY_RATIO = 0.7
const TARGET_BYTES_RATIO = 0.5
/** A run may take this long before it counts as failed; a bench never waits without bound. */
const CALL_TIMEOUT_MS = 60_000
/** The deadline each chain asks for: far above a run, so none is cut short. */
const DEADLINE_MS = 30_000

type Locality = 'on' | 'off'

interface Run {
  ms: number
  /** Sum of the chain record's traffic. */
  bytes: number
  traffic: ChainRecord['traffic']
  /** Distinct executors of the steps, and how many steps ran on the entry node. */
  executors: number
  onEntry: number
  /** Sums over the steps: time in placement, time in the executors. */
  placementMs: number
  runMs: number
}

/** A 5-step linear chain of blob-step: s1 -> s2 -> ... -> s5. */
function chainSpec (): { description: string, steps: Array<{ id: string, fn: string, after?: string[] }> } {
  return {
    description: `${STEPS} blob-step calls in a row: the chains benchmark`,
    steps: Array.from({ length: STEPS }, (_, i) => ({ id: `s${i + 1}`, fn: FUNCTION, ...(i > 0 ? { after: [`s${i}`] } : {}) }))
  }
}

/** The same bytes on every run of every bench (a fixed xorshift), so runs compare alike. */
function input (): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(INPUT_BYTES)
  let x = 0x9e3779b9
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

/** Each step adds 1 to every byte: the output of the whole chain is the input plus `STEPS`. */
function checkOutput (data: Uint8Array, output: Uint8Array, what: string): void {
  if (output.byteLength !== data.byteLength) throw new Error(`${what}: the chain returned ${output.byteLength} bytes, not ${data.byteLength}`)
  for (let i = 0; i < data.length; i++) {
    if (output[i] !== ((data[i]! + STEPS) & 0xff)) throw new Error(`${what}: byte ${i} is ${output[i]}, not ${(data[i]! + STEPS) & 0xff}: a step ran more or less than once`)
  }
}

/** The gateway answers `{ error: { name, message } }`; that, or the status when there is none. */
function failure (body: ArrayBuffer, status: number): string {
  try {
    const error = JSON.parse(new TextDecoder().decode(body))?.error
    if (typeof error?.name === 'string') return `${error.name}: ${String(error.message ?? '')}`
  } catch {}
  return `HTTP ${status}`
}

async function post (d: Daemon, path: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}): Promise<{ status: number, body: ArrayBuffer, headers: Headers }> {
  const res = await fetch(`${d.url}${path}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
  return { status: res.status, body: await res.arrayBuffer(), headers: res.headers }
}

async function deploy (d: Daemon, root: string): Promise<void> {
  const fn = await post(d, `/v1/functions/${FUNCTION}`, readFileSync(join(root, 'build', `${FUNCTION}.wasm`)))
  if (fn.status !== 201) throw new Error(`deploy ${FUNCTION}: ${failure(fn.body, fn.status)}`)
  const chain = await post(d, `/v1/chains/${CHAIN}`, JSON.stringify(chainSpec()), { 'content-type': 'application/json' })
  if (chain.status !== 201) throw new Error(`deploy chain ${CHAIN}: ${failure(chain.body, chain.status)}`)
}

/** Every daemon's link table: `LATENCY_MS` one way to each of the others, at `mbps` (0: unlimited). */
async function setLinks (daemons: Daemon[], mbps: number): Promise<void> {
  await Promise.all(daemons.map(async (d) => {
    const state: LinkState = {
      rules: daemons.filter((o) => o !== d).map((o) => ({ peer: o.peerId, latencyMs: LATENCY_MS, jitterMs: 0, bandwidthKbps: mbps * 1000, lossPct: 0 })),
      blocked: []
    }
    const res = await fetch(`${d.url}/v1/testbed/links`, { method: 'PUT', body: JSON.stringify(state), signal: AbortSignal.timeout(10_000) })
    if (res.status !== 200) throw new Error(`PUT /v1/testbed/links on ${d.url}: ${res.status} ${await res.text()}`)
  }))
}

/** One chain run through `entry`, its output checked, then its placement record read (not timed). */
async function runChain (entry: Daemon, data: Uint8Array<ArrayBuffer>, locality: Locality): Promise<Run> {
  const started = performance.now()
  const res = await post(entry, `/v1/invoke/${CHAIN}`, data, {
    'content-type': 'application/octet-stream',
    'x-faasmesh-locality': locality,
    'x-faasmesh-deadline-ms': String(DEADLINE_MS)
  })
  const ms = performance.now() - started
  if (res.status !== 200) throw new Error(`chain ${CHAIN}, locality ${locality}: ${failure(res.body, res.status)}`)
  checkOutput(data, new Uint8Array(res.body), `chain ${CHAIN}, locality ${locality}`)
  const id = res.headers.get('x-faasmesh-placement-id')
  if (id == null) throw new Error(`chain ${CHAIN}: no x-faasmesh-placement-id header`)
  const record = await fetch(`${entry.url}/v1/placements/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
  if (record.status !== 200) throw new Error(`GET /v1/placements/${id}: ${record.status} ${await record.text()}`)
  const chain = (await record.json() as { chain?: ChainRecord }).chain
  if (chain == null) throw new Error(`placement ${id} has no chain record`)
  if (chain.locality !== (locality === 'on')) throw new Error(`placement ${id}: asked for locality ${locality}, the record says ${String(chain.locality)}`)
  const executors = chain.steps.map((s) => s.executor ?? '')
  return {
    ms,
    bytes: chain.traffic.invoke + chain.traffic.chainData + chain.traffic.state,
    traffic: chain.traffic,
    executors: new Set(executors).size,
    onEntry: executors.filter((e) => e === entry.peerId).length,
    placementMs: chain.steps.reduce((sum, s) => sum + (s.placementMs ?? 0), 0),
    runMs: chain.steps.reduce((sum, s) => sum + (s.runMs ?? 0), 0)
  }
}

/** `n` runs of each mode, after `warmup` of each, interleaved (on, off, off, on, ...: each mode goes first half the time). */
async function measure (entry: Daemon, data: Uint8Array<ArrayBuffer>, n: number, warmup: number): Promise<Record<Locality, Run[]>> {
  const runs: Record<Locality, Run[]> = { on: [], off: [] }
  for (let i = -warmup; i < n; i++) {
    const order: Locality[] = (i & 1) === 0 ? ['on', 'off'] : ['off', 'on']
    for (const locality of order) {
      const run = await runChain(entry, data, locality)
      if (i >= 0) runs[locality].push(run)
    }
  }
  return runs
}

/**
 * Every node compiles blob-step and fetches its code before anything is timed: round robin
 * from node 0 visits each in turn (and the warm-up chain runs place steps where they will go).
 */
async function warmFunction (daemons: Daemon[], data: Uint8Array<ArrayBuffer>): Promise<void> {
  const seen = new Set<string>()
  for (let i = 0; i < daemons.length * 4 && seen.size < daemons.length; i++) {
    const res = await post(daemons[0]!, `/v1/invoke/${FUNCTION}`, data.subarray(0, 1024), { 'x-faasmesh-policy': 'round-robin' })
    if (res.status !== 200) throw new Error(`warm-up invoke of ${FUNCTION}: ${failure(res.body, res.status)}`)
    seen.add(res.headers.get('x-faasmesh-executor') ?? '')
  }
}

const median = (values: number[]): number => summarize(values).median
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`

function verdict (on: number, off: number, target: number): string {
  if (on === 0 && off === 0) return 'n/a, nothing crossed a link in either mode'
  const ratio = on / off
  return ratio <= target ? `met, ${ratio.toFixed(2)}x` : `MISSED, ${ratio.toFixed(2)}x`
}

export async function benchChains (root: string, quick: boolean, progress: (msg: string) => void): Promise<Row[]> {
  const n = quick ? 15 : 60
  const warmup = quick ? 3 : 5
  const load = loadavg()
  const data = input()
  const rows: Row[] = []
  for (const mesh of MESHES) rows.push(...await benchMesh(root, mesh, n, warmup, data, progress))
  progress(`chains: load average when the group started ${load.map((l) => l.toFixed(2)).join(' / ')} on ${availableParallelism()} cores (5 daemons and this client share them)`)
  return rows
}

async function benchMesh (root: string, mesh: Mesh, n: number, warmup: number, data: Uint8Array<ArrayBuffer>, progress: (msg: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-chains-bench-'))
  let daemons: Daemon[] = []
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ testbed: { control: true } }))
    progress(`chains: ${mesh.name}, testbed control on`)
    daemons = await startMesh(root, join(dir, 'nodes'), NODES, (i) => ['--config', join(dir, 'config.json'), ...mesh.args(i)])
    const entry = daemons[0]!
    await deploy(entry, root)

    const rows: Row[] = []
    for (const mbps of mesh.bandwidthsMbps) {
      const links = `${LATENCY_MS} ms one way, ${mbps === 0 ? 'unlimited bandwidth' : `${mbps} Mbit/s`}`
      const where = `${mesh.name}, ${links}`
      await setLinks(daemons, mbps)
      await warmFunction(daemons, data)
      progress(`chains: ${where}: ${n} runs with locality on and ${n} off, interleaved, after ${warmup} of each`)
      const runs = await measure(entry, data, n, warmup)
      const latency = { on: summarize(runs.on.map((r) => r.ms)), off: summarize(runs.off.map((r) => r.ms)) }
      const bytes = { on: summarize(runs.on.map((r) => r.bytes / 2 ** 20)), off: summarize(runs.off.map((r) => r.bytes / 2 ** 20)) }
      for (const locality of ['on', 'off'] as const) {
        const r = runs[locality]
        progress(`chains: ${where}, locality ${locality}: p50 ${fmt(latency[locality].median)}, p99 ${fmt(latency[locality].p99)}; ` +
          `moved per run (median) ${kib(median(r.map((x) => x.bytes)))}: invoke ${kib(median(r.map((x) => x.traffic.invoke)))}, ` +
          `chain data ${kib(median(r.map((x) => x.traffic.chainData)))}, state ${kib(median(r.map((x) => x.traffic.state)))}; ` +
          `executors per run (median) ${median(r.map((x) => x.executors))}, steps on the entry node ${median(r.map((x) => x.onEntry))} of ${STEPS}; ` +
          `per run (median) placement ${fmt(median(r.map((x) => x.placementMs)))}, run ${fmt(median(r.map((x) => x.runMs)))}`)
      }
      const latencyVerdict = verdict(latency.on.median, latency.off.median, TARGET_LATENCY_RATIO)
      const bytesVerdict = verdict(bytes.on.median, bytes.off.median, TARGET_BYTES_RATIO)
      progress(`chains: ${where}: latency on/off ${latencyVerdict} (target <= ${TARGET_LATENCY_RATIO}x), bytes on/off ${bytesVerdict} (target <= ${TARGET_BYTES_RATIO}x)`)
      const what = `chain of ${STEPS} blob-step, ${kib(INPUT_BYTES)} through every step, ${where}, locality on`
      const baselineName = 'same chain, locality off (interleaved, same run)'
      rows.push(
        { group: 'chains', name: `${what}: end to end (HTTP); target <= ${TARGET_LATENCY_RATIO}x off: ${latencyVerdict}`, result: latency.on, baselineName, baseline: latency.off },
        { group: 'chains', name: `${what}: bytes moved between daemons per run (chain record traffic); target <= ${TARGET_BYTES_RATIO}x off: ${bytesVerdict}`, unit: 'MiB', result: bytes.on, baselineName, baseline: bytes.off }
      )
    }
    return rows
  } finally {
    for (const d of daemons) d.proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
