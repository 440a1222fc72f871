/**
 * Gateway tokens end to end (issue 15, DESIGN.md section 12): real daemon processes whose gateway
 * listens on 0.0.0.0 (requests still go to 127.0.0.1: the tests talk to loopback only), tokens
 * made and revoked with the CLI while the daemon runs, the CLI sending them with `--token` and
 * `FAASMESH_TOKEN`, and, where `ip netns` works, a gateway on a network namespace's own address.
 */
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { LOOPBACK_ARGS } from './support/loopback.js'
import { netnsUnavailable } from './support/netns.js'
import { ROOT, tempDir, wasm } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess } from './support/processes.js'

const HELLO = join(ROOT, 'build', 'hello.wasm')
/** A daemon's arguments with the gateway on every interface (later flags win over LOOPBACK_ARGS'). */
const EXPOSED = ['--api-listen', '0.0.0.0:0']

/** The gateway of a daemon listening on 0.0.0.0, reached through loopback. */
const local = (node: DaemonProcess): string => `http://127.0.0.1:${new URL(node.url).port}`

interface Answer { status: number, name?: string, message?: string, text: string }

async function send (url: string, method: string, path: string, token?: string, body?: string | Uint8Array): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    body: body as BodyInit | undefined,
    headers: token != null ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(20_000)
  })
  const text = await res.text()
  let error: { name?: string, message?: string } = {}
  try { error = JSON.parse(text).error ?? {} } catch {}
  return { status: res.status, name: error.name, message: error.message, text }
}

/** `faasmesh token create` in a data dir: the token it prints, alone on standard output. */
async function createToken (dataDir: string, scope: string, name?: string): Promise<string> {
  const run = await runCli(['token', 'create', '--scope', scope, '--data-dir', dataDir, ...(name != null ? ['--name', name] : [])])
  expect(run.code, run.stderr).to.equal(0)
  expect(run.stderr).to.include('shown once')
  return run.stdout.trim()
}

