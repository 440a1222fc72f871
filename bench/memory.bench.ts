/**
 * What an idle daemon weighs, and what each part of it costs (issue 18, item 5).
 * - Idle daemons: a mesh of 3 daemon processes (the default configuration but for loopback
 *   addresses and no mDNS), left idle for 30 s once converged; per daemon its resident set (RSS),
 *   its proportional set (PSS: pages shared with other processes, such as the `node` binary,
 *   counted by share) and its V8 heap (from its own `/metrics`), and the same for the daemon
 *   with its sandbox processes.
 * - Parts: fresh `node` processes that import a growing set of modules (node, + libp2p's core,
 *   + kad-dht, + gossipsub, + prom-client, + every module a daemon imports), each measured
 *   after full GCs, and what the modules a daemon loads only when used would add.
 * Baseline (same run): an idle `node` process.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { startMesh, type Daemon } from './daemons.js'
import { summarize, type Summary } from './stats.js'
import type { Row } from './report.js'

const MiB = 1024 * 1024

async function sleep (ms: number): Promise<void> { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** VmRSS and PSS of one process from /proc (Linux), in MiB; NaN when it is gone. */
function rssPss (pid: number): { rss: number, pss: number } {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN)
    return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 }
  } catch {
    return { rss: Number.NaN, pss: Number.NaN }
  }
}

function childrenOf (pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n').map((l) => Number.parseInt(l, 10)).filter((p) => p > 0)
  } catch {
    return []
  }
}

