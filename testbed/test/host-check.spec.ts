/**
 * The host check (docs/testbed.md, "Can these numbers be trusted?"): /proc/stat parsing, the
 * saturation rule on synthetic samples, and a real host made busy by CPU-burning children.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { hostCheck, hostComponents, hostLine, parseProcStat, type HostCheckComponents } from '../src/host-check.js'
import { Progress } from '../src/progress.js'
import { runSeeds, seedCells, seedsTable, type Repetition } from '../src/seeds.js'
import { meanCi } from '../src/sim/stats.js'
import type { RunSummary } from '../src/results.js'

/** /proc/stat as the kernel prints it: user nice system idle iowait irq softirq steal guest guest_nice. */
function stat (user: number, idle: number, { iowait = 0, steal = 0, running = 1 } = {}): string {
  return `cpu  ${user} 0 0 ${idle} ${iowait} 0 0 ${steal} 0 0\ncpu0 ${user} 0 0 ${idle} 0 0 0 0 0 0\nintr 12 0 0\nctxt 99\nprocs_running ${running}\nprocs_blocked 0\n`
}

/** Components that hand out the given /proc/stat texts in turn (the last one repeats). */
function stub (texts: string[], cores = 2): HostCheckComponents {
  let i = 0
  return { readStat: async () => texts[Math.min(i++, texts.length - 1)], loadavg: () => [0.5, 0.4, 0.3], cores }
}

describe('host check', function () {
  this.timeout(30_000)

  it('reads the aggregate cpu line and procs_running; no cpu line is no reading', function () {
    expect(parseProcStat(stat(100, 300, { iowait: 20, steal: 5, running: 3 }))).to.deep.equal({ total: 425, idle: 320, steal: 5, running: 3 })
    expect(parseProcStat('cpu0 1 2 3 4\n')).to.equal(undefined)
    expect(parseProcStat('')).to.equal(undefined)
  })

  it('calls a run saturated when most of its samples had under 10 % idle, and names the runs', async function () {
    // cumulative counters: each step adds 100 ticks, of which `idle` idle
    const steps = [['a', 50], ['a', 5], ['a', 2], ['b', 50], ['b', 60]] as const
    const texts = [stat(0, 0)]
    let user = 0
    let idle = 0
    for (const [, i] of steps) { user += 100 - i; idle += i; texts.push(stat(user, idle)) }
    const check = hostCheck({ intervalMs: 60_000 })(stub(texts))
    expect(await check.sample()).to.equal(undefined, 'the first reading only sets the baseline')
    for (const [run] of steps) { check.start(run); await check.sample() }
    check.stop()
    const r = check.report({ daemons: 8, slots: 11, processes: 9 })
    expect(r.samples).to.equal(5)
    expect(r.saturatedSamples).to.equal(2)
    expect(r.saturated).to.equal(false, '2 of 5 is not most')
    expect(r.runs.a).to.deep.include({ samples: 3, saturatedSamples: 2 })
    expect(r.runs.a!.busyShare).to.be.closeTo((0.5 + 0.95 + 0.98) / 3, 1e-9)
    expect(r.runs.b).to.deep.include({ samples: 2, saturatedSamples: 0 })
    expect(r.verdict).to.equal('ok')
    expect(hostLine(r)).to.match(/^host: 2 cores, .*8 daemons \(11 slots\).*: ok$/)

    const busy = hostCheck({ intervalMs: 60_000 })(stub([stat(0, 0), stat(95, 5), stat(190, 10), stat(290, 10)]))
    await busy.sample()
    busy.start('x')
    await busy.sample()
    await busy.sample()
    await busy.sample()
    const b = busy.report()
    expect(b.saturated).to.equal(true)
    expect(b.verdict).to.match(/^saturated during the run: .* in 3 of 3 samples$/)
    expect(hostLine(b)).to.contain('SATURATED')
  })

  it('counts more runnable threads than cores as saturated, whatever the idle share', async function () {
    const check = hostCheck({ intervalMs: 60_000 })(stub([stat(0, 0, { running: 1 }), stat(50, 50, { running: 4 })], 2))
    await check.sample()
    const s = await check.sample()
    expect(s).to.deep.include({ running: 3, saturated: true })
  })

  it('calls the host contended when others used the CPU before the start, or the hypervisor stole it', async function () {
    const others = hostCheck({ beforeMs: 1, spinMs: 1 })(stub([stat(0, 0), stat(60, 40)]))
    const before = await others.before()
    expect(before.busyBefore).to.be.closeTo(0.6, 1e-9)
    expect(before.contended).to.match(/other processes used 60 % of the CPU/)
    expect(others.report().saturated).to.equal(true)
    expect(others.report().verdict).to.match(/^busy before the start: /)

    const stolen = hostCheck({ beforeMs: 1, spinMs: 1 })(stub([stat(0, 0), stat(10, 80, { steal: 10 })]))
    expect((await stolen.before()).contended).to.match(/steal/)

    const quiet = hostCheck({ beforeMs: 1, spinMs: 1, spinFloor: 0 })(stub([stat(0, 0), stat(10, 90)]))
    expect((await quiet.before()).contended).to.equal(undefined)
    expect(quiet.report().saturated).to.equal(false)
  })

  it('without /proc/stat it records the load average and says nothing it cannot know', async function () {
    const check = hostCheck({ beforeMs: 1, spinMs: 1, spinFloor: 0 })({ readStat: async () => undefined, loadavg: () => [1, 2, 3], cores: 4 })
    const before = await check.before()
    expect(before.loadBefore).to.deep.equal([1, 2, 3])
    expect(before.busyBefore).to.equal(undefined)
    check.start('r')
    expect(await check.sample()).to.equal(undefined)
    check.stop()
    expect(check.report()).to.deep.include({ cores: 4, samples: 0, saturated: false, verdict: 'ok' })
  })

  it('reports saturation on this host while CPU-burning children take every core', async function () {
    if ((await hostComponents().readStat()) == null) this.skip()
    const burners: ChildProcess[] = []
    try {
      // one more burner than cores: the host has no idle left whatever else runs here; each exits on its own after 20 s
      for (let i = 0; i <= availableParallelism(); i++) {
        burners.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 20000; while (Date.now() < end) {}'], { stdio: 'ignore' }))
      }
      await new Promise((resolve) => setTimeout(resolve, 300))
      const check = hostCheck({ intervalMs: 200, beforeMs: 500, spinMs: 200 })(hostComponents())
      const before = await check.before()
      expect(before.busyBefore).to.be.greaterThan(0.9)
      expect(before.contended).to.be.a('string')
      check.start('burn')
      await new Promise((resolve) => setTimeout(resolve, 1300))
      check.stop()
      const r = check.report()
      expect(r.samples).to.be.within(2, 8)
      expect(r.saturatedSamples * 2).to.be.at.least(r.samples)
      expect(r.saturated).to.equal(true)
      expect(r.verdict).to.contain('saturated during the run')
    } finally {
      for (const b of burners) b.kill('SIGKILL')
    }
  })
})

