/**
 * The dashboard's files (docs/dashboard.md): `GET /` serves `dashboard/index.html`, and
 * `GET /dashboard/<name>` the few assets it loads, by a fixed list of names, so no path a
 * client sends ever reaches the file system. Plain files, no build step: the page's script is a
 * browser module, the charts are uPlot's own build from node_modules (never a CDN). Each file is
 * read once and kept; answers carry an ETag and `no-cache`, so a browser revalidates and gets
 * a 304 until the daemon is upgraded.
 *
 * The files live next to this module's source (`daemon/src/gateway/dashboard/`); `build:ts`
 * copies them beside the compiled module too, for an install that ships `dist/` alone (the
 * Docker image). A checkout serves its sources, so an edited page shows without a copy.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { RouteNotFoundError } from '../errors.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

interface Asset {
  /** A file of the dashboard's own, or a module's file resolved by Node. */
  file: { own: string } | { module: string }
  type: string
}

const PAGE = 'index.html'

/** Every file the dashboard may serve, by the name in its URL. Nothing else is ever read. */
export const DASHBOARD_ASSETS: Readonly<Record<string, Asset>> = {
  [PAGE]: { file: { own: 'index.html' }, type: 'text/html; charset=utf-8' },
  'dashboard.js': { file: { own: 'dashboard.js' }, type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: { own: 'dashboard.css' }, type: 'text/css; charset=utf-8' },
  'uplot.js': { file: { module: 'uplot/dist/uPlot.iife.min.js' }, type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: { module: 'uplot/dist/uPlot.min.css' }, type: 'text/css; charset=utf-8' }
}

/**
 * The page's policy: its own files and API only, no inline script or style attribute, and no
 * other site may frame it (its invoke form passes the cross-site check as same origin: framed,
 * a click on it could be stolen). uPlot and the page set styles through the CSSOM, which
 * `style-src 'self'` allows.
 */
export const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** The source folder when this is a checkout, else the copy `build:ts` puts beside the compiled module. */
const OWN_DIR: string = (() => {
  const sources = fileURLToPath(new URL('../../../../daemon/src/gateway/dashboard/', import.meta.url))
  return existsSync(sources + PAGE) ? sources : fileURLToPath(new URL('./dashboard/', import.meta.url))
})()

const require = createRequire(import.meta.url)

interface Loaded { bytes: Buffer, etag: string }

const loaded = new Map<string, Promise<Loaded>>()

async function load (asset: Asset): Promise<Loaded> {
  const path = 'own' in asset.file ? OWN_DIR + asset.file.own : require.resolve(asset.file.module)
  const bytes = await readFile(path)
  return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"` }
}

/** Answers `GET /` (`name` index.html) and `GET /dashboard/<name>`; an unknown name is RouteNotFoundError. */
export async function serveDashboardFile (req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const asset = Object.hasOwn(DASHBOARD_ASSETS, name) ? DASHBOARD_ASSETS[name] : undefined
  if (asset == null) throw new RouteNotFoundError(`no dashboard file "${name.slice(0, 80)}"; there are ${Object.keys(DASHBOARD_ASSETS).join(', ')}`)
  let file = loaded.get(name)
  if (file == null) {
    file = load(asset)
    loaded.set(name, file)
    // a file missing now may be there on the next request (a build in progress): not kept
    file.catch(() => { loaded.delete(name) })
  }
  const { bytes, etag } = await file
  const headers: Record<string, string> = {
    'cache-control': 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
    ...(name === PAGE ? { 'content-security-policy': DASHBOARD_CSP, 'x-frame-options': 'DENY' } : {})
  }
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  res.writeHead(200, { ...headers, 'content-type': asset.type, 'content-length': bytes.byteLength })
  res.end(bytes)
}

export const DASHBOARD_PAGE = PAGE
