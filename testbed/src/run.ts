/**
 * `faasmesh testbed run`: one scenario end to end on the local back end. Starts the mesh,
 * deploys the functions, shapes the links, measures each node's service time to turn load
 * fractions into rates, then for every load and every policy drains the mesh, runs the workload
 * with the scenario's events, and writes JSONL, CSV, a table and plots. The mesh is torn down
 * whatever happens; a cancelled run keeps what it measured so far.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { drain } from './drain.js'
import { hostCheck, hostComponents, hostLine, type HostCheck, type HostReport } from './host-check.js'
import { linkState } from './links.js'
import { AttachedMesh } from './attached-mesh.js'
import { runChainScenario } from './chain-run.js'
import { LocalMesh } from './local-mesh.js'
import { latencyCdf, nodeLoad } from './plots.js'
import { summarize, summaryCsv, summaryTable, type ChainSummary, type RunSummary } from './results.js'
import { expand, groupOf, loadScenario, nodeNames, wasmPath, type Scenario, type ScenarioEvent } from './scenario.js'
import { drive, type InvocationRecord } from './workload.js'
import { authHeaders, type Mesh } from './mesh.js'
import type { Progress } from './progress.js'

export interface RunOptions {
  scenarioFile: string
  /** Default: testbed/results/<name>-<time>. */
  outDir?: string
  quick?: boolean
  /** A compose project's mesh.json: drive that mesh instead of starting one. */
  attach?: string
  /** Each node in its own network namespace (root only). */
  netns?: boolean
  /** Replaces the scenario's seed (`--seeds` runs the scenario with seed, seed + 1, ...). */
  seed?: number
  /** The host check (tests give it stubs or short intervals). @default hostCheck()(hostComponents()) */
  host?: HostCheck
  signal: AbortSignal
}

export interface RunResult {
  outDir: string
  summaries: RunSummary[]
  nodes: string[]
  /** A chain workload's runs (model x placement); `summaries` is then empty. */
  chainSummaries?: ChainSummary[]
  /** The seed the workload was drawn with (set by runScenario). */
  seed?: number
  /** What the host had before and during the run (absent for chain workloads). */
  host?: HostReport
}

