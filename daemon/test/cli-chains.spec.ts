/**
 * Chains from the command line and the dashboard (DESIGN.md section 11), against a real
 * in-process daemon with wordcount and checksum deployed: `faasmesh chain deploy` from YAML and
 * JSON files, `chain list` / `chains`, `invoke -v` printing the steps, `--locality off` reaching
 * the chain's record, a bad spec failing by name. The dashboard is opened on the same daemon in
 * headless Chromium (skipped without it), and its chains panel and chain placements are read back.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { createDaemon, loadConfig, type Daemon } from '../src/index.js'
import { bytes, shortPeer } from '../src/cli/format.js'
import { CHAIN_STEP_COLUMNS, describeChain } from '../src/cli/placement-report.js'
import { launchBrowser, openPage, SKIP_NO_CHROMIUM } from './support/browser.js'
import { LOOPBACK_FLAGS } from './support/loopback.js'
import { ROOT, tempDir } from './support/paths.js'
import { waitFor } from './support/wait.js'
import type { Browser } from 'playwright-core'
import { cliInProcess as cli } from './support/cli-run.js'


/**
 * The rows of the steps table `invoke -v` prints, as objects keyed by the column headers. The
 * table is aligned on the header's columns, so a cell is the text under its header.
 */
function stepRows (stderr: string): Array<Record<string, string>> {
  const lines = stderr.split('\n')
  const at = lines.findIndex((l) => CHAIN_STEP_COLUMNS.every((c) => l.includes(c)))
  expect(at, `a steps table in:\n${stderr}`).to.be.at.least(0)
  const header = lines[at]!
  const starts = CHAIN_STEP_COLUMNS.map((c) => header.indexOf(c))
  const rows: Array<Record<string, string>> = []
  for (const line of lines.slice(at + 1)) {
    // the rows are indented like the header; the traffic line that follows is not
    if (!/^ {4}\S/.test(line)) break
    rows.push(Object.fromEntries(CHAIN_STEP_COLUMNS.map((c, i) => [c, line.slice(starts[i], starts[i + 1]).trim()])))
  }
  return rows
}

const PAIR_YAML = `# count the words, then checksum the counts
description: wordcount then checksum
steps:
  - id: count
    fn: wordcount
  - id: sum
    fn: checksum
    after: [count]
`

const DIAMOND = {
  steps: [
    { id: 'a', fn: 'wordcount' },
    { id: 'b', fn: 'checksum', after: ['a'] },
    { id: 'c', fn: 'wordcount', after: ['a'] },
    { id: 'd', fn: 'checksum', after: ['b', 'c'] }
  ]
}

const TEXT = 'the quick brown fox jumps over the lazy dog the end'

