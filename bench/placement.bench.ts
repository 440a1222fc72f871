/**
 * Placement on 5-daemon loopback meshes:
 *  - overhead: what an auction adds (name lookup, bids, scoring: the `lookup` and `placement` phases
 *    the node reports in `x-faasmesh-timings`) against a 100 B round trip on a long-lived libp2p stream, and end to end over
 *    HTTP against a direct invoke of a known peer (no bids) and a local run, all in the same run;
 *  - throughput: concurrent clients on every gateway, auction against local;
 *  - heterogeneity: nodes with different slots and slowdowns under seeded open-loop Poisson load,
 *    every policy in turn, latency mean / p50 / p99 side by side.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMesh, stopDaemons, type Daemon } from './daemons.js'
import { parseTimingsHeader } from '../daemon/src/gateway/timing-headers.js'
import { drain } from '../testbed/src/drain.js'
import { seeded } from '../testbed/src/rng.js'
import { arrivals } from '../testbed/src/workload.js'
import { httpLoadMany } from './http-load.js'
import { crossProcessRoundTrip } from './rpc.bench.js'
import { sample, summarize, fmt, type Summary } from './stats.js'
import { markdown, type Row } from './report.js'

interface Answer { ok: boolean, ms: number, executor: string, placementMs: number, lookupMs: number, durationMs: number }

async function invoke (d: Daemon, name: string, body: string, policy?: string): Promise<Answer> {
  const started = performance.now()
  const res = await fetch(`${d.url}/v1/invoke/${name}`, { method: 'POST', body, headers: policy == null ? {} : { 'x-faasmesh-policy': policy }, signal: AbortSignal.timeout(60_000) })
  await res.arrayBuffer()
  const timings = parseTimingsHeader(res.headers.get('x-faasmesh-timings'))
  return {
    ok: res.status === 200,
    ms: performance.now() - started,
    executor: res.headers.get('x-faasmesh-executor') ?? '',
    // the name lookup is a phase of its own: counted here as before, with the bids
    placementMs: (timings.lookup ?? 0) + (timings.placement ?? NaN),
    lookupMs: timings.lookup ?? 0,
    durationMs: Number(res.headers.get('x-faasmesh-duration-ms'))
  }
}

async function deploy (d: Daemon, name: string, file: string): Promise<void> {
  const res = await fetch(`${d.url}/v1/functions/${name}`, { method: 'POST', body: readFileSync(file) })
  if (res.status !== 201) throw new Error(`deploy ${name}: ${await res.text()}`)
}

/**
 * Every node fetches the code and learns its run time: round robin from node 0 visits each.
 * Returns each node's median warm duration (ms), by peer id.
 */
async function warmUp (daemons: Daemon[], name: string, body: string): Promise<Map<string, number>> {
  const durations = new Map<string, number[]>()
  for (let i = 0; i < daemons.length * 5; i++) {
    const answer = await invoke(daemons[0]!, name, body, 'round-robin')
    if (!answer.ok) throw new Error(`warm-up invoke of ${name} failed`)
    durations.set(answer.executor, [...(durations.get(answer.executor) ?? []), answer.durationMs])
  }
  return new Map([...durations].map(([peer, ms]) => [peer, summarize(ms).median]))
}

