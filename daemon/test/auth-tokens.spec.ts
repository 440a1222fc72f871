/**
 * Gateway tokens (issue 15, DESIGN.md section 12): the store in the data dir (hashes only, mode
 * 0600, atomic, seen at once by a running gateway) and the check at a gateway listening beyond
 * loopback (in-process, on 0.0.0.0; requests go to 127.0.0.1).
 */
import crypto from 'node:crypto'
import { connect } from 'node:net'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { tokenStore, TOKENS_FILE, type TokenStore } from '../src/auth/index.js'
import { startStubGateway } from './gateway-stub.js'
import { tempDir } from './support/paths.js'
import { scopeOf, type Gateway, type GatewayInit } from '../src/gateway/index.js'
import { ROUTES } from '../src/gateway/routes.js'

/** `fm_<id>_<secret>` with the character at `index` of the secret replaced by another of the alphabet. */
function flip (token: string, index: number): string {
  // the secret starts after `fm_<16 hex>_` (it may hold `_` itself)
  const at = 'fm_'.length + 16 + 1 + index
  const c = token[at]!
  return token.slice(0, at) + (c === 'A' ? 'B' : 'A') + token.slice(at + 1)
}

async function errorOf (fn: () => unknown): Promise<any> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}

describe('gateway tokens: the store', function () {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let store: TokenStore

  beforeEach(async function () {
    dir = await tempDir('faasmesh-tokens-')
    store = tokenStore({ dataDir: dir.path })()
  })

  afterEach(async function () {
    await dir.cleanup()
  })

  it('creates, lists and revokes (by name and by id); names are unique; unknown ones are named errors', async function () {
    expect(store.count()).to.equal(0)
    expect(await store.list()).to.deep.equal([])
    const ci = await store.create({ scope: 'deploy', name: 'ci' })
    const anon = await store.create({ scope: 'invoke' })
    expect(ci.token).to.match(/^fm_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    expect(ci.token).to.include(`_${ci.info.id}_`)
    const listed = await store.list()
    expect(listed.map((t) => [t.id, t.name, t.scope])).to.deep.equal([[ci.info.id, 'ci', 'deploy'], [anon.info.id, '', 'invoke']])
    // what is shown of a token never includes its hash
    expect(listed.every((t) => !('sha256' in t))).to.equal(true)
    expect(store.count()).to.equal(2)
    expect((await errorOf(async () => store.create({ scope: 'admin', name: 'ci' }))).name).to.equal('InvalidParametersError')
    expect((await errorOf(async () => store.create({ scope: 'root' as any }))).name).to.equal('InvalidParametersError')
    expect((await store.revoke('ci')).id).to.equal(ci.info.id)
    expect((await store.revoke(anon.info.id)).scope).to.equal('invoke')
    expect((await errorOf(async () => store.revoke('ci'))).name).to.equal('TokenNotFoundError')
    expect(await store.list()).to.deep.equal([])
    expect(store.verify(ci.token)).to.equal(undefined)
  })

  it('writes tokens.json with mode 0600 from its creation and never the token text', async function () {
    // with no umask at all, the mode can only come from the store itself
    const umask = process.umask(0)
    let created
    try {
      created = await store.create({ scope: 'admin', name: 'ops' })
    } finally {
      process.umask(umask)
    }
    const file = join(dir.path, TOKENS_FILE)
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    const text = await readFile(file, 'utf8')
    const secret = created.token.slice('fm_'.length + 16 + 1)
    expect(text).not.to.include(created.token)
    expect(text).not.to.include(secret)
    expect(text).to.include(crypto.createHash('sha256').update(created.token).digest('hex'))
    expect(Object.keys(JSON.parse(text).tokens[0]).sort()).to.deep.equal(['created', 'id', 'name', 'scope', 'sha256'])
  })

  it('accepts the token and refuses garbage, a flipped character, another id and a revoked token', async function () {
    const { token, info } = await store.create({ scope: 'deploy', name: 'ci' })
    expect(store.verify(token)).to.deep.equal(info)
    const other = await store.create({ scope: 'invoke' })
    for (const index of [0, 21, 42]) expect(store.verify(flip(token, index)), `flipped at ${index}`).to.equal(undefined)
    // the right secret under another token's id, and the other way round
    expect(store.verify(token.replace(info.id, other.info.id))).to.equal(undefined)
    for (const junk of ['', 'fm_', 'Bearer', token.slice(0, -1), `${token}A`, token.toUpperCase(), 'x'.repeat(10_000), `fm_${'g'.repeat(16)}_${'A'.repeat(43)}`]) {
      expect(store.verify(junk), junk.slice(0, 40)).to.equal(undefined)
    }
    await store.revoke('ci')
    expect(store.verify(token)).to.equal(undefined)
  })

  it('compares hashes with crypto.timingSafeEqual, for a wrong secret and for an unknown id alike', async function () {
    const { token, info } = await store.create({ scope: 'deploy' })
    const original = crypto.timingSafeEqual
    const calls: Array<{ lengths: number[], result: boolean }> = []
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      const result = original(a, b)
      calls.push({ lengths: [a.byteLength, b.byteLength], result })
      return result
    }) as typeof crypto.timingSafeEqual
    try {
      // same length, same id, a different secret: equal-length hashes that differ
      expect(store.verify(flip(token, 10))).to.equal(undefined)
      // an id the store does not hold still costs one comparison
      expect(store.verify(token.replace(info.id, '0123456789abcdef'))).to.equal(undefined)
      expect(store.verify(token)?.id).to.equal(info.id)
    } finally {
      crypto.timingSafeEqual = original
    }
    expect(calls).to.deep.equal([
      { lengths: [32, 32], result: false },
      { lengths: [32, 32], result: false },
      { lengths: [32, 32], result: true }
    ])
  })

  it('sees tokens created and revoked by another process at once (the file changed), with one stat per check', async function () {
    // the CLI is another store on the same data dir
    const cli = tokenStore({ dataDir: dir.path })()
    expect(store.count()).to.equal(0)
    const { token } = await cli.create({ scope: 'deploy', name: 'late' })
    expect(store.verify(token)?.name).to.equal('late')
    await cli.revoke('late')
    expect(store.verify(token)).to.equal(undefined)
    // a file removed: no tokens at all
    const again = await cli.create({ scope: 'admin' })
    expect(store.verify(again.token)?.scope).to.equal('admin')
    await writeFile(join(dir.path, TOKENS_FILE), JSON.stringify({ version: 1, tokens: [] }))
    expect(store.verify(again.token)).to.equal(undefined)
  })

  it('never loses a token when two processes create at once (the writers take turns)', async function () {
    const other = tokenStore({ dataDir: dir.path })()
    const created = await Promise.all(Array.from({ length: 12 }, async (_, i) => (i % 2 === 0 ? store : other).create({ scope: 'invoke', name: `t${i}` })))
    const listed = await store.list()
    expect(listed.map((t) => t.name).sort()).to.deep.equal(created.map((c) => c.info.name).sort())
    for (const c of created) expect(store.verify(c.token)?.id).to.equal(c.info.id)
  })

  it('refuses a corrupt tokens file with TokenFileError naming the file and the fault, and recovers when it is fixed', async function () {
    const { token } = await store.create({ scope: 'deploy' })
    const file = join(dir.path, TOKENS_FILE)
    const good = await readFile(file, 'utf8')
    const record = JSON.parse(good).tokens[0]
    const cases: Array<[string, RegExp]> = [
      ['{"version": 1, "tokens": [', /not JSON/],
      ['[]', /expected an object/],
      [JSON.stringify({ version: 2, tokens: [] }), /unknown version 2/],
      [JSON.stringify({ version: 1, tokens: {} }), /"tokens" is not a list/],
      [JSON.stringify({ version: 1, tokens: [{ ...record, scope: 'root' }] }), /tokens\[0\]\.scope/],
      [JSON.stringify({ version: 1, tokens: [{ ...record, sha256: 'abc' }] }), /tokens\[0\]\.sha256/],
      [JSON.stringify({ version: 1, tokens: [record, record] }), /appears twice/]
    ]
    for (const [text, reason] of cases) {
      await writeFile(file, text)
      const err = await errorOf(() => store.count())
      expect(err.name, text).to.equal('TokenFileError')
      expect(err.message, text).to.include(file).and.match(reason)
      expect((await errorOf(() => store.verify(token))).name).to.equal('TokenFileError')
      expect((await errorOf(async () => store.list())).name).to.equal('TokenFileError')
      // never rewritten over: a writer refuses too
      expect((await errorOf(async () => store.create({ scope: 'invoke' }))).name).to.equal('TokenFileError')
    }
    await writeFile(file, good)
    expect(store.verify(token)?.scope).to.equal('deploy')
  })
})