describe('cli: chains, and the dashboard\'s chains', function () {
  this.timeout(60_000)
  let dir: { path: string, cleanup(): Promise<void> }
  let daemon: Daemon
  let api: string
  const file = (name: string): string => join(dir.path, name)

  async function getJson (path: string): Promise<any> {
    const res = await fetch(api + path, { signal: AbortSignal.timeout(10_000) })
    expect(res.status, path).to.equal(200)
    return res.json()
  }

  /** What a function answers on its own, run here. */
  async function runLocal (fn: string, input: string): Promise<string> {
    const r = await cli(['invoke', fn, '--data', input, '--policy', 'local', '--raw', '--api', api])
    expect(r.code, r.stderr).to.equal(0)
    return r.stdout
  }

  before(async function () {
    dir = await tempDir()
    daemon = await createDaemon({
      config: loadConfig({ env: {}, flags: { dataDir: join(dir.path, 'node'), ...LOOPBACK_FLAGS, 'executor.slots': 2 } })
    })
    await daemon.start()
    api = daemon.apiUrl
    for (const name of ['wordcount', 'checksum']) {
      const r = await cli(['deploy', name, join(ROOT, 'build', `${name}.wasm`), '--api', api])
      expect(r.code, r.stderr).to.equal(0)
    }
    await writeFile(file('pair.yaml'), PAIR_YAML)
    await writeFile(file('diamond.json'), JSON.stringify(DIAMOND, null, 2))
  })

  after(async function () {
    await browser?.close()
    browser = undefined
    await daemon?.stop()
    await dir?.cleanup()
  })

  it('help lists chain and chains, and invoke --locality', async function () {
    const help = await cli(['--help'])
    expect(help.stdout).to.match(/^ {2}chain +Deploy a chain/m).and.match(/^ {2}chains +List the chains/m)
    const chain = await cli(['chain', '--help'])
    expect(chain.stdout).to.include('faasmesh chain deploy <name> <spec.json|spec.yaml|spec.yml>').and.include('faasmesh chain list')
    const invoke = await cli(['invoke', '--help'])
    expect(invoke.stdout).to.match(/--locality <on\|off> +Chains: on/)
  })

  it('chain deploy reads a YAML file and prints the name, CID and steps', async function () {
    const r = await cli(['chain', 'deploy', 'pair', file('pair.yaml'), '--api', api])
    expect(r.code, r.stderr).to.equal(0)
    const cid = /^ {2}cid +(\S+)$/m.exec(r.stdout)?.[1]
    expect(r.stdout).to.match(/^deployed chain pair \(v1\)$/m).and.match(/^ {2}steps +2$/m)
    expect(cid).to.match(/^bagaaiera/)
    const { chains } = await getJson('/v1/chains')
    expect(chains.find((c: any) => c.name === 'pair')).to.include({ cid, steps: 2 })
  })

  it('chain deploy reads a JSON file; --json prints what the gateway answered', async function () {
    const r = await cli(['chain', 'deploy', 'diamond', file('diamond.json'), '--api', api, '--json'])
    expect(r.code, r.stderr).to.equal(0)
    const deployed = JSON.parse(r.stdout)
    expect(deployed).to.include({ name: 'diamond', steps: 4, version: 1 })
    expect(deployed.cid).to.match(/^bagaaiera/)
  })

  it('chain list and chains show each chain: name, steps, CID, functions', async function () {
    const { chains } = await getJson('/v1/chains')
    for (const args of [['chain', 'list'], ['chains']]) {
      const r = await cli([...args, '--api', api])
      expect(r.code, r.stderr).to.equal(0)
      const [header, ...rows] = r.stdout.trimEnd().split('\n')
      expect(header!.split(/\s{2,}/)).to.deep.equal(['NAME', 'STEPS', 'CID', 'FUNCTIONS'])
      expect(rows.map((row) => row.split(/\s{2,}/))).to.deep.equal([
        ['diamond', '4', chains.find((c: any) => c.name === 'diamond').cid, 'wordcount,checksum'],
        ['pair', '2', chains.find((c: any) => c.name === 'pair').cid, 'wordcount,checksum']
      ])
    }
    const json = await cli(['chains', '--api', api, '--json'])
    expect(JSON.parse(json.stdout)).to.deep.equal(chains)
  })

  it('a bad spec file exits non-zero with the gateway\'s error name and the bad path; nothing is stored', async function () {
    await writeFile(file('bad.yaml'), 'steps:\n  - id: count\n    fn: wordcount\n  - id: sum\n    fn: checksum\n    after: [nope]\n')
    const r = await cli(['chain', 'deploy', 'bad', file('bad.yaml'), '--api', api])
    expect(r.code).to.equal(1)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.match(/^error: InvalidChainError: .*steps\[1\]\.after\[0\]/)
    const { chains } = await getJson('/v1/chains')
    expect(chains.map((c: any) => c.name)).to.not.include('bad')
    // the file itself: a name that is no spec file, and a file that is not there, are usage errors
    await writeFile(file('spec.txt'), PAIR_YAML)
    const txt = await cli(['chain', 'deploy', 'bad', file('spec.txt'), '--api', api])
    expect(txt.code).to.equal(2)
    expect(txt.stderr).to.include('a chain spec is a .json, .yaml or .yml file')
    const missing = await cli(['chain', 'deploy', 'bad', file('missing.yaml'), '--api', api])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.include('no such file')
    expect((await cli(['chain', 'deploy', 'bad', '--api', api])).code).to.equal(2)
    expect((await cli(['chain', 'remove', 'pair', '--api', api])).stderr).to.include('unknown action "remove"')
  })

  it('invoke -v runs a chain: the output on stdout, the steps table and the traffic on stderr', async function () {
    const a = await runLocal('wordcount', TEXT)
    const b = await runLocal('checksum', a)
    const c = await runLocal('wordcount', a)
    const d = await runLocal('checksum', JSON.stringify({ b: JSON.parse(b), c: JSON.parse(c) }))
    const r = await cli(['invoke', 'diamond', '--data', TEXT, '-v', '--api', api])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(`${d}\n`)
    // the usual lines come first
    expect(r.stderr).to.match(/^diamond -> bagaaiera\S+$/m).and.match(/^ {2}executor +12D3KooW/m)
    expect(r.stderr).to.match(/^ {2}chain +diamond, 4 steps, locality on$/m)
    const { placements } = await getJson('/v1/placements')
    const record = placements.find((p: any) => p.chain?.name === 'diamond')
    const rows = stepRows(r.stderr)
    expect(rows.map((row) => [row.STEP, row.FUNCTION])).to.deep.equal([['a', 'wordcount'], ['b', 'checksum'], ['c', 'wordcount'], ['d', 'checksum']])
    for (const [i, row] of rows.entries()) {
      const step = record.chain.steps[i]
      expect(row).to.deep.equal({
        STEP: step.id,
        FUNCTION: step.fn,
        EXECUTOR: `${shortPeer(daemon.peerId.toString())} (self)`,
        'START MS': step.startMs.toFixed(2),
        'PLACEMENT MS': step.placementMs.toFixed(2),
        'RUN MS': step.runMs.toFixed(2),
        'BYTES IN': bytes(step.bytesIn),
        'BYTES OUT': bytes(step.bytesOut),
        COLD: step.cold === true ? 'yes' : 'no',
        OUTCOME: 'ok'
      })
    }
    const { invoke, chainData, state } = record.chain.traffic
    expect(r.stderr).to.match(new RegExp(`^ {2}traffic +invoke ${bytes(invoke)}, chain data ${bytes(chainData)}, state ${bytes(state)}$`, 'm'))
    // a chain's record has no bids or attempts of its own: no empty attempts list
    expect(r.stderr).to.not.include('attempts:')
  })

  it('the steps table puts each field of a step in its column (a record with data moved between two nodes)', function () {
    // one node moves no bytes: a record as a mesh of two makes it, every number distinct
    const entry = '12D3KooWEntryEntryEntryEntryEntryEntryEntry111111'
    const other = '12D3KooWOtherOtherOtherOtherOtherOtherOther222222'
    const text = describeChain({
      name: 'pair',
      locality: true,
      steps: [
        { id: 'count', fn: 'wordcount', cid: 'bafkreia', invocationId: 'x:count', executor: other, startMs: 1.5, endMs: 9, placementMs: 2.25, runMs: 6.125, bytesIn: 2048, bytesOut: 0, inputFrom: [entry], cold: true, outcome: 'ok' },
        { id: 'sum', fn: 'checksum', cid: 'bafkreib', invocationId: 'x:sum', executor: entry, startMs: 9.5, endMs: 12, placementMs: 0.75, runMs: 1.5, bytesIn: 300, bytesOut: 82, inputFrom: [other], cold: false, outcome: 'GuestTrapError' },
        { id: 'late', fn: 'acme/threshold', invocationId: 'x:late', bytesIn: 0, bytesOut: 0, inputFrom: [], outcome: 'not run' }
      ],
      traffic: { invoke: 2130, chainData: 300, state: 7 }
    }, entry)
    expect(text).to.match(/^ {2}chain +pair, 3 steps, locality on$/m)
    expect(stepRows(text)).to.deep.equal([
      { STEP: 'count', FUNCTION: 'wordcount', EXECUTOR: shortPeer(other), 'START MS': '1.50', 'PLACEMENT MS': '2.25', 'RUN MS': '6.13', 'BYTES IN': '2.0 KiB', 'BYTES OUT': '0 B', COLD: 'yes', OUTCOME: 'ok' },
      { STEP: 'sum', FUNCTION: 'checksum', EXECUTOR: `${shortPeer(entry)} (self)`, 'START MS': '9.50', 'PLACEMENT MS': '0.75', 'RUN MS': '1.50', 'BYTES IN': '300 B', 'BYTES OUT': '82 B', COLD: 'no', OUTCOME: 'GuestTrapError' },
      { STEP: 'late', FUNCTION: 'acme/threshold', EXECUTOR: '-', 'START MS': '-', 'PLACEMENT MS': '-', 'RUN MS': '-', 'BYTES IN': '0 B', 'BYTES OUT': '0 B', COLD: '-', OUTCOME: 'not run' }
    ])
    expect(text).to.match(/^ {2}traffic +invoke 2\.1 KiB, chain data 300 B, state 7 B$/m)
  })

  it('--locality off reaches the chain\'s record; invoke -v --json includes the record', async function () {
    const off = await cli(['invoke', 'pair', '--data', TEXT, '--locality', 'off', '-v', '--json', '--api', api])
    expect(off.code, off.stderr).to.equal(0)
    const json = JSON.parse(off.stdout)
    expect(json).to.include({ chainSteps: 2, output: await runLocal('checksum', await runLocal('wordcount', TEXT)) })
    expect(json.bytesMoved).to.be.a('number')
    expect(json.chain.locality).to.equal(false)
    expect(json.chain.steps.map((s: any) => s.id)).to.deep.equal(['count', 'sum'])
    expect((await getJson(`/v1/placements/${json.placementId}`)).chain.locality).to.equal(false)
    const on = JSON.parse((await cli(['invoke', 'pair', '--data', TEXT, '--locality', 'on', '-v', '--json', '--api', api])).stdout)
    expect(on.chain.locality).to.equal(true)
    // without -v, no record is fetched; a function's answer has no chain fields
    const plain = JSON.parse((await cli(['invoke', 'pair', '--data', TEXT, '--json', '--api', api])).stdout)
    expect(plain).to.include({ chainSteps: 2 }).and.not.have.property('chain')
    const fn = JSON.parse((await cli(['invoke', 'wordcount', '--data', TEXT, '-v', '--json', '--api', api])).stdout)
    expect(fn).to.not.have.any.keys('chain', 'chainSteps', 'bytesMoved')
    const bad = await cli(['invoke', 'pair', '--locality', 'maybe', '--api', api])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.include('--locality is on or off, not "maybe"')
  })

  it('the dashboard lists the chains and shows a chain placement with its steps', async function () {
    const page = await (await fetch(`${api}/dashboard/dashboard.js`)).text()
    expect(page).to.include("'/v1/chains'")
    const dom = await renderDashboard(this, api)
    const { chains } = await getJson('/v1/chains')
    // the deployment time is shown in the browser's locale: its presence is what is checked
    expect(dom.chains.map((c) => c.slice(0, 5))).to.deep.equal(chains.map((c: any) => [c.name, String(c.steps), c.fns.join(', '), c.cid, `v${c.version}`]))
    expect(dom.chains.every((c) => c[5] !== '')).to.equal(true)
    expect(dom.choices).to.include.members(['wordcount', 'checksum', 'diamond', 'pair'])
    // the placements: the newest chain with its steps right under it; the steps' own placements not again
    const { placements } = await getJson('/v1/placements')
    const stepIds = new Set(placements.flatMap((p: any) => p.chain?.steps.map((s: any) => s.placementId) ?? []))
    expect(stepIds.size).to.be.greaterThan(0)
    const shown = placements.filter((p: any) => !stepIds.has(p.id)).slice(0, 15)
    const rows = dom.placements
    expect(rows.filter((r) => r.className !== 'steps')).to.have.length(shown.length)
    expect(rows.filter((r) => r.className === 'steps')).to.have.length(shown.filter((p: any) => p.chain != null).length)
    const diamond = placements.find((p: any) => p.chain?.name === 'diamond')
    const at = rows.findIndex((r) => r.cells[1] === 'chain diamond, 4 steps')
    expect(at).to.be.at.least(0)
    expect(rows[at]!.cells[7]).to.equal('ok')
    const steps = rows[at + 1]!
    expect(steps.className).to.equal('steps')
    expect(steps.steps!.head).to.deep.equal(['step', 'function', 'timeline', 'executor', 'start-end ms', 'bytes in', 'bytes out', 'outcome'])
    const self = daemon.peerId.toString()
    expect(steps.steps!.rows.map((r) => r.cells)).to.deep.equal(diamond.chain.steps.map((s: any) => [
      s.id, s.fn, '', `${self.slice(0, 8)}…${self.slice(-6)} (here)`, `${s.startMs.toFixed(1)}-${s.endMs.toFixed(1)}`, `${s.bytesIn} B`, `${s.bytesOut} B`, 'ok'
    ]))
    // each step's bar sits where it ran on the chain's timeline
    for (const row of steps.steps!.rows) {
      if (row.bar == null) throw new Error(`no bar in the timeline of step ${row.cells[0]}`)
      expect(row.bar.className).to.equal('bar')
      expect(row.bar.left).to.match(/^\d+(\.\d+)?(e-\d+)?%$/)
      expect(row.bar.width).to.match(/^\d+(\.\d+)?(e-\d+)?%$/)
    }
    expect(steps.steps!.traffic).to.match(/^locality on - moved: invoke \d+ B, chain data \d+ B, state \d+ B$/)
    expect(dom.problems).to.deep.equal([])
  })

  it('the dashboard puts each field of a chain step in its column and its bar where it ran', async function () {
    // one node moves no bytes and fails no step: the placements are a record as a mesh of two makes it
    const self = daemon.peerId.toString()
    const other = '12D3KooWOtherOtherOtherOtherOtherOtherOther222222'
    const record = {
      id: 'c0ffee', cid: 'bagaaierachain', policy: 'auction', at: Date.now(), asked: 0, bids: [], attempts: [], executor: other, placementMs: 3, totalMs: 40, outcome: 'ChainStepError',
      chain: {
        name: 'pair',
        locality: false,
        steps: [
          { id: 'count', fn: 'wordcount', invocationId: 'x:count', placementId: 'beef01', executor: other, startMs: 2, endMs: 10, bytesIn: 2048, bytesOut: 150, inputFrom: [self], outcome: 'ok' },
          { id: 'sum', fn: 'checksum', invocationId: 'x:sum', placementId: 'beef02', executor: self, startMs: 10, endMs: 40, bytesIn: 150, bytesOut: 0, inputFrom: [self], outcome: 'GuestTrapError' },
          { id: 'late', fn: 'threshold', invocationId: 'x:late', bytesIn: 0, bytesOut: 0, inputFrom: [], outcome: 'not run' }
        ],
        traffic: { invoke: 2348, chainData: 0, state: 5 }
      }
    }
    const stepPlacement = { id: 'beef01', cid: 'bafkreistep', policy: 'auction', at: Date.now(), asked: 1, bids: [], attempts: [], executor: other, outcome: 'ok' }
    const dom = await renderDashboard(this, api, { '/v1/placements': { placements: [stepPlacement, record], reputations: [] } })
    const rows = dom.placements
    // the step's own placement is shown under its chain only
    expect(rows.map((r) => r.className)).to.deep.equal(['', 'steps'])
    expect(rows[0]!.cells.slice(1)).to.deep.equal(['chain pair, 3 steps', 'auction', '-', `${other.slice(0, 8)}…${other.slice(-6)}`, '3.0 ms', '40.0 ms', 'ChainStepError', 'details'])
    expect(rows[0]!.outcomeClass).to.equal('err')
    expect(rows[1]!.steps!.rows.map((r) => r.cells)).to.deep.equal([
      ['count', 'wordcount', '', `${other.slice(0, 8)}…${other.slice(-6)}`, '2.0-10.0', '2048 B', '150 B', 'ok'],
      ['sum', 'checksum', '', `${self.slice(0, 8)}…${self.slice(-6)} (here)`, '10.0-40.0', '150 B', '0 B', 'GuestTrapError'],
      ['late', 'threshold', '', '-', '-', '0 B', '0 B', 'not run']
    ])
    expect(rows[1]!.steps!.rows.map((r) => r.bar)).to.deep.equal([
      { className: 'bar', left: '5%', width: '20%' },
      { className: 'bar failed', left: '25%', width: '75%' },
      null
    ])
    expect(rows[1]!.steps!.rows.map((r) => r.outcomeClass)).to.deep.equal(['', 'err', 'err'])
    expect(rows[1]!.steps!.traffic).to.equal('locality off - moved: invoke 2348 B, chain data 0 B, state 5 B')
  })
})

