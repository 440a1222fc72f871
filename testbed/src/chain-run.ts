/**
 * `faasmesh testbed run` for a chain workload (papers.md B4): the mesh, plus a Redis server
 * behind one emulated link per node for the external model; the chain specs deployed; then for
 * every rate, policy, state model and placement mode, a fresh set of state keys primed by one
 * unmeasured chain each, and the same seeded jobs sent open loop. Writes `chains.jsonl`, a
 * summary (CSV and table: mean, p50, p90, p99, traffic per chain) and the latency CDF per model.
 */
import { createWriteStream, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { AttachedMesh } from './attached-mesh.js'
import { REFERENCE_MS_PER_FUEL, chainInput, chainJobs, chainName, chainSpec, drawPlan, type ChainJob, type ChainJobRecord, type StepPlan } from './chains.js'
import { startDelayProxy, type DelayProxy } from './delay-proxy.js'
import { drain } from './drain.js'
import { hopsBetween } from './links.js'
import { LocalMesh } from './local-mesh.js'
import { chainLatencyCdf, chainTraffic as chainTrafficPlot } from './plots.js'
import { redisMissing, startRedisServer, type RedisServer } from './redis.js'
import { chainSummaryCsv, chainSummaryTable, summarizeChains } from './results.js'
import { applyLinks, deploy, restore, schedule, type RunOptions, type RunResult } from './run.js'
import { expand, groupOf, nodeNames, type ChainWorkload, type Placement, type Scenario } from './scenario.js'
import { seeded } from './rng.js'
import { arrivals } from './workload.js'
import { authHeaders, type Mesh } from './mesh.js'
import type { Progress } from './progress.js'
import type { PolicyName } from '../../daemon/src/placement/policy-names.js'
import type { StateModel } from '../../daemon/src/state/index.js'
import { timeoutSignal } from '../../protocols/src/timeout-signal.js'

/**
 * Response headers we accept: an in-client chain's state comes back in one header of up to
 * 64 KiB of base64 (a 48 KiB envelope), beyond the 16 KiB Node's fetch allows.
 */
const MAX_RESPONSE_HEADER_BYTES = 256 * 1024

/** Keys primed at once before a run. */
const PRIME_CONCURRENCY = 8
/** Warm-up calls of the step function per node. */
const WARM_CALLS_PER_NODE = 2
/** The warm-up gives up after this long. */
const WARM_UP_MS = 180_000

export async function runChainScenario (scenario: Scenario, workload: ChainWorkload, options: RunOptions, outDir: string, progress: Progress): Promise<RunResult> {
  const names = nodeNames(scenario)
  let models = workload.models
  let redis: RedisServer | undefined
  const proxies = new Map<string, DelayProxy>()
  if (models.includes('external')) {
    const why = options.attach != null
      ? 'an attached mesh has its own configuration'
      : options.netns === true ? 'nodes in network namespaces cannot reach a database on this host\'s loopback' : redisMissing()
    if (why != null) {
      progress.say(`skipping the external model: ${why}`)
      models = models.filter((m) => m !== 'external')
    }
  }
  const jsonl = createWriteStream(join(outDir, 'chains.jsonl'))
  const records: ChainJobRecord[] = []
  const database = new Map<string, number>()
  let mesh: Mesh | undefined
  let failure: unknown
  try {
    if (models.includes('external')) {
      redis = await startRedisServer(join(outDir, 'redis'))
      const link = scenario.redis!
      for (const n of names) proxies.set(n, await startDelayProxy({ target: { host: '127.0.0.1', port: redis.port }, latencyMs: link.latencyMs, bandwidthMbps: link.bandwidthMbps }))
      progress.say(`redis-server on port ${redis.port}, each node behind its own ${link.latencyMs} ms one-way, ${link.bandwidthMbps > 0 ? `${link.bandwidthMbps} Mb/s` : 'unlimited'} link to it`)
    }
    mesh = options.attach != null
      ? new AttachedMesh(options.attach)
      : new LocalMesh(scenario, outDir, { netns: options.netns, env: (n): Record<string, string> => proxies.has(n) ? { FAASMESH_STATE_EXTERNAL_URL: `redis://127.0.0.1:${proxies.get(n)!.port}` } : {} })
    await mesh.start((m) => { progress.say(m) }, options.signal)
    const peerIds = new Map([...mesh.nodes.values()].map((n) => [n.name, n.peerId]))
    const nameOf = new Map([...mesh.nodes.values()].map((n) => [n.peerId, n.name]))
    writeFileSync(join(outDir, 'nodes.json'), JSON.stringify([...mesh.nodes.values()].map((n) => ({ name: n.name, group: groupOf(scenario, n.name).name, peerId: n.peerId, url: n.url })), null, 2))
    await deploy(scenario, mesh, progress)
    await deployChains(scenario, workload, mesh, progress)
    await applyLinks(scenario, mesh, peerIds)
    const entryNames = [...new Set(scenario.workload.entry.flatMap((ref) => expand(scenario, ref)))]
    await warmUp(scenario, workload, mesh, entryNames, progress, options.signal)

    const random = seeded(scenario.seed)
    let runs = 0
    for (const rate of scenario.workload.rate) {
      const times = arrivals(scenario.workload.arrival, rate, scenario.workload.durationS, scenario.workload.burstSize, random, scenario.workload.count)
      const jobs = chainJobs(workload, times.length, entryNames.length, scenario.seed)
      for (const policy of scenario.policies) {
        for (const model of models) {
          for (const placement of workload.placements) {
            options.signal.throwIfAborted()
            await restore(scenario, mesh, peerIds, progress)
            await drain(() => [...mesh!.nodes.values()].filter((n) => mesh!.isAlive(n.name)).map((n) => n.url), { signal: options.signal })
            const run = `${model}/${placement}@${rate}/s${scenario.policies.length > 1 ? `:${policy}` : ''}`
            const tag = `r${runs++}`
            const keyOf = (entry: string, k: number): string => `${tag}.${model}.${placement === 'network-aware' ? 'na' : 'po'}.${entry}.${k}`
            const context: RunContext = { scenario, workload, mesh, entries: entryNames, model, placement, policy, rate, run, keyOf, nameOf, clientStates: new Map(), signal: options.signal }
            await prime(context, progress)
            const before = databaseBytes(proxies)
            const events = schedule(scenario, mesh, peerIds, progress, options.signal)
            let notOk = 0
            const done = await driveChains(context, jobs, times, (d, total) => { progress.bar(run.padEnd(34), d, total, notOk > 0 ? `(${notOk} not ok)` : '') }, (r) => { if (r.outcome !== 'ok') notOk++ })
              .finally(() => { events.cancel() })
            await events.finished
            progress.clear()
            if (proxies.size > 0 && model === 'external') database.set(run, databaseBytes(proxies) - before)
            for (const r of done) {
              records.push(r)
              jsonl.write(`${JSON.stringify(r)}\n`)
            }
            const [s] = summarizeChains(done, names)
            if (s != null) progress.say(`${run}: ${s.count} chains, ${s.successPct.toFixed(1)}% ok, mean ${s.meanMs.toFixed(0)} ms, p50 ${s.p50Ms.toFixed(0)}, p90 ${s.p90Ms.toFixed(0)}, p99 ${s.p99Ms.toFixed(0)}, traffic ${(s.trafficHopBytes / 1024).toFixed(1)} KiB x links per chain`)
          }
        }
      }
    }
  } catch (err) {
    // what was measured before a failure or a Ctrl-C is still written below
    failure = err
  } finally {
    progress.clear()
    if (options.signal.aborted) mesh?.killAll()
    await mesh?.stop()
    await Promise.all([...proxies.values()].map(async (p) => { await p.close() }))
    await redis?.stop()
    await new Promise<void>((resolve) => jsonl.end(resolve))
  }
  const summaries = summarizeChains(records, names, database)
  writeFileSync(join(outDir, 'summary.csv'), chainSummaryCsv(summaries, names))
  const table = chainSummaryTable(summaries, names)
  writeFileSync(join(outDir, 'summary.txt'), `${table}\n`)
  process.stdout.write(`\n${table}\n\n`)
  const written = ['chains.jsonl', 'summary.csv', 'summary.txt']
  if (records.some((r) => r.outcome === 'ok')) {
    writeFileSync(join(outDir, 'latency-cdf.svg'), await chainLatencyCdf(records, `${scenario.name}: total latency per chain, by state model`))
    writeFileSync(join(outDir, 'traffic.svg'), await chainTrafficPlot(summaries, `${scenario.name}: traffic per chain`))
    written.push('latency-cdf.svg', 'traffic.svg')
  }
  progress.say(`wrote ${written.join(', ')} to ${outDir}`)
  if (failure != null) throw failure
  return { outDir, summaries: [], chainSummaries: summaries, nodes: names }
}

interface RunContext {
  scenario: Scenario
  workload: ChainWorkload
  mesh: Mesh
  /** Entry node names; a job's entryIndex points here. */
  entries: string[]
  model: StateModel
  placement: Placement
  policy: PolicyName
  rate: number
  run: string
  keyOf(entry: string, k: number): string
  nameOf: Map<string, string>
  /** in-client: each key's state, as the last answer returned it. */
  clientStates: Map<string, string>
  signal: AbortSignal
}

function databaseBytes (proxies: Map<string, DelayProxy>): number {
  let total = 0
  for (const p of proxies.values()) total += p.bytes().up + p.bytes().down
  return total
}

/**
 * Every chain length the workload can draw, deployed on every node: each then resolves the
 * names from its own records, not through the mesh (the same content-addressed spec everywhere).
 */
async function deployChains (scenario: Scenario, workload: ChainWorkload, mesh: Mesh, progress: Progress): Promise<void> {
  await Promise.all([...mesh.nodes.values()].map(async (node) => {
    for (let length = workload.length.min; length <= workload.length.max; length++) {
      const name = chainName(workload.function, length)
      const res = await fetch(`${node.url}/v1/chains/${name}`, { method: 'POST', body: JSON.stringify(chainSpec(workload.function, length)), headers: { 'content-type': 'application/json', ...authHeaders(node) }, signal: AbortSignal.timeout(60_000) })
      if (res.status !== 201) throw new Error(`deploying chain ${name} on ${node.name}: ${res.status} ${await res.text()} (does this daemon run chains? DESIGN.md section 11)`)
    }
  }))
  progress.say(`deployed chains ${chainName(workload.function, workload.length.min)} ... ${chainName(workload.function, workload.length.max)} on every node`)
}

/**
 * Every node fetches the step function and learns its run time (round robin from the first
 * node), and every entry node runs the longest chain once (in-client, so no node keeps state).
 */
async function warmUp (scenario: Scenario, workload: ChainWorkload, mesh: Mesh, entries: string[], progress: Progress, signal: AbortSignal): Promise<void> {
  progress.say('warming up: every node fetches the step function, every entry node runs the longest chain')
  const first = mesh.nodes.get(nodeNames(scenario)[0]!)!
  const random = seeded(scenario.seed + 1)
  const until = Date.now() + WARM_UP_MS
  // a first call may wait for the code to travel, be checked and compiled on a busy machine:
  // failures and timeouts are tried again until the warm-up's own deadline
  const call = async (url: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string>, what: string): Promise<void> => {
    while (true) {
      signal.throwIfAborted()
      let failure: string
      try {
        const res = await post(url, body, headers, AbortSignal.any([signal, timeoutSignal(60_000)]))
        if (res.status === 200) return
        failure = `${res.status} ${res.text.slice(0, 300)}`
      } catch (err: any) {
        signal.throwIfAborted()
        failure = String(err?.message ?? err)
      }
      if (Date.now() > until) throw new Error(`warm-up: ${what} failed: ${failure}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  const plan: StepPlan[] = [[0, 64, Math.round(workload.workMs.mean / REFERENCE_MS_PER_FUEL)]]
  for (let i = 0; i < mesh.nodes.size * WARM_CALLS_PER_NODE; i++) {
    await call(`${first.url}/v1/invoke/${encodeURIComponent(workload.function)}`, chainInput(plan, 64), { 'x-faasmesh-policy': 'round-robin', ...authHeaders(first) }, `invoking ${workload.function}`)
  }
  // the entry nodes side by side, one chain each (every node holds every chain's record already)
  const length = workload.length.max
  await Promise.all(entries.map(async (entry) => {
    const { inputBytes, plan } = drawPlan(workload, length, random)
    await call(`${mesh.nodes.get(entry)!.url}/v1/invoke/${chainName(workload.function, length)}`, chainInput(plan, inputBytes),
      { 'x-faasmesh-state-key': `warm.${entry}`, 'x-faasmesh-state-model': 'in-client', ...authHeaders(mesh.nodes.get(entry)) }, `chain ${chainName(workload.function, length)} from ${entry}`)
  }))
}

/** A POST with node:http, whose response headers may be as large as an in-client chain's state. */
async function post (url: string, body: Uint8Array, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number, header(name: string): string | undefined, text: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.byteLength) }, maxHeaderSize: MAX_RESPONSE_HEADER_BYTES, signal }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => { chunks.push(d) })
      res.once('error', reject)
      res.once('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => { const v = res.headers[name]; return Array.isArray(v) ? v[0] : v },
          text: Buffer.concat(chunks).toString('utf8')
        })
      })
    })
    req.once('error', reject)
    req.end(body)
  })
}

interface Answer { status: number, outcome: string, totalMs: number, placementId?: string, error?: string }

/** One chain: its request headers for the context's model, placement and policy; keeps an in-client state from the answer. */
async function sendChain (c: RunContext, entry: string, key: string, length: number, body: Uint8Array<ArrayBuffer>): Promise<Answer> {
  const headers: Record<string, string> = {
    'x-faasmesh-policy': c.policy,
    'x-faasmesh-state-key': key,
    'x-faasmesh-state-model': c.model,
    'x-faasmesh-locality': c.placement === 'network-aware' ? 'on' : 'off',
    ...authHeaders(c.mesh.nodes.get(entry))
  }
  if (c.scenario.workload.deadlineMs != null) headers['x-faasmesh-deadline-ms'] = String(c.scenario.workload.deadlineMs)
  const carried = c.clientStates.get(key)
  if (c.model === 'in-client' && carried != null) headers['x-faasmesh-state'] = carried
  const t0 = performance.now()
  try {
    const res = await post(`${c.mesh.nodes.get(entry)!.url}/v1/invoke/${chainName(c.workload.function, length)}`, body, headers,
      AbortSignal.any([c.signal, timeoutSignal(c.scenario.workload.timeoutS * 1000)]))
    const totalMs = performance.now() - t0
    const placementId = res.header('x-faasmesh-placement-id')
    if (res.status === 200) {
      const state = res.header('x-faasmesh-state')
      if (c.model === 'in-client' && state != null) c.clientStates.set(key, state)
      return { status: 200, outcome: 'ok', totalMs, placementId }
    }
    let name = `HTTP${res.status}`
    let message: string | undefined
    try {
      const error = JSON.parse(res.text).error
      name = error.name ?? name
      if (typeof error.message === 'string') message = error.message.slice(0, 300)
    } catch {}
    return { status: res.status, outcome: name, totalMs, placementId, ...(message != null ? { error: message } : {}) }
  } catch {
    // no answer at all (nothing in time, or the connection died): lost, unless the run was cancelled
    return { status: 0, outcome: c.signal.aborted ? 'cancelled' : 'lost', totalMs: performance.now() - t0 }
  }
}

/**
 * Gives every state key of the run its state before the measured jobs, as a StateSim job finds
 * its states already written by the tasks before it: one unmeasured chain of the longest length
 * per key (so every step's key `<key>:s<i>` holds state), with sizes from the same draws.
 */
async function prime (c: RunContext, progress: Progress): Promise<void> {
  const random = seeded(c.scenario.seed + 2)
  const work: Array<{ entry: string, key: string }> = c.entries.flatMap((entry) => Array.from({ length: c.workload.keysPerEntry }, (_, k) => ({ entry, key: c.keyOf(entry, k) })))
  const failed: string[] = []
  let next = 0
  await Promise.all(Array.from({ length: PRIME_CONCURRENCY }, async () => {
    while (next < work.length) {
      const { entry, key } = work[next++]!
      if (!c.mesh.isAlive(entry)) continue
      const { inputBytes, plan } = drawPlan(c.workload, c.workload.length.max, random)
      const answer = await sendChain(c, entry, key, c.workload.length.max, chainInput(plan, inputBytes))
      if (answer.outcome !== 'ok') failed.push(`${key}: ${answer.outcome}`)
    }
  }))
  if (failed.length > 0) progress.say(`${c.run}: priming ${failed.length} of ${work.length} state keys failed (${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ', ...' : ''}); their jobs start from what state there is`)
}

/** Sends the jobs at their arrival times (open loop), one at a time per state key. */
async function driveChains (c: RunContext, jobs: ChainJob[], times: number[], onProgress: (done: number, total: number) => void, onRecord: (r: ChainJobRecord) => void): Promise<ChainJobRecord[]> {
  const records: ChainJobRecord[] = []
  const pending: Array<Promise<void>> = []
  const described: Array<Promise<void>> = []
  const lastOnKey = new Map<string, Promise<void>>()
  const started = performance.now()
  let done = 0
  for (let seq = 0; seq < jobs.length; seq++) {
    if (c.signal.aborted) break
    const wait = started + times[seq]! - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    const job = jobs[seq]!
    const entry = c.entries[job.entryIndex]!
    const key = c.keyOf(entry, job.keyIndex)
    const at = performance.now() - started
    const base = {
      run: c.run,
      model: c.model,
      placement: c.placement,
      policy: c.policy,
      rate: c.rate,
      seq,
      at,
      entry,
      key,
      chain: chainName(c.workload.function, job.length),
      length: job.length,
      stateBytes: job.plan.reduce((s, p) => s + p[0], 0),
      argBytes: job.inputBytes + job.plan.slice(0, -1).reduce((s, p) => s + p[1], 0),
      workMs: job.plan.reduce((s, p) => s + p[2], 0) * REFERENCE_MS_PER_FUEL
    }
    const previous = lastOnKey.get(key) ?? Promise.resolve()
    const run = previous.then(async () => {
      const waitMs = performance.now() - started - at
      const answer = c.mesh.isAlive(entry)
        ? await sendChain(c, entry, key, job.length, chainInput(job.plan, job.inputBytes))
        : { status: 0, outcome: 'NoEntryNode', totalMs: 0 }
      const record: ChainJobRecord = { ...base, waitMs, ...answer }
      records.push(record)
      described.push(describe(c, record))
      onRecord(record)
      onProgress(++done, jobs.length)
    })
    lastOnKey.set(key, run)
    pending.push(run)
  }
  await Promise.all(pending)
  await Promise.all(described)
  return records.sort((a, b) => a.seq - b.seq)
}

/** A chain's run as the entry node recorded it (`GET /v1/placements/:id`), the fields used here. */
interface PlacementChain {
  chain?: {
    locality?: boolean
    steps?: Array<{ id: string, executor?: string, runMs?: number, bytesIn?: number, bytesOut?: number, inputFrom?: string[] }>
    traffic?: { invoke?: number, chainData?: number, state?: number }
  }
  state?: { home?: string }
}

/**
 * Adds a successful job's executors and traffic, from its placement record on the entry node.
 * Asked as soon as the job is answered: a node keeps its latest 128 records, and a chain leaves
 * one per step besides its own.
 */
async function describe (c: RunContext, r: ChainJobRecord): Promise<void> {
  if (r.outcome !== 'ok' || r.placementId == null) return
  try {
    const res = await fetch(`${c.mesh.nodes.get(r.entry)!.url}/v1/placements/${encodeURIComponent(r.placementId)}`, { signal: AbortSignal.timeout(10_000) })
    if (res.status !== 200) return
    Object.assign(r, chainTraffic(c, r.entry, await res.json() as PlacementChain))
  } catch {
    // a record the entry node no longer keeps: the job keeps its latency, without traffic
  }
}

/**
 * Executors and traffic of one chain. Bytes by kind come from the record; bytes x links:
 * each step's input from where it came to its executor, its output from the executor to the
 * entry node when it went there, and the state bytes over the links to where the model keeps
 * the state (external: the database's hops; in-client: between the entry node, where the
 * client's state arrives, and the executor; in-function and in-edge: the state's home or
 * primary is not in the record, so the mean of the executor's links to the other nodes).
 */
export function chainTraffic (c: Pick<RunContext, 'scenario' | 'model' | 'nameOf'>, entry: string, placement: PlacementChain): Pick<ChainJobRecord, 'executors' | 'runMs' | 'traffic' | 'trafficBytes' | 'trafficHopBytes'> {
  const chain = placement.chain
  if (chain?.steps == null) return {}
  const name = (peer: string | undefined): string => peer == null ? '' : c.nameOf.get(peer) ?? peer
  const hops = (a: string, b: string): number => hopsBetween(c.scenario, a, b)
  const names = nodeNames(c.scenario)
  const meanHops = (from: string): number => {
    const others = names.filter((n) => n !== from)
    return others.length === 0 ? 0 : others.reduce((s, n) => s + hops(from, n), 0) / others.length
  }
  const traffic = { invoke: chain.traffic?.invoke ?? 0, chainData: chain.traffic?.chainData ?? 0, state: chain.traffic?.state ?? 0 }
  let dataHopBytes = 0
  let dataBytes = 0
  for (const step of chain.steps) {
    const executor = name(step.executor)
    const from = (step.inputFrom ?? [entry]).map(name)
    const bytesIn = step.bytesIn ?? 0
    for (const f of from) dataHopBytes += bytesIn / Math.max(1, from.length) * hops(f, executor)
    dataHopBytes += (step.bytesOut ?? 0) * hops(executor, entry)
    dataBytes += bytesIn + (step.bytesOut ?? 0)
  }
  const executors = chain.steps.map((s) => name(s.executor))
  const stateHops = executors.length === 0
    ? 0
    : c.model === 'external'
      ? c.scenario.redis?.hops ?? 1
      : c.model === 'in-client'
        ? executors.reduce((s, e) => s + hops(entry, e), 0) / executors.length
        : executors.reduce((s, e) => s + meanHops(e), 0) / executors.length
  // the record's invoke and chain-data bytes are the same bytes as the steps' in and out
  const rest = Math.max(0, traffic.invoke + traffic.chainData - dataBytes)
  const restHops = executors.length === 0 ? 0 : executors.reduce((s, e) => s + hops(entry, e), 0) / executors.length
  return {
    executors,
    runMs: chain.steps.map((s) => s.runMs ?? NaN),
    traffic,
    trafficBytes: traffic.invoke + traffic.chainData + traffic.state,
    trafficHopBytes: dataHopBytes + rest * restHops + traffic.state * stateHops
  }
}
