/**
 * Cross-site requests (issue 11): a page the local user visits must not deploy, overwrite or
 * invoke through the gateway, neither by a plain cross-site POST nor by DNS rebinding, while the
 * CLI, scripts and the gateway's own dashboard keep working. Also the warning printed when the
 * gateway listens beyond loopback.
 */
import { request as httpRequest } from 'node:http'
import { expect } from 'chai'
import { loadConfig, createDaemon, type Daemon } from '../src/index.js'
import { crossSiteGuard } from '../src/gateway/cross-site.js'
import { exposureWarning, isLoopbackHost, type Gateway } from '../src/gateway/index.js'
import { startStubGateway } from './gateway-stub.js'
import { LOOPBACK_FLAGS } from './support/loopback.js'
import { tempDir, wasm } from './support/paths.js'
import { killAll, startDaemon } from './support/processes.js'
import { waitFor } from './support/wait.js'

/** What ForbiddenError says, or 'ok' when the guard lets the request through. */
function verdict (headers: Record<string, string>, init = { listenHost: '127.0.0.1', allowedHosts: [] as string[] }): string {
  try {
    crossSiteGuard(init)({ headers })
    return 'ok'
  } catch (err: any) {
    expect(err.name).to.equal('ForbiddenError')
    return err.message
  }
}

/** A request with any `Host` (fetch will not set one), answered with status and JSON body. */
async function rawRequest (url: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number, json: any }> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { 'content-type': 'text/plain', ...headers }, timeout: 10_000 }, (res) => {
      let text = ''
      res.on('data', (d) => { text += String(d) })
      res.on('end', () => {
        let json: any
        try { json = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, json: json ?? text })
      })
    })
    req.on('timeout', () => { req.destroy(new Error('no answer within 10 s')) })
    req.on('error', reject)
    req.end(body)
  })
}