export async function runScenario (options: RunOptions, progress: Progress): Promise<RunResult> {
  const loaded = await loadScenario(options.scenarioFile, { quick: options.quick })
  const scenario: Scenario = { ...loaded, seed: options.seed ?? loaded.seed }
  const outDir = resolve(options.outDir ?? join('testbed', 'results', `${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`))
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'scenario.json'), JSON.stringify({ ...scenario, quick: options.quick === true }, null, 2))
  if (scenario.workload.chains != null) return { ...await runChainScenario(scenario, scenario.workload.chains, options, outDir, progress), seed: scenario.seed }
  progress.say(`${scenario.name}: ${nodeNames(scenario).length} nodes, policies ${scenario.policies.join(', ')}; results in ${outDir}`)

  // before anything of ours runs: what other processes already take from the host
  const host = options.host ?? hostCheck()(hostComponents())
  const before = await host.before({ signal: options.signal })
  if (before.contended != null) progress.say(`WARNING: the host is busy before the start (${before.contended}); this run's latencies will include CPU contention`)

  const mesh: Mesh = options.attach != null ? new AttachedMesh(options.attach) : new LocalMesh(scenario, outDir, { netns: options.netns })
  const jsonl = createWriteStream(join(outDir, 'invocations.jsonl'))
  const records: InvocationRecord[] = []
  const names = nodeNames(scenario)
  let failure: unknown
  try {
    await mesh.start((m) => { progress.say(m) }, options.signal)
    const peerIds = new Map([...mesh.nodes.values()].map((n) => [n.name, n.peerId]))
    const nameOf = new Map([...mesh.nodes.values()].map((n) => [n.peerId, n.name]))
    writeFileSync(join(outDir, 'nodes.json'), JSON.stringify([...mesh.nodes.values()].map((n) => ({ name: n.name, group: groupOf(scenario, n.name).name, peerId: n.peerId, url: n.url })), null, 2))
    await deploy(scenario, mesh, progress)
    await applyLinks(scenario, mesh, peerIds)
    const capacity = await measureCapacity(scenario, mesh, progress, options.signal)
    progress.say(`capacity: ${capacity.toFixed(1)} invocations/s (slots over each node's measured service time)`)

    const levels = scenario.workload.load.length > 0
      ? scenario.workload.load.map((load) => ({ load, rate: load * capacity }))
      : scenario.workload.rate.map((rate) => ({ load: undefined, rate }))
    for (const level of levels) {
      for (const policy of scenario.policies) {
        options.signal.throwIfAborted()
        await restore(scenario, mesh, peerIds, progress)
        await drain(() => [...mesh.nodes.values()].filter((n) => mesh.isAlive(n.name)).map((n) => n.url), { signal: options.signal })
        const run = `${policy}@${level.load != null ? `${Math.round(level.load * 100)}%` : `${level.rate.toFixed(1)}/s`}`
        const events = schedule(scenario, mesh, peerIds, progress, options.signal)
        let failed = 0
        host.start(run)
        const done = await drive({
          run,
          policy,
          load: level.load,
          rate: level.rate,
          durationS: scenario.workload.durationS,
          count: scenario.workload.count,
          arrival: scenario.workload.arrival,
          burstSize: scenario.workload.burstSize,
          mix: scenario.workload.mix,
          seed: scenario.seed,
          timeoutS: scenario.workload.timeoutS,
          deadlineMs: scenario.workload.deadlineMs,
          entries: () => scenario.workload.entry.flatMap((ref) => expand(scenario, ref)).filter((n) => mesh.isAlive(n)).map((n) => ({ name: n, url: mesh.nodes.get(n)!.url, token: mesh.nodes.get(n)!.token })),
          nodeOf: (peerId) => nameOf.get(peerId) ?? peerId,
          onRecord: (r) => { jsonl.write(`${JSON.stringify(r)}\n`); if (r.outcome !== 'ok') failed++ },
          onProgress: (d, total) => { progress.bar(run.padEnd(22), d, total, failed > 0 ? `(${failed} not ok)` : '') },
          signal: options.signal
        }).finally(() => { events.cancel(); host.stop() })
        for (const r of done) records.push(r)
        await events.finished
        progress.clear()
        const [summary] = summarize(done, names)
        if (summary != null) progress.say(`${run}: ${summary.count} sent, ${summary.successPct.toFixed(1)}% ok, ${summary.lost} lost, p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms`)
      }
    }
  } catch (err) {
    // what was measured before a failure or a Ctrl-C is still written below
    failure = err
  } finally {
    progress.clear()
    host.stop()
    if (options.signal.aborted) mesh.killAll()
    await mesh.stop()
    await new Promise<void>((resolve) => jsonl.end(resolve))
  }
  const summaries = summarize(records, names)
  const hostReport = host.report({ daemons: names.length, slots: scenario.nodes.reduce((sum, g) => sum + g.count * g.slots, 0), processes: names.length + 1 })
  writeFileSync(join(outDir, 'summary.csv'), summaryCsv(summaries, names))
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ scenario: scenario.name, quick: options.quick === true, seed: scenario.seed, host: hostReport, summaries }, null, 2))
  const table = `${hostLine(hostReport)}\n${summaryTable(summaries, names)}`
  writeFileSync(join(outDir, 'summary.txt'), `${table}\n`)
  process.stdout.write(`\n${table}\n\n`)
  if (records.some((r) => r.outcome === 'ok')) {
    writeFileSync(join(outDir, 'latency-cdf.svg'), await latencyCdf(records, `${scenario.name}: latency of successful invocations`))
    writeFileSync(join(outDir, 'node-load.svg'), await nodeLoad(summaries, names, `${scenario.name}: executions per node`))
  }
  progress.say(`wrote ${['invocations.jsonl', 'summary.csv', 'summary.json', 'summary.txt', 'latency-cdf.svg', 'node-load.svg'].join(', ')} to ${outDir}`)
  if (hostReport.saturated) progress.say(`WARNING: HOST SATURATED (${hostReport.verdict}). Latencies and rankings from this run are not comparable with a quiet host's; rerun on an idle machine or with fewer nodes.`)
  if (failure != null) throw failure
  return { outDir, summaries, nodes: names, seed: scenario.seed, host: hostReport }
}

export async function deploy (scenario: Scenario, mesh: Mesh, progress: Progress): Promise<void> {
  for (const fn of scenario.functions) {
    const bytes = await readFile(wasmPath(scenario, fn))
    for (const node of fn.deployOn.flatMap((ref) => expand(scenario, ref))) {
      const res = await fetch(`${mesh.nodes.get(node)!.url}/v1/functions/${encodeURIComponent(fn.name)}`, { method: 'POST', body: bytes, headers: authHeaders(mesh.nodes.get(node)), signal: AbortSignal.timeout(30_000) })
      if (res.status !== 201) throw new Error(`deploying ${fn.name} on ${node}: ${res.status} ${await res.text()}`)
    }
    progress.say(`deployed ${fn.name} on ${fn.deployOn.join(', ')}`)
  }
}

export async function applyLinks (scenario: Scenario, mesh: Mesh, peerIds: Map<string, string>, partition?: [string[], string[]]): Promise<void> {
  await Promise.all(nodeNames(scenario).map(async (n) => { await mesh.setLinks(n, linkState(scenario, n, peerIds, partition)) }))
}

