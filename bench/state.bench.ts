/**
 * State (DESIGN.md section 10) on a 3-daemon loopback mesh, Redis on loopback too:
 *  - cost: what a 1 KiB state adds to an invocation, per model, against the same function called
 *    without state, calls interleaved one by one through one entry node, policy local for both
 *    (so the auction's noise stays out); in-function's home is the entry node, in-edge's key has
 *    its primary on another node (the network cost is real). In-edge's added median is set
 *    against a 100 B round trip on a long-lived libp2p stream, measured in the same run.
 *  - correctness under load: 200 concurrent increments of one key of `counter`, spread over the
 *    3 entry nodes, default policy, for every shared model: the final count must be 200.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisServerMissing, startRedis, type RedisServer } from '../daemon/test/support/redis.js'
import { startMesh, type Daemon } from './daemons.js'
import { crossProcessRoundTrip } from './rpc.bench.js'
import { fmt, summarize, type Summary } from './stats.js'
import type { Row } from './report.js'

type Model = 'in-client' | 'in-function' | 'in-edge' | 'external'
const MODELS: readonly Model[] = ['in-client', 'in-function', 'in-edge', 'external']
const SHARED: readonly Model[] = ['in-function', 'in-edge', 'external']

/** Added median a model should stay under, in ms (in-edge's is a multiple of the rpc round trip). */
const TARGET_ADDED_MS: Partial<Record<Model, number>> = { 'in-client': 0.5, 'in-function': 0.5 }
const TARGET_EDGE_RTT_MULTIPLE = 3
/** The correctness run: concurrent increments of one key. */
const INCREMENTS = 200
/** One call may take this long before it counts as failed; a bench never waits without bound. */
const CALL_TIMEOUT_MS = 60_000

interface Answer {
  status: number
  ms: number
  /** `x-faasmesh-state-bytes` */
  bytes: number
  /** `x-faasmesh-duration-ms`: the run at the executing node, its transaction included. */
  durationMs: number
  /** The new in-client envelope (`x-faasmesh-state`). */
  carried?: string
  executor: string
  /** The error's name when status is not 200. */
  error?: string
}

interface Call { key?: string, model?: Model, carried?: string, policy?: string }