describe('gateway tokens: daemons listening beyond loopback', function () {
  this.timeout(120_000)
  const dirs: Array<{ path: string, cleanup(): Promise<void> }> = []
  const dir = async (): Promise<string> => { const d = await tempDir('faasmesh-gw-auth-'); dirs.push(d); return d.path }

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('refuses to start with no token (exit 1, NoGatewayTokenError, the command to run); that command makes it start', async function () {
    const data = await dir()
    const refused = await runCli(['daemon', '--data-dir', data, ...LOOPBACK_ARGS, ...EXPOSED], { timeoutMs: 30_000 })
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.include('NoGatewayTokenError').and.include('beyond loopback')
    const command = /`(faasmesh token create [^`]+)`/.exec(refused.stderr)?.[1]
    expect(command).to.equal(`faasmesh token create --scope admin --data-dir ${data}`)
    // the command as printed, run as is
    const created = await runCli(command!.split(' ').slice(1))
    expect(created.code, created.stderr).to.equal(0)
    const node = await startDaemon(data, EXPOSED)
    try {
      expect((await send(local(node), 'POST', '/v1/functions/hello', undefined, wasm('hello'))).status).to.equal(401)
      expect((await send(local(node), 'POST', '/v1/functions/hello', created.stdout.trim(), wasm('hello'))).status).to.equal(201)
    } finally {
      await node.stop()
    }
  })

  it('starts with api.insecure and no token, open, and warns; the first token created closes deploy at once', async function () {
    const data = await dir()
    const node = await startDaemon(data, EXPOSED, { FAASMESH_API_INSECURE: 'true' })
    try {
      expect(node.output()).to.not.include('NoGatewayTokenError')
      expect((await send(local(node), 'POST', '/v1/functions/hello', undefined, wasm('hello'))).status).to.equal(201)
      expect(node.output()).to.match(/warning: the HTTP gateway listens on 0\.0\.0\.0:\d+, beyond loopback: anyone who can reach that port can deploy/)
      await createToken(data, 'deploy')
      expect((await send(local(node), 'POST', '/v1/functions/hello', undefined, wasm('hello'))).name).to.equal('UnauthorizedError')
    } finally {
      await node.stop()
    }
  })

  describe('with tokens, default api.requireTokenFor (deploy, admin)', function () {
    let data: string
    let node: DaemonProcess
    const tokens: Record<string, string> = {}

    before(async function () {
      data = await dir()
      tokens.invoke = await createToken(data, 'invoke', 'reader')
      tokens.deploy = await createToken(data, 'deploy', 'ci')
      tokens.admin = await createToken(data, 'admin', 'ops')
      node = await startDaemon(data, EXPOSED, { FAASMESH_TESTBED_CONTROL: 'true' })
    })

    after(async function () {
      await node?.stop()
    })

    it('prints a note, not a warning: deploy and admin need a token, invoke is open', async function () {
      await send(local(node), 'GET', '/v1/health')
      expect(node.output()).to.not.include('warning:')
      expect(node.output()).to.match(/note: the HTTP gateway listens on 0\.0\.0\.0:\d+, beyond loopback: deploy, admin routes need a gateway token; invoke routes are open/)
    })

    it('deploy: no token 401, a bad one 401, invoke-scoped 403, deploy-scoped 201', async function () {
      const none = await send(local(node), 'POST', '/v1/functions/hello', undefined, wasm('hello'))
      expect([none.status, none.name]).to.deep.equal([401, 'UnauthorizedError'])
      expect((await send(local(node), 'POST', '/v1/functions/hello', `${tokens.deploy!.slice(0, -1)}x`, wasm('hello'))).status).to.equal(401)
      expect((await send(local(node), 'POST', '/v1/functions/hello', 'fm_garbage', wasm('hello'))).status).to.equal(401)
      const narrow = await send(local(node), 'POST', '/v1/functions/hello', tokens.invoke, wasm('hello'))
      expect([narrow.status, narrow.name]).to.deep.equal([403, 'ForbiddenError'])
      expect((await send(local(node), 'POST', '/v1/functions/hello', tokens.deploy, wasm('hello'))).status).to.equal(201)
    })

    it('invoke and read-only routes are open', async function () {
      const invoked = await send(local(node), 'POST', '/v1/invoke/hello', undefined, 'mesh')
      expect([invoked.status, invoked.text]).to.deep.equal([200, 'Hello, mesh!'])
      for (const path of ['/', '/v1/health', '/v1/functions', '/v1/peers', '/metrics', '/v1/testbed/links']) {
        expect((await send(local(node), 'GET', path)).status, path).to.equal(200)
      }
    })

    it('testbed control (admin): deploy-scoped 403, admin 200', async function () {
      const state = (await send(local(node), 'GET', '/v1/testbed/links')).text
      expect((await send(local(node), 'PUT', '/v1/testbed/links', undefined, state)).status).to.equal(401)
      expect((await send(local(node), 'PUT', '/v1/testbed/links', tokens.deploy, state)).status).to.equal(403)
      expect((await send(local(node), 'PUT', '/v1/testbed/links', tokens.admin, state)).status).to.equal(200)
    })

    it('faasmesh deploy sends --token or FAASMESH_TOKEN; without one, or too narrow, it prints the named error and a hint', async function () {
      const api = ['--api', local(node)]
      const flagged = await runCli(['deploy', 'hello-flag', HELLO, ...api, '--token', tokens.deploy!])
      expect(flagged.code, flagged.stderr).to.equal(0)
      expect(flagged.stdout).to.match(/deployed hello-flag/)
      const env = await runCli(['deploy', 'hello-env', HELLO, ...api], { env: { FAASMESH_TOKEN: tokens.deploy! } })
      expect(env.code, env.stderr).to.equal(0)
      const none = await runCli(['deploy', 'hello-none', HELLO, ...api], { env: { FAASMESH_TOKEN: '' } })
      expect(none.code).to.equal(1)
      expect(none.stderr).to.match(/^error: UnauthorizedError: /).and.include('hint: pass a gateway token with --token or FAASMESH_TOKEN')
      const narrow = await runCli(['deploy', 'hello-narrow', HELLO, ...api, '--token', tokens.invoke!])
      expect(narrow.code).to.equal(1)
      expect(narrow.stderr).to.match(/^error: ForbiddenError: .*has scope invoke/).and.include('hint: use a token with a wider scope')
      const functions = await runCli(['functions', '--json', ...api])
      expect(JSON.parse(functions.stdout).flatMap((f: { names: string[] }) => f.names).sort()).to.include.members(['hello-env', 'hello-flag']).and.not.include('hello-none')
    })

    it('token list shows id, name, scope and created (never a token); a token revoked with the CLI is refused on the next request', async function () {
      const listed = await runCli(['token', 'list', '--data-dir', data])
      expect(listed.code, listed.stderr).to.equal(0)
      expect(listed.stdout).to.match(/^ID\s+NAME\s+SCOPE\s+CREATED\n/).and.match(/\n[0-9a-f]{16}\s+ci\s+deploy\s+\d{4}-/)
      for (const token of Object.values(tokens)) expect(listed.stdout).not.to.include(token)
      const json = JSON.parse((await runCli(['token', 'list', '--json', '--data-dir', data])).stdout) as Array<{ id: string, name: string, scope: string }>
      expect(json.map((t) => `${t.name}:${t.scope}`)).to.deep.equal(['reader:invoke', 'ci:deploy', 'ops:admin'])
      const revoked = await runCli(['token', 'revoke', 'ci', '--data-dir', data])
      expect(revoked.code, revoked.stderr).to.equal(0)
      expect(revoked.stdout).to.match(/^revoked deploy token [0-9a-f]{16} \(ci\)/)
      expect((await send(local(node), 'POST', '/v1/functions/hello', tokens.deploy, wasm('hello'))).status).to.equal(401)
      const again = await runCli(['token', 'revoke', 'ci', '--data-dir', data])
      expect([again.code, /TokenNotFoundError/.test(again.stderr)]).to.deep.equal([1, true])
    })
  })

  it('invoke needs a token when api.requireTokenFor includes invoke', async function () {
    const data = await dir()
    const deploy = await createToken(data, 'deploy')
    const invoke = await createToken(data, 'invoke')
    const node = await startDaemon(data, EXPOSED, { FAASMESH_API_REQUIRE_TOKEN_FOR: 'invoke,deploy,admin' })
    try {
      expect((await send(local(node), 'POST', '/v1/functions/hello', deploy, wasm('hello'))).status).to.equal(201)
      expect((await send(local(node), 'POST', '/v1/invoke/hello', undefined, 'mesh')).name).to.equal('UnauthorizedError')
      expect((await send(local(node), 'POST', '/v1/invoke/hello', invoke, 'mesh')).text).to.equal('Hello, mesh!')
      const cli = await runCli(['invoke', 'hello', '--data', 'cli', '--api', local(node)], { env: { FAASMESH_TOKEN: invoke } })
      expect([cli.code, cli.stdout]).to.deep.equal([0, 'Hello, cli!\n'])
    } finally {
      await node.stop()
    }
  })

  it('a loopback gateway stays open with tokens in the store; a corrupt tokens file stops the daemon with TokenFileError', async function () {
    const data = await dir()
    await createToken(data, 'admin')
    const node = await startDaemon(data)
    try {
      expect((await send(node.url, 'POST', '/v1/functions/hello', undefined, wasm('hello'))).status).to.equal(201)
    } finally {
      await node.stop()
    }
    await writeFile(join(data, 'tokens.json'), '{"version": 1, "tokens": [{"id": "nope"}]}')
    const refused = await runCli(['daemon', '--data-dir', data, ...LOOPBACK_ARGS], { timeoutMs: 30_000 })
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.include('TokenFileError').and.include(join(data, 'tokens.json')).and.include('tokens[0].id')
  })

  it('in a network namespace, a gateway on the namespace\'s own address: no token, no start; with one, deploy 401 then 201', async function () {
    const why = netnsUnavailable()
    if (why != null) {
      // eslint-disable-next-line no-console
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    const ns = `fm-auth-${process.pid}`
    const address = `10.213.${process.pid % 250}.2`
    const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }
    ip('netns', 'add', ns)
    try {
      // a veth pair inside the namespace: an address of its own that is not loopback, reachable only from inside
      ip('-n', ns, 'link', 'set', 'lo', 'up')
      ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1')
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'v0')
      ip('-n', ns, 'link', 'set', 'v0', 'up')
      ip('-n', ns, 'link', 'set', 'v1', 'up')
      const prefix = ['ip', 'netns', 'exec', ns]
      const data = await dir()
      const args = ['--api-listen', `${address}:8787`]
      const refused = await runCli(['daemon', '--data-dir', data, ...LOOPBACK_ARGS, ...args], { prefix, timeoutMs: 30_000 })
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.include('NoGatewayTokenError').and.include(`${address}:8787`)
      const token = await createToken(data, 'deploy')
      const node = await startDaemon(data, args, {}, { prefix })
      try {
        expect(node.url).to.equal(`http://${address}:8787`)
        const api = ['--api', node.url]
        const none = await runCli(['deploy', 'hello', HELLO, ...api], { prefix, env: { FAASMESH_TOKEN: '' } })
        expect([none.code, /UnauthorizedError/.test(none.stderr)]).to.deep.equal([1, true])
        const deployed = await runCli(['deploy', 'hello', HELLO, ...api, '--token', token], { prefix })
        expect(deployed.code, deployed.stderr).to.equal(0)
        const invoked = await runCli(['invoke', 'hello', '--data', 'ns', ...api], { prefix })
        expect([invoked.code, invoked.stdout]).to.deep.equal([0, 'Hello, ns!\n'])
      } finally {
        await node.stop()
      }
    } finally {
      try { ip('netns', 'del', ns) } catch {}
    }
  })
})