describe('gateway tokens: route scopes', function () {
  it('deploy routes need deploy, invoke routes invoke, testbed control admin; no mutating route is open', function () {
    const scopes = Object.fromEntries(ROUTES.map((r) => [r.name, scopeOf(r) ?? 'open']))
    expect(scopes).to.include({ deploy: 'deploy', 'chain-deploy': 'deploy', invoke: 'invoke', 'state-delete': 'invoke', 'testbed-links-set': 'admin', dashboard: 'open', health: 'open', metrics: 'open', functions: 'open' })
    for (const route of ROUTES.filter((r) => r.method !== 'GET')) expect(scopeOf(route), route.name).to.not.equal(undefined)
    // a route added without a scope: open when it reads, admin when it changes anything
    expect(scopeOf({ method: 'GET' })).to.equal(undefined)
    expect(scopeOf({ method: 'POST' })).to.equal('admin')
    expect(scopeOf({ method: 'DELETE' })).to.equal('admin')
  })
})

describe('gateway tokens: at a gateway on 0.0.0.0 (in-process)', function () {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let store: TokenStore
  const gateways: Gateway[] = []
  const deployed: string[] = []

  const start = async (init: GatewayInit = {}, tokens: TokenStore | undefined = store): Promise<string> => {
    const gw = await startStubGateway({ host: '0.0.0.0', ...init }, { tokens, maxModuleBytes: 1 << 20, onDeploy: (name) => { deployed.push(name) } })
    gateways.push(gw)
    // tests talk to loopback only
    return `http://127.0.0.1:${new URL(gw.url).port}`
  }

  const send = async (url: string, method: string, path: string, token?: string, body: string = 'x'): Promise<{ status: number, name?: string, message?: string, headers: Headers }> => {
    const res = await fetch(`${url}${path}`, { method, body: method === 'GET' ? undefined : body, headers: token != null ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) })
    const text = await res.text()
    let error: { name?: string, message?: string } = {}
    try { error = JSON.parse(text).error ?? {} } catch {}
    return { status: res.status, name: error.name, message: error.message, headers: res.headers }
  }

  beforeEach(async function () {
    dir = await tempDir('faasmesh-gw-tokens-')
    store = tokenStore({ dataDir: dir.path })()
    deployed.length = 0
  })

  afterEach(async function () {
    await Promise.all(gateways.splice(0).map(async (gw) => { await gw.stop() }))
    await dir.cleanup()
  })

  it('refuses to start with no token, naming the command that creates one; api.insecure starts it open until a token exists', async function () {
    const err = await errorOf(async () => start())
    expect(err.name).to.equal('NoGatewayTokenError')
    expect(err.message).to.include(`faasmesh token create --scope admin --data-dir ${dir.path}`)
    const url = await start({ insecure: true })
    expect((await send(url, 'POST', '/v1/functions/open')).status).to.equal(201)
    // the first token closes the routes that need one, at once
    await store.create({ scope: 'deploy' })
    expect((await send(url, 'POST', '/v1/functions/closed')).status).to.equal(401)
    expect(deployed).to.deep.equal(['open'])
  })

  it('deploy: none, garbage, flipped or revoked 401 (with www-authenticate), invoke-scoped 403, deploy and admin 201', async function () {
    const deploy = await store.create({ scope: 'deploy', name: 'ci' })
    const invoke = await store.create({ scope: 'invoke' })
    const admin = await store.create({ scope: 'admin' })
    const url = await start()
    const none = await send(url, 'POST', '/v1/functions/f')
    expect([none.status, none.name]).to.deep.equal([401, 'UnauthorizedError'])
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer/)
    expect(none.message).to.include('faasmesh token create --scope deploy')
    for (const bad of ['garbage', flip(deploy.token, 5), deploy.token.slice(0, -1)]) {
      expect((await send(url, 'POST', '/v1/functions/f', bad)).name, bad).to.equal('UnauthorizedError')
    }
    for (const header of [`Basic ${deploy.token}`, deploy.token, `Bearer ${'a'.repeat(300)}`]) {
      const res = await fetch(`${url}/v1/functions/f`, { method: 'POST', body: 'x', headers: { authorization: header } })
      expect(res.status, header.slice(0, 20)).to.equal(401)
    }
    const narrow = await send(url, 'POST', '/v1/functions/f', invoke.token)
    expect([narrow.status, narrow.name]).to.deep.equal([403, 'ForbiddenError'])
    expect(narrow.message).to.include('has scope invoke')
    expect(deployed).to.deep.equal([])
    expect((await send(url, 'POST', '/v1/functions/f', deploy.token)).status).to.equal(201)
    expect((await send(url, 'POST', '/v1/functions/g', admin.token)).status).to.equal(201)
    expect((await send(url, 'POST', '/v1/chains/c', invoke.token)).status).to.equal(403)
    // a running gateway refuses a revoked token on the very next request
    await tokenStore({ dataDir: dir.path })().revoke('ci')
    expect((await send(url, 'POST', '/v1/functions/h', deploy.token)).status).to.equal(401)
    expect(deployed).to.deep.equal(['f', 'g'])
  })

  it('invoke is open by default and needs a token when api.requireTokenFor includes invoke; read-only routes stay open', async function () {
    const invoke = await store.create({ scope: 'invoke' })
    const deploy = await store.create({ scope: 'deploy' })
    const open = await start()
    expect((await send(open, 'POST', '/v1/invoke/f')).status).to.equal(200)
    const closed = await start({ requireTokenFor: ['invoke', 'deploy', 'admin'] })
    expect((await send(closed, 'POST', '/v1/invoke/f')).status).to.equal(401)
    expect((await send(closed, 'POST', '/v1/invoke/f', 'fm_nonsense')).status).to.equal(401)
    expect((await send(closed, 'POST', '/v1/invoke/f', invoke.token)).status).to.equal(200)
    // deploy includes invoke
    expect((await send(closed, 'POST', '/v1/invoke/f', deploy.token)).status).to.equal(200)
    // and everything the dashboard reads: it works without a token, which only its invoke form sends
    for (const path of ['/', '/v1/health', '/v1/functions', '/v1/peers', '/v1/placements', '/metrics', '/v1/node', '/dashboard/dashboard.js', '/dashboard/uplot.js']) {
      expect((await send(closed, 'GET', path)).status, path).to.equal(200)
    }
  })

  it('the dashboard, open itself, has a token field whose value its invoke form sends as a bearer token', async function () {
    await store.create({ scope: 'invoke' })
    const url = await start({ requireTokenFor: ['invoke', 'deploy', 'admin'] })
    const page = await (await fetch(`${url}/`)).text()
    const script = await (await fetch(`${url}/dashboard/dashboard.js`)).text()
    expect(page).to.match(/<input id="token" type="password" autocomplete="off"/)
    expect(script).to.include("headers: token ? { authorization: 'Bearer ' + token } : {}")
    // kept in the page: nothing writes it to storage
    expect(page + script).not.to.match(/localStorage|sessionStorage|document\.cookie/)
  })

  it('admin routes need admin: testbed control with a deploy token is 403, with admin it passes the door', async function () {
    const deploy = await store.create({ scope: 'deploy' })
    const admin = await store.create({ scope: 'admin' })
    const url = await start()
    expect((await send(url, 'PUT', '/v1/testbed/links', undefined, '{}')).status).to.equal(401)
    expect((await send(url, 'PUT', '/v1/testbed/links', deploy.token, '{}')).status).to.equal(403)
    // the stub has no testbed control: past the token check, the route says so
    const passed = await send(url, 'PUT', '/v1/testbed/links', admin.token, '{}')
    expect([passed.status, passed.name]).to.deep.equal([404, 'RouteNotFoundError'])
  })

  it('answers 401 on the headers alone: a body that never comes is not waited for', async function () {
    await store.create({ scope: 'admin' })
    const url = new URL(await start({ discardTimeoutMs: 300, bodyIdleTimeoutMs: 20_000 }))
    const started = performance.now()
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), '127.0.0.1')
      let text = ''
      socket.setTimeout(10_000, () => { socket.destroy(); reject(new Error('no answer within 10 s')) })
      socket.on('data', (d) => { text += String(d) })
      socket.on('close', () => { resolve(text) })
      socket.on('error', reject)
      // promises a large body and sends none of it
      socket.write(`POST /v1/functions/f HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n`)
    })
    expect(head).to.match(/^HTTP\/1\.1 401/)
    expect(performance.now() - started).to.be.below(5_000)
    expect(deployed).to.deep.equal([])
  })

  it('a gateway on loopback stays open, tokens or not', async function () {
    await store.create({ scope: 'admin' })
    const gw = await startStubGateway({ host: '127.0.0.1' }, { tokens: store, onDeploy: (name) => { deployed.push(name) } })
    gateways.push(gw)
    expect((await send(gw.url, 'POST', '/v1/functions/local')).status).to.equal(201)
    expect(deployed).to.deep.equal(['local'])
  })
})
