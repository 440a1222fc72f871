/**
 * The dashboard's files and JSON routes at the HTTP layer (daemon/src/gateway/dashboard.ts):
 * the page and its assets by a fixed list of names, with content types, ETags and the page's
 * policy; any other name, and every way of spelling a path out of the folder, is a named 404.
 */
import { request } from 'node:http'
import { expect } from 'chai'
import { DASHBOARD_ASSETS } from '../src/gateway/dashboard.js'
import { invocationStats } from '../src/stats/index.js'
import { startStubGateway } from './gateway-stub.js'
import type { Gateway } from '../src/gateway/index.js'

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
async function rawGet (base: string, path: string): Promise<{ status: number, json: any }> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET', timeout: 10_000 }, (res) => {
      let text = ''
      res.on('data', (d) => { text += String(d) })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }) })
    })
    req.on('timeout', () => { req.destroy(new Error('no answer in 10 s')) })
    req.on('error', reject)
    req.end()
  })
}

describe('dashboard files and routes', function () {
  let gw: Gateway
  let bare: Gateway

  before(async function () {
    const stats = invocationStats({ windowSeconds: 10 })({})
    stats.record({ cid: 'bafkreistub', name: 'hello', outcome: 'ok', totalMs: 4 })
    gw = await startStubGateway({}, { stats })
    bare = await startStubGateway({})
  })

  after(async function () {
    await gw?.stop()
    await bare?.stop()
  })

  it('GET / is the page, under a policy that allows only its own files and no framing', async function () {
    const res = await fetch(`${gw.url}/`)
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).to.include("default-src 'self'").and.include("script-src 'self'").and.include("frame-ancestors 'none'")
    expect(res.headers.get('x-frame-options')).to.equal('DENY')
    expect(res.headers.get('cache-control')).to.equal('no-cache')
    const page = await res.text()
    for (const asset of ['uplot.js', 'uplot.css', 'dashboard.js', 'dashboard.css']) expect(page).to.include(`/dashboard/${asset}`)
    // nothing from another site: no CDN
    expect(page).to.not.match(/(src|href)="(https?:)?\/\//)
  })

  it('serves each listed asset with its content type, and 304 for a copy the browser holds', async function () {
    const types: Record<string, RegExp> = { js: /^text\/javascript/, css: /^text\/css/, html: /^text\/html/ }
    for (const name of Object.keys(DASHBOARD_ASSETS)) {
      const res = await fetch(`${gw.url}/dashboard/${name}`)
      expect(res.status, name).to.equal(200)
      expect(res.headers.get('content-type'), name).to.match(types[name.split('.').pop()!]!)
      expect(res.headers.get('x-content-type-options'), name).to.equal('nosniff')
      const body = await res.text()
      expect(body.length, name).to.be.greaterThan(100)
      const again = await fetch(`${gw.url}/dashboard/${name}`, { headers: { 'if-none-match': res.headers.get('etag')! } })
      expect(again.status, name).to.equal(304)
    }
    // uPlot is the package's own build, from node_modules
    expect(await (await fetch(`${gw.url}/dashboard/uplot.js`)).text()).to.include('uPlot')
  })

  it('any other name, or a way out of the folder, is 404 RouteNotFoundError', async function () {
    for (const path of [
      '/dashboard/nope.js', '/dashboard/index.htm', '/dashboard/constructor', '/dashboard/__proto__', '/dashboard/toString',
      '/dashboard/..%2F..%2Fpackage.json', '/dashboard/%2e%2e%2f%2e%2e%2fpackage.json', '/dashboard/../../../package.json',
      '/dashboard/..%5Cpackage.json', '/dashboard/dashboard.js%00.html', '/dashboard/', '/dashboard/dashboard.js/..', '/dashboard//etc/passwd'
    ]) {
      const { status, json } = await rawGet(gw.url, path)
      expect([status, json.error?.name], path).to.deep.equal([404, 'RouteNotFoundError'])
    }
  })

  it('GET /v1/stats/series and /v1/stats/functions answer what the stats hold; a node without stats answers 404 by name', async function () {
    const series = await (await fetch(`${gw.url}/v1/stats/series`)).json()
    expect(series.intervalMs).to.equal(1000)
    expect(series.points).to.have.length(10)
    expect(series.points.at(-1)).to.deep.include({ count: 1, errors: 0, p50Ms: 4, p99Ms: 4 })
    const functions = await (await fetch(`${gw.url}/v1/stats/functions`)).json()
    expect(functions.functions).to.have.length(1)
    expect(functions.functions[0]).to.deep.include({ name: 'hello', cid: 'bafkreistub', invocations: 1, errors: 0, errorRate: 0 })
    for (const path of ['/v1/stats/series', '/v1/stats/functions']) {
      const { status, json } = await rawGet(bare.url, path)
      expect([status, json.error?.name], path).to.deep.equal([404, 'RouteNotFoundError'])
    }
    expect((await rawGet(gw.url, '/v1/stats/other')).status).to.equal(404)
  })

  it('GET /v1/node names the node even without its live part', async function () {
    const node = await (await fetch(`${bare.url}/v1/node`)).json()
    expect(node).to.deep.equal({ peerId: '12D3KooWLuFqyUFLH9seLmVVdMyqTJLaC9bu5yTi6Db61ktwD4C9', version: '0.0.0', addrs: [] })
  })
})
