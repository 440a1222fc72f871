/**
 * `npm run bench`: every benchmark, each against a baseline measured in the same run, printed
 * as a Markdown table with medians, p99 and ratios (and written to bench/results/latest.md).
 * `npm run bench -- --quick` runs a short version; `--only=executor|http|mesh|memory|rpc|receipts|code|first-call|placement|state|chains` one group.
 * `--only=mesh --mesh-sizes=15,20,25 --mesh-nodes=50,100`: meshes of other sizes (either flag alone runs only its kind).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../daemon/test/support/paths.js'
import { benchChains } from './chains.bench.js'
import { benchCode } from './code.bench.js'
import { benchExecutor } from './executor.bench.js'
import { benchFirstCall } from './first-call.bench.js'
import { benchHttp } from './http.bench.js'
import { benchMemory } from './memory.bench.js'
import { benchMesh } from './mesh.bench.js'
import { benchPlacement } from './placement.bench.js'
import { benchReceipts } from './receipts.bench.js'
import { benchRpc } from './rpc.bench.js'
import { benchState } from './state.bench.js'
import { check, checkReport, readBaseline, updated, writeBaseline } from './check.js'
import { markdown, type Row } from './report.js'

const quick = process.argv.includes('--quick')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7)
const rows: Row[] = []
const sections: string[] = []
const started = Date.now()
const progress = (msg: string): void => { process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${msg}\n`) }

if (only == null || only === 'executor') {
  progress('executor: cold start, warm invoke, fuel overhead')
  rows.push(...await benchExecutor(ROOT, quick))
}
if (only == null || only === 'http') {
  progress('http: gateway vs bare node:http')
  rows.push(...await benchHttp(ROOT, quick))
}

if (only == null || only === 'mesh') {
  progress('mesh: advert propagation and memory, 5 to 20 nodes')
  // --mesh-sizes=15,20,25 (daemon processes), --mesh-nodes=50,100 (in-process nodes): other sizes
  const sizes = (flag: string): number[] | undefined => process.argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1).split(',').map(Number).filter((x) => Number.isInteger(x) && x >= 2)
  const processes = sizes('--mesh-sizes')
  const inProcess = sizes('--mesh-nodes')
  rows.push(...await benchMesh(ROOT, quick, progress, { ...(processes != null ? { processes, inProcess: inProcess ?? [] } : {}), ...(inProcess != null ? { inProcess, processes: processes ?? [] } : {}) }))
}

if (only == null || only === 'memory') {
  progress('memory: an idle daemon in a mesh of 3, and what each part costs')
  const memory = await benchMemory(ROOT, quick, progress)
  rows.push(...memory.rows)
  sections.push(memory.section)
}

if (only == null || only === 'rpc') {
  progress('rpc: shared long-lived channel vs a stream per request')
  rows.push(...await benchRpc(quick))
}
if (only == null || only === 'receipts') {
  progress('receipts: signing, verifying and recording a receipt vs the remote invoke round trip')
  rows.push(...await benchReceipts(quick))
}
if (only == null || only === 'code') {
  progress('code: cold start from the mesh vs local cold vs warm')
  rows.push(...await benchCode(ROOT, quick, progress))
}

if (only == null || only === 'first-call') {
  progress('first-call: a fresh function invoked on another node right after its deploy answered')
  rows.push(...await benchFirstCall(ROOT, quick, progress))
}

if (only == null || only === 'placement') {
  progress('placement: auction overhead, throughput, policies on a heterogeneous mesh')
  const placement = await benchPlacement(ROOT, quick, progress, !process.argv.includes('--no-hetero'))
  rows.push(...placement.rows)
  if (placement.section !== '') sections.push(placement.section)
}

if (only == null || only === 'state') {
  progress('state: what a 1 KiB state adds per model, and 200 concurrent increments per shared model')
  const state = await benchState(ROOT, quick, progress)
  rows.push(...state.rows)
  sections.push(state.section)
}
if (only == null || only === 'chains') {
  progress('chains: 5-step blob-step chain, 256 KiB, 20 ms links, locality on vs off')
  rows.push(...await benchChains(ROOT, quick, progress))
}

const header = `Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${new Date().toISOString()}${quick ? ', --quick' : ''}`
const table = [markdown(rows), ...sections].join('\n\n')
process.stdout.write(`\n${header}\n\n${table}\n`)
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
writeFileSync(join(ROOT, 'bench', 'results', 'latest.md'), `${header}\n\n${table}\n`)
const baselineFile = join(ROOT, 'bench', 'baseline.json')
if (process.argv.includes('--write-baseline')) {
  writeBaseline(baselineFile, updated(rows, readBaseline(baselineFile), `npm run bench --${quick ? ' --quick' : ''}${only != null ? ` --only=${only}` : ''}, ${new Date().toISOString().slice(0, 10)}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`))
  progress(`wrote ${baselineFile}`)
}
if (process.argv.includes('--check')) {
  const results = check(rows, readBaseline(baselineFile))
  process.stdout.write(`\nAgainst bench/baseline.json (${results.length} ratios):\n\n${checkReport(results)}\n`)
  const regressions = results.filter((r) => !r.ok).length
  if (regressions > 0) {
    progress(`${regressions} regression(s) against bench/baseline.json`)
    process.exitCode = 1
  }
}
progress('done')
