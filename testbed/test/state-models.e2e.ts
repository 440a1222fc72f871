/**
 * The state-models experiment end to end, on real daemons: a smaller cut of
 * testbed/scenarios/state-models.yaml (the same nodes, links and database link; fewer and
 * shorter chains) through `faasmesh testbed run`, checking that every state model answered under
 * both placements, that the external model's state crossed the emulated cloud link, and that the
 * table, the CSV and the plots were written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'chai'
import { parse as parseYaml } from 'yaml'
import { redisMissing } from '../src/redis.js'
import { ROOT, tempDir } from '../../daemon/test/support/paths.js'
import { runCli } from '../../daemon/test/support/processes.js'
import type { ChainJobRecord } from '../src/chains.js'

interface CsvRow { [column: string]: string }

function csv (file: string): CsvRow[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n')
  const columns = header!.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])))
}

describe('testbed state-models (daemon processes)', function () {
  this.timeout(300_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  after(async function () { await Promise.all(dirs.map(async (d) => { await d.cleanup() })) })

  it('runs every state model under both placements, through the emulated links, and writes the CDF and the table', async function () {
    const dir = await tempDir()
    dirs.push(dir)
    const scenario = parseYaml(readFileSync(join(ROOT, 'testbed/scenarios/state-models.yaml'), 'utf8'))
    delete scenario.quick
    scenario.name = 'state-models-test'
    scenario.functions[0].wasm = join(ROOT, 'build/state-step.wasm')
    Object.assign(scenario.workload.chains, { length: { min: 2, max: 3 }, keysPerEntry: 2 })
    Object.assign(scenario.workload, { count: 6, rate: [3] })
    const file = join(dir.path, 'scenario.json')
    writeFileSync(file, JSON.stringify(scenario))
    const out = join(dir.path, 'out')

    const run = await runCli(['testbed', 'run', file, '--out', out], { timeoutMs: 280_000 })
    expect(run.code, run.stderr.slice(-3000)).to.equal(0)

    const models = redisMissing() == null ? ['in-function', 'in-client', 'in-edge', 'external'] : ['in-function', 'in-client', 'in-edge']
    if (redisMissing() != null) expect(run.stderr).to.include('skipping the external model: redis-server is not installed')
    for (const f of ['chains.jsonl', 'summary.csv', 'summary.txt', 'latency-cdf.svg', 'traffic.svg', 'nodes.json', 'scenario.json']) {
      expect(existsSync(join(out, f)), f).to.equal(true)
    }
    const records: ChainJobRecord[] = readFileSync(join(out, 'chains.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const rows = csv(join(out, 'summary.csv'))
    expect(rows.map((r) => `${r.model}/${r.placement}`)).to.deep.equal(models.flatMap((m) => [`${m}/network-aware`, `${m}/processing-only`]))
    for (const row of rows) {
      const mine = records.filter((r) => r.run === row.run)
      expect(mine, row.run).to.have.length(6)
      expect(Number(row.ok), `${row.run}: ${JSON.stringify(mine.map((r) => r.outcome))}`).to.be.at.least(5)
      expect(Number(row.traffic_hop_bytes), `${row.run} moved bytes between nodes`).to.be.greaterThan(0)
      for (const r of mine.filter((r) => r.outcome === 'ok')) {
        expect(r.executors, `${row.run}: one executor per step`).to.have.length(r.length)
        expect(r.trafficBytes, row.run).to.be.a('number')
      }
    }
    if (models.includes('external')) {
      // every step reads its state from and commits it to the database, 60 ms away each way
      for (const r of records.filter((r) => r.model === 'external' && r.outcome === 'ok')) {
        expect(r.totalMs, `${r.run} #${r.seq}: ${r.length} steps`).to.be.at.least(r.length * 120)
      }
      for (const row of rows.filter((r) => r.model === 'external')) expect(Number(row.database_bytes), row.run).to.be.greaterThan(0)
    }
    const table = readFileSync(join(out, 'summary.txt'), 'utf8')
    expect(table).to.match(/^model\s+placement\s+policy\s+rate\/s\s+chains\s+ok\s+failed\s+lost\s+mean ms\s+p50\s+p90\s+p99\s+traffic KiB/)
    expect(run.stdout).to.include(table.trim().split('\n')[0])
    const cdf = readFileSync(join(out, 'latency-cdf.svg'), 'utf8')
    expect(cdf).to.match(/^<svg[^>]*>/)
    for (const m of models) expect(cdf, m).to.include(m)
    expect(cdf).to.include('network-aware').and.include('processing-only')
  })
})