/** A daemon's V8 heap in use, from prom-client's default metrics on its gateway. */
async function heapUsedMiB (d: Daemon): Promise<number> {
  const text = await (await fetch(`${d.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()
  return Number(/^faasmesh_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / MiB
}

export interface IdleDaemons { rss: Summary, pss: Summary, heap: Summary, treeRss: Summary, treePss: Summary, sandboxRss: Summary, sandboxPss: Summary }

/** `n` daemons, idle for `idleSeconds` once they see each other; RSS, PSS and heap per daemon. */
export async function idleDaemons (root: string, n: number, idleSeconds: number, progress: (m: string) => void): Promise<IdleDaemons> {
  const dir = mkdtempSync(join(tmpdir(), 'faasmesh-memory-bench-'))
  let daemons: Daemon[] = []
  try {
    daemons = await startMesh(root, dir, n)
    progress(`${n} daemons converged; idle for ${idleSeconds} s`)
    await sleep(idleSeconds * 1000)
    const heap = await Promise.all(daemons.map(heapUsedMiB))
    const own = daemons.map((d) => rssPss(d.proc.pid!))
    const sandboxes = daemons.map((d) => childrenOf(d.proc.pid!).map(rssPss).filter((m) => !Number.isNaN(m.rss)))
    const tree = own.map((m, i) => ({ rss: m.rss + sandboxes[i]!.reduce((a, s) => a + s.rss, 0), pss: m.pss + sandboxes[i]!.reduce((a, s) => a + s.pss, 0) }))
    return {
      rss: summarize(own.map((m) => m.rss)),
      pss: summarize(own.map((m) => m.pss)),
      heap: summarize(heap),
      treeRss: summarize(tree.map((m) => m.rss)),
      treePss: summarize(tree.map((m) => m.pss)),
      sandboxRss: summarize(sandboxes.flat().map((m) => m.rss)),
      sandboxPss: summarize(sandboxes.flat().map((m) => m.pss))
    }
  } finally {
    for (const d of daemons) d.proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

/** RSS of an idle `node` process (nothing imported), in MiB. */
export async function bareNodeRss (): Promise<number> {
  const proc = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  await sleep(1000)
  const { rss } = rssPss(proc.pid!)
  proc.kill('SIGKILL')
  return rss
}

/** A step of the breakdown: what a fresh process has imported. */
interface Step { name: string, specifiers: string[] }

interface Weighed { rss: number, heap: number }

/** A fresh `node` (with the polyfills the daemon loads first) that imports `specifiers`, then full GCs. */
async function weigh (root: string, specifiers: string[]): Promise<Weighed> {
  const base = pathToFileURL(join(root, 'package.json')).href
  const script = `
    for (const s of ${JSON.stringify(specifiers)}) await import(s.startsWith('./') ? new URL(s, ${JSON.stringify(base)}).href : import.meta.resolve(s, ${JSON.stringify(base)}))
    await new Promise((r) => setTimeout(r, 300)); gc(); await new Promise((r) => setTimeout(r, 100)); gc()
    const m = process.memoryUsage(); process.stdout.write(JSON.stringify({ rss: m.rss, heap: m.heapUsed }))`
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--experimental-import-meta-resolve', '--no-warnings',
    '--import', pathToFileURL(join(root, 'dist', 'daemon', 'src', 'polyfills.js')).href, '--input-type=module', '-e', script], { cwd: root, timeout: 60_000 })
  const m = JSON.parse(stdout) as { rss: number, heap: number }
  return { rss: m.rss / MiB, heap: m.heap / MiB }
}

const LIBP2P_CORE = ['libp2p', '@libp2p/tcp', '@libp2p/noise', '@libp2p/yamux', '@libp2p/identify', '@libp2p/ping']
const DAEMON = './dist/daemon/src/cli/index.js'

/** Each step imports what the steps before it did, and more. */
const STEPS: Step[] = [
  { name: 'node + the polyfills', specifiers: [] },
  { name: '+ libp2p, tcp, noise, yamux, identify, ping', specifiers: LIBP2P_CORE },
  { name: '+ kad-dht', specifiers: [...LIBP2P_CORE, '@libp2p/kad-dht'] },
  { name: '+ gossipsub', specifiers: [...LIBP2P_CORE, '@libp2p/kad-dht', '@libp2p/gossipsub'] },
  { name: '+ prom-client (and @opentelemetry/api, which it requires)', specifiers: [...LIBP2P_CORE, '@libp2p/kad-dht', '@libp2p/gossipsub', 'prom-client'] },
  { name: '+ every module a daemon imports at start (the CLI, gateway, executor, placement, state, ...)', specifiers: [DAEMON] }
]

/** What the daemon imports only when used, each on top of everything a daemon imports. */
const LAZY: Step[] = [
  { name: 'node-redis (`state.externalUrl` set)', specifiers: [DAEMON, 'redis'] },
  { name: 'YAML (a chain spec in YAML)', specifiers: [DAEMON, 'yaml'] },
  { name: 'OpenTelemetry core and SDK (`telemetry.otlpUrl` set)', specifiers: [DAEMON, '@opentelemetry/core', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources'] },
  { name: 'mDNS (`libp2p.mdns`, on by default)', specifiers: [DAEMON, '@libp2p/mdns'] }
]

async function weighMedian (root: string, specifiers: string[], repeats: number): Promise<Weighed> {
  const all: Weighed[] = []
  for (let i = 0; i < repeats; i++) all.push(await weigh(root, specifiers))
  return { rss: summarize(all.map((w) => w.rss)).median, heap: summarize(all.map((w) => w.heap)).median }
}

const f1 = (v: number): string => v.toFixed(1)

export async function benchMemory (root: string, quick: boolean, progress: (m: string) => void): Promise<{ rows: Row[], section: string }> {
  const repeats = quick ? 1 : 3
  const bare = await bareNodeRss()
  const bareSummary: Summary = { n: 1, median: bare, p99: bare, mean: bare }
  const n = 3
  const idleSeconds = quick ? 10 : 30
  progress(`memory: ${n} daemons, ${idleSeconds} s idle`)
  const idle = await idleDaemons(root, n, idleSeconds, progress)
  const maxOf = (s: Summary): Summary => ({ ...s, p99: Math.max(s.p99, s.median) })
  const rows: Row[] = [
    { group: 'memory', unit: 'MiB', name: `RSS per daemon, mesh of ${n}, ${idleSeconds} s idle (median, max)`, result: maxOf(idle.rss), baselineName: 'idle node process', baseline: bareSummary },
    { group: 'memory', unit: 'MiB', name: `PSS per daemon, mesh of ${n}, ${idleSeconds} s idle (median, max)`, result: maxOf(idle.pss), baselineName: 'idle node process (RSS)', baseline: bareSummary },
    { group: 'memory', unit: 'MiB', name: `PSS per daemon with its sandbox processes, mesh of ${n} (median, max)`, result: maxOf(idle.treePss), baselineName: 'idle node process (RSS)', baseline: bareSummary }
  ]

  progress('memory: what each part costs (fresh processes)')
  const lines = [
    `Parts of an idle daemon (${repeats === 1 ? 'one process' : `median of ${repeats} processes`} per step; RSS and heap after full GCs; each step imports the previous steps' modules too):`,
    '',
    '| part | RSS | heap used | RSS added | heap added |',
    '|---|---|---|---|---|'
  ]
  lines.push(`| idle \`node\`, nothing imported | ${f1(bare)} MiB | | | |`)
  let previous: Weighed | undefined
  for (const step of STEPS) {
    const w = await weighMedian(root, step.specifiers, repeats)
    lines.push(`| ${step.name} | ${f1(w.rss)} MiB | ${f1(w.heap)} MiB | ${previous == null ? f1(w.rss - bare) : f1(w.rss - previous.rss)} MiB | ${previous == null ? '' : `${f1(w.heap - previous.heap)} MiB`} |`)
    previous = w
  }
  const imported = previous!
  lines.push(`| the daemon running (libp2p started, mesh of ${n} joined, ${idleSeconds} s idle; median) | ${f1(idle.rss.median)} MiB | ${f1(idle.heap.median)} MiB | ${f1(idle.rss.median - imported.rss)} MiB | ${f1(idle.heap.median - imported.heap)} MiB |`)
  lines.push(`| each sandbox process (${Math.round(idle.sandboxRss.n / n)} per daemon: 1 slot + 1 warm spare; PSS ${f1(idle.sandboxPss.median)} MiB) | ${f1(idle.sandboxRss.median)} MiB | | | |`)
  lines.push('', 'Imported only when used (each on top of every module a daemon imports at start):', '', '| module | RSS added | heap added |', '|---|---|---|')
  for (const step of LAZY) {
    const w = await weighMedian(root, step.specifiers, repeats)
    lines.push(`| ${step.name} | ${f1(w.rss - imported.rss)} MiB | ${f1(w.heap - imported.heap)} MiB |`)
  }
  return { rows, section: lines.join('\n') }
}