function summary (policy: string, meanMs: number, p99Ms: number, run = `${policy}@85%`): RunSummary {
  return { run, policy, load: 0.85, rate: 27, count: 200, ok: 200, failed: 0, lost: 0, successPct: 100, meanMs, p50Ms: meanMs / 2, p95Ms: p99Ms * 0.8, p99Ms, perNode: {}, errors: {} }
}

describe('testbed run --seeds: means over repetitions', function () {
  it('gives every policy x load the mean and 95 % CI over seeds, and counts the saturated repetitions', function () {
    const host = (saturatedRun?: string) => ({
      cores: 2, loadBefore: [0, 0, 0], spinShare: 1, samples: 8, saturatedSamples: 4, saturated: saturatedRun != null, verdict: 'ok',
      runs: { 'auction@85%': { busyShare: 0.5, samples: 4, saturatedSamples: saturatedRun === 'auction@85%' ? 3 : 0, saturated: saturatedRun === 'auction@85%' }, 'random@85%': { busyShare: 0.5, samples: 4, saturatedSamples: 0, saturated: false } }
    })
    const reps: Repetition[] = [
      { seed: 7, outDir: '/x/seed-7', host: host('auction@85%'), summaries: [summary('random', 4000, 15000), summary('auction', 672, 2000)] },
      { seed: 8, outDir: '/x/seed-8', host: host(), summaries: [summary('random', 3000, 12000), summary('auction', 5690, 20000)] },
      { seed: 9, outDir: '/x/seed-9', host: host(), summaries: [summary('random', 3500, 13000), summary('auction', 500, 1500)] },
      { seed: 10, outDir: '/x/seed-10', summaries: [], error: 'Error: slow-2 did not start within 30 s' }
    ]
    const cells = seedCells(reps)
    const auction = cells.find((c) => c.policy === 'auction')!
    expect(auction.seeds).to.equal(3)
    expect(auction.meanMs).to.deep.equal(meanCi([672, 5690, 500]))
    expect(auction.meanMs.ci).to.be.greaterThan(0)
    expect(auction.p99Ms).to.deep.equal(meanCi([2000, 20000, 1500]))
    expect(auction.saturatedSeeds).to.equal(1)
    expect(cells.find((c) => c.policy === 'random')!.saturatedSeeds).to.equal(0)
    const table = seedsTable(cells, reps)
    expect(table).to.contain('seed 10: failed (Error: slow-2 did not start within 30 s)')
    expect(table).to.match(/auction\s+85%\s+27\.0\s+3\s+100\.0% ±0\.0%\s+2287 ±\d+/)
  })

  it('refuses a chain workload with a named error before starting anything', async function () {
    // an aborted signal: were the check gone, the run would stop at once instead of starting daemons
    const err = await runSeeds({ scenarioFile: 'testbed/scenarios/state-models.yaml', quick: true, seeds: 2, outDir: join(tmpdir(), `faasmesh-seeds-refused-${process.pid}`), signal: AbortSignal.abort() }, new Progress()).catch((e) => e)
    expect(err).to.have.property('name', 'InvalidScenarioError')
    expect(err.message).to.match(/^--seeds: a chain workload runs once/)
  })
})