async function withMesh<T> (root: string, args: (i: number) => string[], fn: (daemons: Daemon[]) => Promise<T>, env: (i: number) => Record<string, string> = () => ({})): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-placement-bench-'))
  const daemons = await startMesh(root, dir, 5, args, env)
  try {
    return await fn(daemons)
  } finally {
    await stopDaemons(daemons)
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * `clients` closed-loop connections spread over the gateways (autocannon, one instance per
 * gateway) for `seconds`; answers per second. Latencies in whole ms (autocannon's).
 */
async function throughput (daemons: Daemon[], clients: number, seconds: number, policy: string): Promise<Summary & { throughput: number }> {
  const targets = daemons.map((d, i) => ({
    url: `${d.url}/v1/invoke/fib`,
    connections: Math.floor(clients / daemons.length) + (i < clients % daemons.length ? 1 : 0),
    headers: { 'x-faasmesh-policy': policy }
  })).filter((t) => t.connections > 0)
  const result = await httpLoadMany(targets, '22', seconds)
  // autocannon counts the calls cut off when the duration ends as errors: a few are no failure
  if (result.errors + result.non2xx > Math.max(8, result.n / 100)) throw new Error(`${result.errors} errors and ${result.non2xx} non-2xx answers under ${policy} (${result.n} ok)`)
  return result
}

interface PolicyRun { policy: string, latency: Summary, success: number, perNode: number[] }

/** Open loop: arrivals on a Poisson schedule, never waiting for answers, entry nodes in turn. */
async function openLoop (daemons: Daemon[], policy: string, count: number, ratePerS: number): Promise<PolicyRun> {
  const pending: Array<Promise<Answer>> = []
  const started = performance.now()
  // the testbed's arrival process, same seed for every policy
  const times = arrivals('poisson', ratePerS, 0, 1, seeded(7), count)
  for (const [i, at] of times.entries()) {
    const wait = started + at - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(invoke(daemons[i % daemons.length]!, 'fib', '25', policy).catch(() => ({ ok: false, ms: NaN, executor: '', placementMs: NaN, lookupMs: NaN, durationMs: NaN })))
  }
  const answers = await Promise.all(pending)
  const ok = answers.filter((a) => a.ok)
  return {
    policy,
    latency: summarize(ok.map((a) => a.ms)),
    success: ok.length / answers.length,
    perNode: daemons.map((d) => ok.filter((a) => a.executor === d.peerId).length)
  }
}

// heterogeneous mesh: two fast nodes with 2 slots, three 4x slower ones with 1. The slowdowns
// hold the slot, not the CPU: the five daemons share this machine's cores, and the load stays
// well below what they can carry, so the slots (not the CPU) are what placement has to manage.
const HETERO = [
  { slots: 2, slowdown: 40 },
  { slots: 2, slowdown: 40 },
  { slots: 1, slowdown: 160 },
  { slots: 1, slowdown: 160 },
  { slots: 1, slowdown: 160 }
]
// the daemons share this machine's two cores with the load generator: stay clear of saturating them
const LOAD = 0.6
const POLICY_ORDER = ['random', 'round-robin', 'least-loaded', 'power-of-two', 'auction', 'local']

/** `hetero: false` skips the heterogeneous mesh (`--no-hetero`): the overhead and throughput rows alone. */
export async function benchPlacement (root: string, quick: boolean, progress: (m: string) => void, hetero = true): Promise<{ rows: Row[], section: string }> {
  const n = quick ? 100 : 500
  const rows: Row[] = []
  const stream = await crossProcessRoundTrip(n)

  progress('placement: overhead and throughput on a 5-node mesh')
  // node 1 holds a full auction for every call (no local fast path): the cost of asking peers
  await withMesh(root, () => ['--slots', '2'], async (daemons) => {
    const entry = daemons[0]!
    const asking = daemons[1]!
    await deploy(entry, 'hello', join(root, 'build', 'hello.wasm'))
    await deploy(entry, 'fib', join(root, 'build', 'fib.wasm'))
    await warmUp(daemons, 'hello', 'x')
    await warmUp(daemons, 'fib', '22')
    const auction: Answer[] = []
    const auctionMs = summarize(await sample(n, async (i) => { const a = await invoke(entry, 'hello', 'x', 'auction'); if (i >= 0) auction.push(a) }))
    const overhead = summarize(auction.map((a) => a.placementMs))
    // how many of those skipped the auction, and what the name lookup alone cost
    const metrics = await (await fetch(`${entry.url}/metrics`)).text()
    const fast = /^faasmesh_placement_fast_path_total (\d+)/m.exec(metrics)?.[1] ?? '0'
    progress(`placement: ${fast} fast-path placements on node 0 (of ${auction.length} timed + warm-up); lookup p50 ${fmt(summarize(auction.map((a) => a.lookupMs)).median)}`)
    const full: Answer[] = []
    await sample(n, async (i) => { const a = await invoke(asking, 'hello', 'x', 'auction'); if (i >= 0) full.push(a) })
    const fullOverhead = summarize(full.map((a) => a.placementMs))
    const local = summarize(await sample(n, async () => invoke(entry, 'hello', 'x', 'local')))
    // round robin from node 0 sends 4 calls in 5 to a known peer without asking for bids
    const direct: number[] = []
    await sample(Math.ceil(n * 5 / 4), async (i) => { const a = await invoke(entry, 'hello', 'x', 'round-robin'); if (i >= 0 && a.executor !== '' && a.ok && a.executor !== entryId(daemons)) direct.push(a.ms) })
    const directMs = summarize(direct)
    rows.push(
      { group: 'placement', name: 'auction overhead, default (local fast path on): lookup + placement (x-faasmesh-timings)', result: overhead, baselineName: '100 B round trip on a long-lived libp2p stream to another process', baseline: stream },
      { group: 'placement', name: 'auction overhead, a full auction every call (fast path off on that node): lookup + bids from 3 candidates + scoring', result: fullOverhead, baselineName: '100 B round trip on a long-lived libp2p stream to another process', baseline: stream },
      { group: 'placement', name: 'invoke hello via auction (HTTP, end to end)', result: auctionMs, baselineName: 'direct invoke of a known peer, no bids (HTTP)', baseline: directMs },
      { group: 'placement', name: 'invoke hello via auction (HTTP, end to end)', result: auctionMs, baselineName: 'policy local (HTTP)', baseline: local }
    )
    progress('placement: throughput, 16 clients over 5 gateways')
    const seconds = quick ? 3 : 8
    const auctioned = await throughput(daemons, 16, seconds, 'auction')
    const localRun = await throughput(daemons, 16, seconds, 'local')
    rows.push({ group: 'placement', name: 'fib(22), 16 connections on 5 gateways (autocannon), auction', result: auctioned, baselineName: 'same load, policy local', baseline: localRun })
    // printed now too: a loaded host can fail the next mesh's start, and these rows are the point
    progress(`placement rows so far:\n${markdown(rows)}`)
  }, (i): Record<string, string> => i === 1 ? { FAASMESH_PLACEMENT_LOCAL_FAST_PATH: 'false' } : {})

  if (!hetero) return { rows, section: '' }
  progress('placement: heterogeneous mesh, every policy under Poisson load')
  const runs = await withMesh(root, (i) => ['--slots', String(HETERO[i]!.slots), '--slowdown', String(HETERO[i]!.slowdown)], async (daemons) => {
    await deploy(daemons[0]!, 'fib', join(root, 'build', 'fib.wasm'))
    const durations = await warmUp(daemons, 'fib', '25')
    // capacity: each node's slots over its measured warm duration
    const capacity = daemons.reduce((sum, d, i) => sum + HETERO[i]!.slots * 1000 / (durations.get(d.peerId) ?? Infinity), 0)
    const rate = Math.round(capacity * LOAD)
    const count = quick ? 200 : 800
    const out: PolicyRun[] = []
    for (const policy of POLICY_ORDER) {
      progress(`placement: ${policy}, ${count} invocations at ${rate}/s`)
      if (!await drain(() => daemons.map((d) => d.url))) throw new Error('the mesh did not drain within 60 s')
      out.push(await openLoop(daemons, policy, count, rate))
    }
    return { out, rate, count }
  })
  const random = runs.out.find((r) => r.policy === 'random')!
  const section = [
    `Heterogeneous 5-node mesh (slots ${HETERO.map((h) => h.slots).join('/')}, slowdown ${HETERO.map((h) => h.slowdown).join('/')}), fib(25), ` +
      `${runs.count} open-loop Poisson arrivals at ${runs.rate}/s (${LOAD * 100} % of the slots' measured capacity) spread over the 5 gateways, same seed for every policy:`,
    '',
    '| policy | success | mean | p50 | p99 | p99 vs random | executions per node (fast, fast, slow, slow, slow) |',
    '|---|---|---|---|---|---|---|',
    ...runs.out.map((r) => `| ${r.policy} | ${(r.success * 100).toFixed(1)} % | ${fmt(r.latency.mean)} | ${fmt(r.latency.median)} | ${fmt(r.latency.p99)} | ${(r.latency.p99 / random.latency.p99).toFixed(2)}x | ${r.perNode.join(' / ')} |`)
  ].join('\n')
  return { rows, section }
}

function entryId (daemons: Daemon[]): string {
  return daemons[0]!.peerId
}
