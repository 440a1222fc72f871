/**
 * Top self-time frames of V8 CPU profiles (`node --cpu-prof`, e.g. the daemons a benchmark
 * started with FAASMESH_BENCH_CPU_PROF=<dir>): `node dist/bench/profile-top.js [--top=N] <file>...`.
 * Prints, over all the files, the share of sampled time per frame (function, file:line) and per
 * package (node_modules/<pkg>, node: internals, our own code, GC, idle), idle left out of the shares.
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25)
const files = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const byFrame = new Map<string, number>()
const byPackage = new Map<string, number>()
let total = 0
let idle = 0

function packageOf (url: string, name: string): string {
  if (name === '(garbage collector)') return '(gc)'
  if (name === '(program)') return '(program)'
  if (url === '') return '(native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:')) return 'node:internals'
  const dist = url.indexOf('/dist/')
  return dist >= 0 ? `faasmesh ${url.slice(dist + 6).split('/').slice(0, 3).join('/')}` : url
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id)!
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') { idle += dt; return }
    total += dt
    const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')
    const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`
    byFrame.set(key, (byFrame.get(key) ?? 0) + dt)
    const pkg = packageOf(url, functionName)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt)
  })
}

const pct = (ms: number): string => `${(100 * ms / total).toFixed(1)} %`
const rows = (m: Map<string, number>): string[] => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, ms]) => `| ${pct(ms)} | ${ms.toFixed(0)} ms | \`${k}\` |`)
process.stdout.write(`${files.length} profiles, ${(total / 1000).toFixed(1)} s busy, ${(idle / 1000).toFixed(1)} s idle\n\n`)
process.stdout.write(['| self time | ms | by package |', '|---|---|---|', ...rows(byPackage)].join('\n') + '\n\n')
process.stdout.write(['| self time | ms | frame |', '|---|---|---|', ...rows(byFrame)].join('\n') + '\n')
