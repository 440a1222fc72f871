/**
 * A real headless Chromium for the dashboard's tests: Debian's `/usr/bin/chromium` (installed by
 * `.ci/run` as root), driven by playwright-core. `launchBrowser()` is undefined when it is
 * absent, and the caller skips with `SKIP_NO_CHROMIUM`. Every page opened through `openPage`
 * records its console errors, page errors and failed requests, for a test to assert none.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export const SKIP_NO_CHROMIUM = `skipped: no ${CHROMIUM} (Debian's chromium package; .ci/run installs it as root)`

/** Loopback only: nothing in the browser reaches beyond the test's daemons. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

export async function launchBrowser (): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60_000 })
}

export interface WatchedPage {
  page: Page
  /** Console errors, uncaught page errors and failed or 4xx/5xx requests, as text. */
  problems: string[]
}

/** Opens `url` in a new page of the browser, or of a context (with its own routes). */
export async function openPage (browser: Browser | BrowserContext, url: string, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const page = await browser.newPage()
  await page.setViewportSize(viewport)
  page.setDefaultTimeout(20_000)
  const problems: string[] = []
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`) })
  page.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
  page.on('requestfailed', (req) => { problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`) })
  page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`) })
  await page.goto(url, { waitUntil: 'load' })
  return { page, problems }
}