async function invoke (d: Daemon, name: string, input: string, call: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (call.policy != null) headers['x-faasmesh-policy'] = call.policy
  if (call.key != null) headers['x-faasmesh-state-key'] = call.key
  if (call.model != null) headers['x-faasmesh-state-model'] = call.model
  if (call.carried != null) headers['x-faasmesh-state'] = call.carried
  const started = performance.now()
  const res = await fetch(`${d.url}/v1/invoke/${name}`, { method: 'POST', body: input, headers, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
  const body = await res.arrayBuffer()
  const ms = performance.now() - started
  const answer: Answer = { status: res.status, ms, bytes: Number(res.headers.get('x-faasmesh-state-bytes') ?? NaN), durationMs: Number(res.headers.get('x-faasmesh-duration-ms') ?? NaN), executor: res.headers.get('x-faasmesh-executor') ?? '' }
  const carried = res.headers.get('x-faasmesh-state')
  if (carried != null) answer.carried = carried
  if (res.status !== 200) answer.error = errorName(body, res.status)
  return answer
}

/** The gateway answers `{ error: { name, message } }`; the name, or the status when there is none. */
function errorName (body: ArrayBuffer, status: number): string {
  try {
    const name = JSON.parse(new TextDecoder().decode(body))?.error?.name
    if (typeof name === 'string') return name
  } catch {}
  return `HTTP ${status}`
}

async function ok (answer: Promise<Answer>, what: string): Promise<Answer> {
  const a = await answer
  if (a.status !== 200) throw new Error(`${what}: ${a.status} ${a.error ?? ''}`)
  return a
}

async function deploy (d: Daemon, name: string, file: string): Promise<void> {
  const res = await fetch(`${d.url}/v1/functions/${name}`, { method: 'POST', body: readFileSync(file) })
  if (res.status !== 201) throw new Error(`deploy ${name}: ${await res.text()}`)
}

interface StateView { version: number, home?: string, entries: Record<string, string> }

async function view (d: Daemon, key: string, model: Model): Promise<StateView | undefined> {
  const res = await fetch(`${d.url}/v1/state/${key}?model=${model}`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
  if (res.status === 404) { await res.arrayBuffer(); return undefined }
  if (res.status !== 200) throw new Error(`GET /v1/state/${key}?model=${model}: ${res.status} ${await res.text()}`)
  return await res.json() as StateView
}

/** A name deployed on node 0 is invocable from every node once its record has spread: bounded wait. */
async function resolvable (daemons: Daemon[], name: string, input: string, call: Call = {}): Promise<void> {
  const deadline = Date.now() + 30_000
  for (const d of daemons) {
    while (true) {
      const a = await invoke(d, name, input, { ...call, policy: 'local' })
      if (a.status === 200) break
      if (Date.now() > deadline) throw new Error(`${name} not invocable from ${d.url}: ${a.status} ${a.error ?? ''}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

interface Cost {
  model: Model
  stateless: Summary
  stateful: Summary
  /** The same calls' `x-faasmesh-duration-ms`: the executing node's share (with state: the whole transaction). */
  nodeStateless: Summary
  nodeStateful: Summary
  /** Median of `x-faasmesh-state-bytes` over the stateful calls, and its range. */
  bytes: { median: number, min: number, max: number }
  skipped?: string
}

/**
 * `n` stateless and `n` stateful calls of state-blob, interleaved one by one (after `warmup`
 * pairs) so drift in the machine's load falls on both alike; policy local for both.
 */
async function cost (entry: Daemon, model: Model, key: string, n: number, warmup: number): Promise<Cost> {
  const stateless: number[] = []
  const stateful: number[] = []
  const bytes: number[] = []
  const nodeStateless: number[] = []
  const nodeStateful: number[] = []
  let carried: string | undefined
  for (let i = -warmup; i < n; i++) {
    const plain = await ok(invoke(entry, 'state-blob', 'none', { policy: 'local' }), 'stateless state-blob')
    const call: Call = { policy: 'local', key, model }
    if (carried != null) call.carried = carried
    const withState = await ok(invoke(entry, 'state-blob', 'state', call), `${model} state-blob`)
    if (model === 'in-client') carried = withState.carried
    if (withState.executor !== entry.peerId) throw new Error(`${model} state-blob ran on ${withState.executor}, not on the entry node`)
    if (i < 0) continue
    stateless.push(plain.ms)
    stateful.push(withState.ms)
    bytes.push(withState.bytes)
    nodeStateless.push(plain.durationMs)
    nodeStateful.push(withState.durationMs)
  }
  const b = summarize(bytes)
  return { model, stateless: summarize(stateless), stateful: summarize(stateful), nodeStateless: summarize(nodeStateless), nodeStateful: summarize(nodeStateful), bytes: { median: b.median, min: Math.min(...bytes), max: Math.max(...bytes) } }
}

/** A key whose in-edge primary is not `entry`: made by a first call, then its primary asked for. */
async function remoteEdgeKey (entry: Daemon, prefix: string): Promise<{ key: string, primary: string }> {
  for (let i = 0; i < 32; i++) {
    const key = `${prefix}-${i}`
    await ok(invoke(entry, 'state-blob', 'state', { policy: 'local', key, model: 'in-edge' }), 'in-edge key probe')
    const home = (await view(entry, key, 'in-edge'))?.home
    if (home != null && home !== entry.peerId) return { key, primary: home }
  }
  throw new Error('no in-edge key with a primary off the entry node in 32 tries')
}

/**
 * A daemon-to-daemon hop under this run's load: the stateless call placed on another node
 * without bids (round robin from the entry node) against the same call with policy local,
 * interleaved. In-edge pays about three of these (read, commit, replication), the rpc round trip
 * between two quiet processes is the floor under each.
 */
async function hop (entry: Daemon, n: number, warmup: number): Promise<{ remote: Summary, local: Summary }> {
  const remote: number[] = []
  const local: number[] = []
  // round robin from node 0 visits the other two in three calls: 3n tries are plenty, and bounded
  for (let i = -warmup; remote.length < n && i < 3 * n; i++) {
    const here = await ok(invoke(entry, 'state-blob', 'none', { policy: 'local' }), 'stateless state-blob, local')
    const there = await ok(invoke(entry, 'state-blob', 'none', { policy: 'round-robin' }), 'stateless state-blob, round robin')
    if (i < 0 || there.executor === entry.peerId) continue
    local.push(here.ms)
    remote.push(there.ms)
  }
  return { remote: summarize(remote), local: summarize(local) }
}

interface Load {
  model: Model
  final?: number
  wallMs: number
  failures: Map<string, number>
  skipped?: string
}

/** `INCREMENTS` concurrent increments of one counter key, entry nodes in turn, default policy. */
async function increments (daemons: Daemon[], model: Model, key: string): Promise<Load> {
  const failures = new Map<string, number>()
  const started = performance.now()
  await Promise.all(Array.from({ length: INCREMENTS }, async (_, i) => {
    const a = await invoke(daemons[i % daemons.length]!, 'counter', '1', { key, model })
      .catch((err: any) => ({ status: 0, error: String(err?.name ?? 'FetchError') }))
    if (a.status !== 200) failures.set(a.error ?? `HTTP ${a.status}`, (failures.get(a.error ?? `HTTP ${a.status}`) ?? 0) + 1)
  }))
  const wallMs = performance.now() - started
  const count = (await view(daemons[0]!, key, model))?.entries.count
  return { model, wallMs, failures, ...(count != null ? { final: Number(Buffer.from(count, 'base64').toString('utf8')) } : {}) }
}

export async function benchState (root: string, quick: boolean, progress: (m: string) => void): Promise<{ rows: Row[], section: string }> {
  const n = quick ? 100 : 400
  const warmup = quick ? 20 : 50
  const run = Date.now().toString(36)
  // other work on this machine shows in every number here: said next to them
  const load = loadavg()

  progress('state: 100 B rpc round trip to another process (the in-edge yardstick)')
  const rtt = await crossProcessRoundTrip(n)

  const missing = redisServerMissing()
  let redis: RedisServer | undefined
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-state-bench-'))
  let daemons: Daemon[] = []
  try {
    if (missing == null) {
      redis = await startRedis()
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ state: { externalUrl: redis.url } }))
    }
    progress(`state: 3-node mesh${redis != null ? `, Redis at ${redis.url}` : ` (external skipped: ${missing})`}`)
    daemons = await startMesh(root, join(dir, 'nodes'), 3, () => redis != null ? ['--config', join(dir, 'config.json')] : [])
    const entry = daemons[0]!
    await deploy(entry, 'state-blob', join(root, 'build', 'fixtures', 'state-blob.wasm'))
    await deploy(entry, 'counter', join(root, 'build', 'counter.wasm'))
    // in-client: a warm-up that leaves no state anywhere
    await resolvable(daemons, 'counter', '0', { key: `bench-warm-${run}`, model: 'in-client' })
    await resolvable(daemons, 'state-blob', 'none')

    const costs: Cost[] = []
    for (const model of MODELS) {
      if (model === 'external' && redis == null) {
        const none = summarize([])
        costs.push({ model, stateless: none, stateful: none, nodeStateless: none, nodeStateful: none, bytes: { median: NaN, min: NaN, max: NaN }, skipped: missing ?? 'no Redis' })
        continue
      }
      let key = `bench-${model}-${run}`
      let where = ''
      if (model === 'in-function') {
        // the first call (policy local) makes the entry node the key's home
        await ok(invoke(entry, 'state-blob', 'state', { policy: 'local', key, model }), 'in-function home')
        const home = (await view(entry, key, model))?.home
        if (home !== entry.peerId) throw new Error(`in-function key ${key} lives on ${home}, not on the entry node`)
        where = ', home: the entry node'
      } else if (model === 'in-edge') {
        const remote = await remoteEdgeKey(entry, `bench-edge-${run}`)
        key = remote.key
        where = `, primary: node ${daemons.findIndex((d) => d.peerId === remote.primary)} (entry: node 0)`
      }
      progress(`state: ${model}, ${n} stateless + ${n} stateful calls interleaved${where}`)
      costs.push(await cost(entry, model, key, n, warmup))
    }

    progress(`state: yardstick, ${n} stateless calls on another node (round robin, no bids) against local`)
    const hops = await hop(entry, n, warmup)

    const loads: Load[] = []
    for (const model of SHARED) {
      if (model === 'external' && redis == null) {
        loads.push({ model, wallMs: NaN, failures: new Map(), skipped: missing ?? 'no Redis' })
        continue
      }
      progress(`state: ${model}, ${INCREMENTS} concurrent increments of one counter key over 3 entry nodes`)
      loads.push(await increments(daemons, model, `bench-count-${model}-${run}`))
    }

    return report(costs, loads, rtt, hops, n, quick, load)
  } finally {
    for (const d of daemons) d.proc.kill('SIGKILL')
    await redis?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function added (c: Cost): { median: number, p99: number } {
  return { median: c.stateful.median - c.stateless.median, p99: c.stateful.p99 - c.stateless.p99 }
}

/** A duration that may be negative (a difference of two noisy medians). */
function signed (ms: number): string {
  return Number.isNaN(ms) ? '-' : `${ms < 0 ? '-' : '+'}${fmt(Math.abs(ms))}`
}

function report (costs: Cost[], loads: Load[], rtt: Summary, hops: { remote: Summary, local: Summary }, n: number, quick: boolean, load: number[]): { rows: Row[], section: string } {
  const rows: Row[] = []
  const measured = costs.filter((c) => c.skipped == null)
  for (const c of measured) {
    rows.push({ group: 'state', name: `invoke state-blob with 1 KiB ${c.model} state (policy local, HTTP)`, result: c.stateful, baselineName: 'same function, no state (interleaved)', baseline: c.stateless })
  }
  rows.push({ group: 'state', name: 'stateless state-blob on another node (round robin from node 0, no bids, HTTP)', result: hops.remote, baselineName: 'same call, policy local (interleaved)', baseline: hops.local })
  const edge = measured.find((c) => c.model === 'in-edge')
  if (edge != null) {
    const a = added(edge)
    rows.push({ group: 'state', name: 'in-edge: latency added by a 1 KiB state (primary on another node)', result: { n: edge.stateful.n, median: a.median, p99: a.p99, mean: edge.stateful.mean - edge.stateless.mean }, baselineName: '100 B round trip on a long-lived libp2p stream to another process', baseline: rtt })
  }

  const target = (c: Cost): string => {
    if (c.skipped != null) return '-'
    const a = added(c).median
    if (c.model === 'in-edge') {
      const multiple = a / rtt.median
      return `< ${TARGET_EDGE_RTT_MULTIPLE}x rpc RTT (${fmt(TARGET_EDGE_RTT_MULTIPLE * rtt.median)}): ${multiple.toFixed(1)}x, ${multiple < TARGET_EDGE_RTT_MULTIPLE ? 'met' : `MISSED by ${fmt(a - TARGET_EDGE_RTT_MULTIPLE * rtt.median)}`}`
    }
    const limit = TARGET_ADDED_MS[c.model]
    if (limit == null) return 'none'
    return `< ${fmt(limit)}: ${a < limit ? 'met' : `MISSED by ${fmt(a - limit)}`}`
  }
  const bytes = (c: Cost): string => c.bytes.min === c.bytes.max ? `${c.bytes.median} B` : `${c.bytes.median} B (${c.bytes.min}-${c.bytes.max})`
  const costLines = costs.map((c) => c.skipped != null
    ? `| ${c.model} | skipped: ${c.skipped} | | | | | | | | |`
    : `| ${c.model} | ${fmt(c.stateless.median)} | ${fmt(c.stateful.median)} | ${signed(added(c).median)} | ${signed(c.nodeStateful.median - c.nodeStateless.median)} | ${fmt(c.stateless.p99)} | ${fmt(c.stateful.p99)} | ${signed(added(c).p99)} | ${bytes(c)} | ${target(c)} |`)

  const failures = (l: Load): string => l.failures.size === 0 ? '0' : [...l.failures].map(([name, count]) => `${count} ${name}`).join(', ')
  const loadLines = loads.map((l) => l.skipped != null
    ? `| ${l.model} | skipped: ${l.skipped} | | | |`
    : `| ${l.model} | ${l.final ?? 'no state'} | ${l.final === INCREMENTS ? 'yes' : 'NO'} | ${fmt(l.wallMs)} | ${failures(l)} |`)

  const section = [
    `State on a 3-node loopback mesh${quick ? ' (--quick)' : ''}: state-blob (1 KiB value read, changed, written back) through node 0, policy local, ` +
      `${n} stateless and ${n} stateful calls interleaved one by one; added = stateful minus stateless (same run). ` +
      `in-function's home is the entry node; in-edge's key has its primary on another node. ` +
      `Yardstick: 100 B rpc round trip to another process, median ${fmt(rtt.median)}, p99 ${fmt(rtt.p99)}. ` +
      `A daemon-to-daemon hop under this load (stateless call on another node minus local, p50): ${signed(hops.remote.median - hops.local.median)}; ` +
      `in-edge's transaction makes three (read and commit at the primary, the primary's replication), and the primary and one replica persist the commit. ` +
      `Load average when the group started: ${load.map((l) => l.toFixed(2)).join(' / ')} on ${availableParallelism()} cores (the daemons, Redis and this client share them).`,
    '',
    '| model | stateless p50 | stateful p50 | added p50 | of which at the executing node (x-faasmesh-duration-ms, p50) | stateless p99 | stateful p99 | added p99 | state bytes over the network per call (x-faasmesh-state-bytes, median) | target (added p50) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...costLines,
    '',
    `${INCREMENTS} concurrent increments of one counter key, entry nodes 0/1/2 in turn, default policy:`,
    '',
    `| model | final count | exactly ${INCREMENTS} | wall time | failures (status != 200, by error name) |`,
    '|---|---|---|---|---|',
    ...loadLines
  ].join('\n')
  return { rows, section }
}
