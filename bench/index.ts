/**
 * `npm run bench`: every benchmark, each against a baseline measured in the same run, printed
 * as a Markdown table with medians, p99 and ratios (and written to bench/results/latest.md).
 * `npm run bench -- --quick` runs a short version; `--only=executor|http|mesh|rpc|receipts|code|placement|state|chains` one group.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../daemon/test/support/paths.js'
import { benchChains } from './chains.bench.js'
import { benchCode } from './code.bench.js'
import { benchExecutor } from './executor.bench.js'
import { benchHttp } from './http.bench.js'
import { benchMesh } from './mesh.bench.js'
import { benchPlacement } from './placement.bench.js'
import { benchReceipts } from './receipts.bench.js'
import { benchRpc } from './rpc.bench.js'
import { benchState } from './state.bench.js'
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
  rows.push(...await benchMesh(ROOT, quick, progress))
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

if (only == null || only === 'placement') {
  progress('placement: auction overhead, throughput, policies on a heterogeneous mesh')
  const placement = await benchPlacement(ROOT, quick, progress)
  rows.push(...placement.rows)
  sections.push(placement.section)
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
progress('done')
