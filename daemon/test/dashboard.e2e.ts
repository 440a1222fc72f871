/**
 * The dashboard in a real headless Chromium (issue 16): three daemon processes on loopback, a
 * function deployed and invoked on the first, its page opened: no console error and no failed
 * request; the peers, the function by name with its count, the placements by name, and a chart
 * whose data grows with more invocations. Skipped, with a message, without /usr/bin/chromium.
 */
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { launchBrowser, openPage, SKIP_NO_CHROMIUM, type WatchedPage } from './support/browser.js'
import { tempDir, wasm } from './support/paths.js'
import { killAll, startDaemon, type DaemonProcess, waitForMesh } from './support/processes.js'
import { waitFor } from './support/wait.js'
import type { Browser } from 'playwright-core'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }

/** Where the coordinator looks at the page once. */
const SHARED_SCREENSHOT = '/tmp/dashboard.png'

async function invoke (d: DaemonProcess, name: string, body: string): Promise<void> {
  const res = await fetch(`${d.url}/v1/invoke/${name}`, { method: 'POST', body, signal: AbortSignal.timeout(20_000) })
  expect(res.status, await res.clone().text()).to.equal(200)
  await res.arrayBuffer()
}

/** The invocations the rate chart holds, read from the page's uPlot instance. */
async function chartedInvocations (watched: WatchedPage): Promise<number> {
  return watched.page.evaluate(() => {
    const chart = (window as any).faasmeshDashboard?.charts?.rate
    return chart == null ? -1 : (chart.data[1] as number[]).reduce((a, b) => a + (b ?? 0), 0)
  })
}

/** The text of each cell of each row of a table body. */
async function tableText (watched: WatchedPage, id: string): Promise<string[][]> {
  return watched.page.$$eval(`#${id} > tr`, (rows) => rows.map((r) => Array.from(r.children).map((c) => (c as HTMLElement).innerText.trim())))
}

describe('dashboard in headless Chromium (3 daemon processes)', function () {
  this.timeout(180_000)
  let browser: Browser | undefined
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  const nodes: DaemonProcess[] = []
  let shot: { path: string, cleanup(): Promise<void> } | undefined

  before(async function () {
    browser = await launchBrowser()
    if (browser == null) {
      console.log(`      ${SKIP_NO_CHROMIUM}`)
      this.skip()
    }
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    nodes.push(await startDaemon(await dir(), [], ENV))
    nodes.push(...await Promise.all([1, 2].map(async () => startDaemon(await dir(), ['--bootstrap', nodes[0]!.multiaddr], ENV))))
    await waitForMesh(nodes)
    const deployed = await fetch(`${nodes[0]!.url}/v1/functions/hello`, { method: 'POST', body: wasm('hello') as Uint8Array<ArrayBuffer>, signal: AbortSignal.timeout(20_000) })
    expect(deployed.status, await deployed.text()).to.equal(201)
    // spread over a few seconds: the charts get more than one point
    for (let i = 0; i < 4; i++) {
      await invoke(nodes[0]!, 'hello', `call ${i}`)
      await new Promise((resolve) => setTimeout(resolve, 400))
    }
    shot = await tempDir('faasmesh-dashboard-')
  })

  after(async function () {
    await browser?.close()
    killAll()
    await Promise.all([...dirs, ...(shot != null ? [shot] : [])].map(async (d) => { await d.cleanup() }))
  })

  it('shows the peers, the function by name with its count, placements by name and a chart with data, with no console error', async function () {
    const watched = await openPage(browser!, `${nodes[0]!.url}/`)
    const { page } = watched
    const others = nodes.slice(1).map((n) => n.peerId)
    await page.waitForFunction((ids) => ids.every((id) => document.getElementById('peers')?.textContent?.includes(id)), others, { timeout: 20_000 })
    // the graph draws the two peers around this node, connected directly (node 0 is their bootstrap)
    expect(await page.$$eval('#graph circle', (c) => c.length)).to.equal(3)
    expect(await page.$$eval('#graph line.direct', (l) => l.length)).to.equal(2)
    expect(await page.textContent('#self')).to.include(nodes[0]!.peerId).and.include('slots free/total')

    await page.waitForFunction(() => Array.from(document.querySelectorAll('#functions > tr')).some((r) => r.children[0]?.textContent === 'hello' && Number(r.children[3]?.textContent) >= 4), undefined, { timeout: 20_000 })
    const hello = (await tableText(watched, 'functions')).find((cells) => cells[0] === 'hello')!
    expect(hello[2]).to.include('deployed here')
    expect(Number(hello[3])).to.equal(4)
    expect(hello[4]).to.equal('0 (0 %)')
    expect(hello[5]).to.match(/^\d+\.\d ms$/)
    expect(hello[6]).to.match(/^\d+\.\d ms$/)

    const placements = await tableText(watched, 'placements')
    expect(placements.filter((cells) => cells[1] === 'hello' && cells[7] === 'ok')).to.have.length(4)
    // the invoke form offers the name
    expect(await page.$$eval('#fn-names option', (o) => o.map((x) => (x as HTMLOptionElement).value))).to.include('hello')

    await page.waitForFunction(() => ((window as any).faasmeshDashboard?.charts?.rate?.data?.[1] ?? []).some((v: number) => v > 0), undefined, { timeout: 20_000 })
    expect(await chartedInvocations(watched)).to.equal(4)

    // a placement's details: its attempts, and where the time went when the record says
    await page.click('#placements > tr[data-id] button')
    await page.waitForSelector('#placements tr.details', { timeout: 10_000 })
    expect(await page.textContent('#placements tr.details')).to.include('attempts')

    await page.screenshot({ path: join(shot!.path, 'dashboard.png'), fullPage: true })
    await copyFile(join(shot!.path, 'dashboard.png'), SHARED_SCREENSHOT).catch(() => {})
    expect(watched.problems).to.deep.equal([])
    await page.close()
  })

  it('the chart grows after more invocations', async function () {
    const watched = await openPage(browser!, `${nodes[0]!.url}/`)
    await watched.page.waitForFunction(() => (window as any).faasmeshDashboard?.charts?.rate?.data?.[1]?.length > 0, undefined, { timeout: 20_000 })
    const before = await chartedInvocations(watched)
    for (let i = 0; i < 3; i++) await invoke(nodes[0]!, 'hello', `more ${i}`)
    await waitFor(async () => await chartedInvocations(watched) >= before + 3, 20_000, 'the chart to show 3 more invocations')
    expect(watched.problems).to.deep.equal([])
    await watched.page.close()
  })
})