describe('gateway: cross-site requests', function () {
  describe('the guard, header by header', function () {
    const golden: Array<[string, Record<string, string>, string]> = [
      ['curl, the CLI, a script: no Origin', { host: '127.0.0.1:8787' }, 'ok'],
      ['the dashboard, same origin', { host: '127.0.0.1:8787', origin: 'http://127.0.0.1:8787', 'sec-fetch-site': 'same-origin' }, 'ok'],
      ['the dashboard opened as localhost', { host: 'localhost:8787', origin: 'http://localhost:8787' }, 'ok'],
      ['the dashboard over IPv6', { host: '[::1]:8787', origin: 'http://[::1]:8787' }, 'ok'],
      ['an address of another interface, or a port forward', { host: '192.0.2.7:18787', origin: 'http://192.0.2.7:18787' }, 'ok'],
      ['a URL typed by the user', { host: '127.0.0.1:8787', 'sec-fetch-site': 'none' }, 'ok'],
      ['a page of another site', { host: '127.0.0.1:8787', origin: 'http://evil.example' },
        'cross-site request refused: Origin "http://evil.example" is not this gateway (http://127.0.0.1:8787)'],
      ['a page on another port of this host', { host: '127.0.0.1:8787', origin: 'http://127.0.0.1:3000' },
        'cross-site request refused: Origin "http://127.0.0.1:3000" is not this gateway (http://127.0.0.1:8787)'],
      ['a sandboxed frame or a file: page', { host: '127.0.0.1:8787', origin: 'null' },
        'cross-site request refused: Origin "null" is not this gateway (http://127.0.0.1:8787)'],
      ['DNS rebinding: same origin in the browser, the attacker\'s name in Host', { host: 'evil.example:8787', origin: 'http://evil.example:8787', 'sec-fetch-site': 'same-origin' },
        'request refused: Host "evil.example:8787" is not a name this gateway answers to (use its IP address or localhost, or add the name to api.allowedHosts)'],
      ['DNS rebinding without Origin', { host: 'evil.example:8787' },
        'request refused: Host "evil.example:8787" is not a name this gateway answers to (use its IP address or localhost, or add the name to api.allowedHosts)'],
      ['no Host at all', {},
        'request refused: Host "" is not a name this gateway answers to (use its IP address or localhost, or add the name to api.allowedHosts)'],
      ['Sec-Fetch-Site: cross-site without Origin', { host: '127.0.0.1:8787', 'sec-fetch-site': 'cross-site' },
        'cross-site request refused: Sec-Fetch-Site is "cross-site"; this route accepts only same-origin requests'],
      ['Sec-Fetch-Site: same-site (another port of this host is same-site)', { host: '127.0.0.1:8787', 'sec-fetch-site': 'same-site' },
        'cross-site request refused: Sec-Fetch-Site is "same-site"; this route accepts only same-origin requests'],
      ['an Origin that is not a web origin', { host: '127.0.0.1:8787', origin: 'chrome-extension://abc' },
        'cross-site request refused: Origin "chrome-extension://abc" is not this gateway (http://127.0.0.1:8787)']
    ]
    for (const [what, headers, expected] of golden) {
      it(`${what} -> ${expected === 'ok' ? 'passes' : '403'}`, function () {
        expect(verdict(headers)).to.equal(expected)
      })
    }

    it('accepts the names in allowedHosts (any port, or the one given) and the listen host\'s name', function () {
      const init = { listenHost: 'node-1.lan', allowedHosts: ['faas.example.com', 'Proxy.Example:8443'] }
      expect(verdict({ host: 'faas.example.com', origin: 'https://faas.example.com' }, init)).to.equal('ok')
      expect(verdict({ host: 'faas.example.com:9000' }, init)).to.equal('ok')
      expect(verdict({ host: 'proxy.example:8443' }, init)).to.equal('ok')
      expect(verdict({ host: 'node-1.lan:8787' }, init)).to.equal('ok')
      expect(verdict({ host: 'proxy.example:8787' }, init)).to.match(/^request refused: Host/)
      expect(verdict({ host: 'faas.example.com.evil.example' }, init)).to.match(/^request refused: Host/)
    })
  })

  describe('against a daemon', function () {
    let dir: { path: string, cleanup(): Promise<void> }
    let daemon: Daemon
    let api: string
    let port: string

    async function functions (): Promise<unknown> {
      return (await (await fetch(`${api}/v1/functions`)).json()).functions
    }

    before(async function () {
      dir = await tempDir()
      daemon = await createDaemon({ config: loadConfig({ env: {}, flags: { dataDir: dir.path, ...LOOPBACK_FLAGS, 'testbed.control': true } }) })
      await daemon.start()
      api = daemon.apiUrl
      port = new URL(api).port
      expect((await fetch(`${api}/v1/functions/hello`, { method: 'POST', body: wasm('hello') as Uint8Array<ArrayBuffer> })).status).to.equal(201)
    })

    after(async function () {
      await daemon?.stop()
      await dir?.cleanup()
    })

    it('a cross-site text/plain POST cannot deploy a new function or overwrite one: 403 ForbiddenError', async function () {
      const before = await functions()
      for (const name of ['planted', 'hello']) {
        const res = await rawRequest(`${api}/v1/functions/${name}`, 'POST', { origin: 'http://evil.example', host: `127.0.0.1:${port}` }, 'not wasm, and never read')
        expect(res.status).to.equal(403)
        expect(res.json.error.name).to.equal('ForbiddenError')
      }
      expect(await functions()).to.deep.equal(before)
    })

    it('a cross-site POST cannot invoke, nor a cross-site PUT drive the testbed: 403 ForbiddenError', async function () {
      const invoke = await rawRequest(`${api}/v1/invoke/hello`, 'POST', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, 'world')
      expect(invoke.status).to.equal(403)
      expect(invoke.json.error.name).to.equal('ForbiddenError')
      const links = await rawRequest(`${api}/v1/testbed/links`, 'PUT', { origin: 'http://evil.example' }, '{"rules":[],"blocked":[]}')
      expect(links.status).to.equal(403)
    })

    it('DNS rebinding (the attacker\'s name in Host, same origin as far as the browser knows) is refused', async function () {
      const res = await rawRequest(`${api}/v1/functions/planted`, 'POST', { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'sec-fetch-site': 'same-origin' }, 'x')
      expect(res.status).to.equal(403)
      expect(res.json.error.name).to.equal('ForbiddenError')
      expect(res.json.error.message).to.include('Host "evil.example:')
    })

    it('the dashboard\'s own invoke (same origin) and the CLI\'s (no Origin) are served', async function () {
      const dashboard = await rawRequest(`${api}/v1/invoke/hello`, 'POST', { origin: api, 'sec-fetch-site': 'same-origin' }, 'world')
      expect(dashboard).to.deep.equal({ status: 200, json: 'Hello, world!' })
      const viaLocalhost = await rawRequest(`${api}/v1/invoke/hello`, 'POST', { host: `localhost:${port}`, origin: `http://localhost:${port}` }, 'you')
      expect(viaLocalhost.status).to.equal(200)
      const cli = await fetch(`${api}/v1/invoke/hello`, { method: 'POST', body: 'cli' })
      expect(await cli.text()).to.equal('Hello, cli!')
    })

    it('GET routes stay open to any page (the browser keeps their answers from it)', async function () {
      const res = await rawRequest(`${api}/v1/health`, 'GET', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })
      expect(res.status).to.equal(200)
      expect(res.json.ok).to.equal(true)
    })

    it('the dashboard page may not be framed by another site', async function () {
      const res = await fetch(`${api}/`)
      expect(res.headers.get('content-security-policy')).to.include("frame-ancestors 'none'")
      expect(res.headers.get('x-frame-options')).to.equal('DENY')
    })
  })

  describe('api.allowedHosts', function () {
    let gw: Gateway

    before(async function () {
      gw = await startStubGateway({ allowedHosts: ['faas.example.com'] })
    })

    after(async function () {
      await gw?.stop()
    })

    it('a name in allowedHosts passes the Host check; another name does not', async function () {
      const allowed = await rawRequest(`${gw.url}/v1/invoke/echo`, 'POST', { host: 'faas.example.com', origin: 'https://faas.example.com' }, 'hi')
      expect(allowed.status).to.equal(200)
      const other = await rawRequest(`${gw.url}/v1/invoke/echo`, 'POST', { host: 'faas.example.org' }, 'hi')
      expect(other.status).to.equal(403)
    })

    it('is read from the config, lower-cased, and checked', function () {
      expect(loadConfig({ env: { FAASMESH_API_ALLOWED_HOSTS: 'faas.example.com, Proxy.Example:8443' }, home: '/h' }).api.allowedHosts).to.deep.equal(['faas.example.com', 'proxy.example:8443'])
      expect(loadConfig({ env: {}, home: '/h' }).api.allowedHosts).to.deep.equal([])
      expect(() => loadConfig({ env: { FAASMESH_API_ALLOWED_HOSTS: 'http://faas.example.com/' }, home: '/h' })).to.throw(
        'api.allowedHosts: "http://faas.example.com/" is not a host name or host:port such as faas.example.com or faas.example.com:8787 (from FAASMESH_API_ALLOWED_HOSTS)')
    })
  })

  describe('listening beyond loopback', function () {
    let dir: { path: string, cleanup(): Promise<void> }

    before(async function () {
      dir = await tempDir()
    })

    after(async function () {
      killAll()
      await dir?.cleanup()
    })

    it('loopback hosts are recognised; every other host earns a warning naming the risk', function () {
      for (const host of ['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost', 'LOCALHOST.', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).to.equal(true)
      for (const host of ['0.0.0.0', '::', '192.168.1.5', 'node-1.lan', '::ffff:10.0.0.1']) expect(isLoopbackHost(host), host).to.equal(false)
      expect(exposureWarning('127.0.0.1', 8787)).to.equal(undefined)
      expect(exposureWarning('::', 8787)).to.match(/^warning: the HTTP gateway listens on \[::\]:8787, beyond loopback: anyone who can reach that port can deploy, overwrite and invoke functions/)
    })

    it('a daemon on 0.0.0.0 with api.insecure and no token prints one warning line, and still serves requests to 127.0.0.1', async function () {
      this.timeout(60_000)
      const node = await startDaemon(dir.path, ['--api-listen', '0.0.0.0:0'], { FAASMESH_API_INSECURE: 'true' })
      try {
        const port = new URL(node.url).port
        // stderr, where the warning goes, may trail the banner on stdout
        const warnings = (): string[] => node.output().split('\n').filter((line) => line.startsWith('warning:'))
        await waitFor(() => warnings().length > 0, 5000, 'the warning')
        expect(warnings()).to.deep.equal([`warning: the HTTP gateway listens on 0.0.0.0:${port}, beyond loopback: anyone who can reach that port can deploy, overwrite and invoke functions on this node (api.insecure is set and the node has no gateway token); create one with \`faasmesh token create --scope admin\` to close its routes, or bind 127.0.0.1 or firewall the port`])
        const local = `http://127.0.0.1:${port}`
        expect((await fetch(`${local}/v1/functions/hello`, { method: 'POST', body: wasm('hello') as Uint8Array<ArrayBuffer> })).status).to.equal(201)
        expect(await (await fetch(`${local}/v1/invoke/hello`, { method: 'POST', body: 'mesh' })).text()).to.equal('Hello, mesh!')
      } finally {
        await node.stop()
      }
    })

    it('a daemon on loopback prints no warning', async function () {
      this.timeout(60_000)
      const node = await startDaemon(dir.path)
      try {
        // by the time it answers, anything it printed before its banner has arrived
        await fetch(`${node.url}/v1/health`)
        expect(node.output()).not.to.include('warning:')
      } finally {
        await node.stop()
      }
    })
  })
})