/** What the dashboard shows of chains and placements, read from the page in Chromium. */
interface ShownDashboard {
  chains: string[][]
  /** The invoke form's suggestions. */
  choices: string[]
  placements: Array<{
    className: string
    cells: string[]
    outcomeClass: string
    steps?: { head: string[], rows: Array<{ cells: string[], outcomeClass: string, bar: { className: string, left: string, width: string } | null }>, traffic: string }
  }>
  problems: string[]
}

/** Launched by the first dashboard test, closed with the daemon. */
let browser: Browser | undefined

/**
 * Opens the dashboard of the daemon at `api` in headless Chromium (skips the test without it),
 * waits for it to render, and reads its chains and placements; `answers` replaces what the
 * daemon would answer for some paths.
 */
async function renderDashboard (test: Mocha.Context, api: string, answers: Record<string, unknown> = {}): Promise<ShownDashboard> {
  browser ??= await launchBrowser()
  if (browser == null) {
    console.log(`      ${SKIP_NO_CHROMIUM}`)
    test.skip()
  }
  const context = await browser.newContext()
  try {
    for (const [path, answer] of Object.entries(answers)) {
      await context.route(`${api}${path}`, async (route) => { await route.fulfill({ json: answer }) })
    }
    const { page, problems } = await openPage(context, `${api}/`)
    await page.waitForFunction(() => document.querySelectorAll('#placements > tr').length > 0 && /^(peer|cannot)/.test(document.getElementById('node')?.textContent ?? ''), undefined, { timeout: 20_000 })
    expect(await page.textContent('#node')).to.match(/^peer 12D3KooW/)
    const shown = await page.evaluate(() => {
      const texts = (row: Element): string[] => Array.from(row.children).map((c) => c.textContent ?? '')
      return {
        chains: Array.from(document.querySelectorAll('#chains > tr')).map(texts),
        choices: Array.from(document.querySelectorAll('#fn-names option')).map((o) => (o as HTMLOptionElement).value),
        placements: Array.from(document.querySelectorAll('#placements > tr')).map((tr) => {
          const table = tr.className === 'steps' ? tr.querySelector('table') : null
          return {
            className: tr.className,
            cells: texts(tr),
            outcomeClass: tr.children[7]?.className ?? '',
            ...(table != null
              ? {
                  steps: {
                    head: texts(table.rows[0]!),
                    rows: Array.from(table.rows).slice(1).map((r) => {
                      const bar = r.querySelector('.track > div') as HTMLElement | null
                      return { cells: texts(r), outcomeClass: r.lastElementChild?.className ?? '', bar: bar == null ? null : { className: bar.className, left: bar.style.left, width: bar.style.width } }
                    }),
                    traffic: table.nextElementSibling?.textContent ?? ''
                  }
                }
              : {})
          }
        })
      }
    })
    return { ...shown, problems }
  } finally {
    await context.close()
  }
}