/**
 * Every node fetches the code and learns its run times (round robin from the first node visits
 * each in turn); the mesh's capacity is the sum of each node's slots over its median service
 * time for the workload's mix.
 */
async function measureCapacity (scenario: Scenario, mesh: Mesh, progress: Progress, signal: AbortSignal): Promise<number> {
  progress.say('warming up: every node fetches the code and learns its run times')
  const first = mesh.nodes.get(nodeNames(scenario)[0]!)!
  const names = new Map([...mesh.nodes.values()].map((n) => [n.peerId, n.name]))
  const samples = new Map<string, number[]>()
  const totalWeight = scenario.workload.mix.reduce((s, m) => s + m.weight, 0)
  for (const item of scenario.workload.mix) {
    const until = Date.now() + 60_000
    for (let i = 0; i < mesh.nodes.size * 4; i++) {
      signal.throwIfAborted()
      const res = await fetch(`${first.url}/v1/invoke/${encodeURIComponent(item.function)}`, { method: 'POST', body: item.input, headers: { 'x-faasmesh-policy': 'round-robin', ...authHeaders(first) }, signal: AbortSignal.timeout(30_000) })
      const text = await res.text()
      if (res.status !== 200) {
        // the name's record may still be on its way through the DHT
        if (Date.now() > until) throw new Error(`warm-up invocation of ${item.function} failed: ${res.status} ${text}`)
        i--
        await new Promise((resolve) => setTimeout(resolve, 250))
        continue
      }
      const node = names.get(res.headers.get('x-faasmesh-executor') ?? '') ?? ''
      const key = `${node}\u0000${item.function}`
      samples.set(key, [...(samples.get(key) ?? []), Number(res.headers.get('x-faasmesh-duration-ms'))])
    }
  }
  let capacity = 0
  for (const node of nodeNames(scenario)) {
    let serviceMs = 0
    for (const item of scenario.workload.mix) {
      const sorted = (samples.get(`${node}\u0000${item.function}`) ?? []).sort((a, b) => a - b)
      if (sorted.length === 0) continue
      serviceMs += (item.weight / totalWeight) * sorted[Math.floor(sorted.length / 2)]!
    }
    if (serviceMs > 0) capacity += groupOf(scenario, node).slots * 1000 / serviceMs
  }
  return capacity
}

/** Brings back killed nodes and heals partitions between runs, so every run starts alike. */
export async function restore (scenario: Scenario, mesh: Mesh, peerIds: Map<string, string>, progress: Progress): Promise<void> {
  const dead = nodeNames(scenario).filter((n) => !mesh.isAlive(n))
  for (const n of dead) {
    progress.say(`restarting ${n} before the next run`)
    await mesh.restart(n)
  }
  await applyLinks(scenario, mesh, peerIds)
  if (dead.length > 0) await new Promise((resolve) => setTimeout(resolve, 2000))
}

/** Applies the scenario's events at their times; `cancel` stops the ones not yet due. */
export function schedule (scenario: Scenario, mesh: Mesh, peerIds: Map<string, string>, progress: Progress, signal: AbortSignal): { cancel(): void, finished: Promise<void> } {
  const timers: Array<ReturnType<typeof setTimeout>> = []
  const applied: Array<Promise<void>> = []
  // the partition in force: a node restarted during one comes back on its side of it
  let partition: [string[], string[]] | undefined
  for (const event of scenario.events) {
    timers.push(setTimeout(() => {
      if (signal.aborted) return
      applied.push(apply(event).catch((err: any) => { progress.say(`event at ${event.at} s failed: ${err?.message ?? err}`) }))
    }, event.at * 1000))
  }
  async function apply (event: ScenarioEvent): Promise<void> {
    if ('kill' in event) {
      for (const n of expand(scenario, event.kill)) mesh.kill(n)
      progress.say(`t=${event.at}s: killed ${event.kill}`)
    } else if ('restart' in event) {
      for (const n of expand(scenario, event.restart)) if (!mesh.isAlive(n)) await mesh.restart(n)
      await applyLinks(scenario, mesh, peerIds, partition)
      progress.say(`t=${event.at}s: restarted ${event.restart}`)
    } else if ('partition' in event) {
      partition = event.partition
      await applyLinks(scenario, mesh, peerIds, partition)
      progress.say(`t=${event.at}s: partitioned ${event.partition[0].join(',')} | ${event.partition[1].join(',')}`)
    } else {
      partition = undefined
      await applyLinks(scenario, mesh, peerIds)
      progress.say(`t=${event.at}s: healed`)
    }
  }
  let cancelled = false
  return {
    cancel () {
      if (cancelled) return
      cancelled = true
      for (const t of timers) clearTimeout(t)
    },
    get finished () { return Promise.all(applied).then(() => {}) }
  }
}
