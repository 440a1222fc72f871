/**
 * The CLI's side of stateful functions (DESIGN.md section 10), run in-process through
 * `main(argv, io)` against a stub gateway on 127.0.0.1 that checks the headers it receives and
 * answers from a script: state headers, the in-client state file, `state get|delete`, errors.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { ApiClient } from '../src/cli/client.js'
import { tempDir } from './support/paths.js'
import { cliInProcess } from './support/cli-run.js'
/** The CLI in-process, bounded at 10_000 ms. */
const cli = async (args: string[]): ReturnType<typeof cliInProcess> => cliInProcess(args, 10_000)


interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

interface Answer {
  status?: number
  headers?: Record<string, string>
  body?: string | object
  /** Send the head, then never finish the body. */
  stallBody?: boolean
  /** Never answer at all. */
  stall?: boolean
}

type Script = (req: Received) => Answer

/** A gateway stand-in: records every request, answers with `script`. */
class StubGateway {
  readonly received: Received[] = []
  script: Script = () => ({ status: 500, body: { error: { name: 'NoScriptError', message: 'the test set no script' } } })
  private readonly server: Server
  url = ''

  constructor () {
    // the client sends an in-client state of up to 64 KiB in a header: accept heads as large as the gateway does
    this.server = createServer({ maxHeaderSize: 96 * 1024 }, (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() }
        this.received.push(received)
        const answer = this.script(received)
        if (answer.stall === true) return
        const body = typeof answer.body === 'object' ? JSON.stringify(answer.body) : answer.body ?? ''
        res.writeHead(answer.status ?? 200, {
          'content-type': typeof answer.body === 'object' ? 'application/json' : 'application/octet-stream',
          ...(answer.stallBody === true ? { 'content-length': String(Buffer.byteLength(body) + 10) } : { 'content-length': String(Buffer.byteLength(body)) }),
          ...answer.headers
        })
        if (answer.stallBody === true) res.write(body)
        else res.end(body)
      })
    })
  }

  async start (): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    const address = this.server.address() as { port: number }
    this.url = `http://127.0.0.1:${address.port}`
  }

  async stop (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => { resolve() }))
  }
}


/** The stub's invoke answer: the headers a gateway sends with every invocation, plus `extra`. */
function invoked (output: string, extra: Record<string, string> = {}): Answer {
  return {
    body: output,
    headers: {
      'x-faasmesh-invocation-id': 'inv-1',
      'x-faasmesh-cid': 'bafkreistub',
      'x-faasmesh-executor': '12D3KooWStub',
      'x-faasmesh-policy': 'local',
      'x-faasmesh-duration-ms': '1.000',
      'x-faasmesh-placement-ms': '0.000',
      'x-faasmesh-cold': 'false',
      'x-faasmesh-fetched': 'false',
      'x-faasmesh-fuel': '10',
      'x-faasmesh-bids': '0/0',
      ...extra
    }
  }
}

const b64 = (text: string): string => Buffer.from(text).toString('base64')

/** A counter as an in-client state would hold it (opaque to the CLI): `{ n }`, base64. */
function counter (req: Received): Answer {
  const carried = req.headers['x-faasmesh-state'] as string | undefined
  const n = carried == null ? 0 : JSON.parse(Buffer.from(carried, 'base64').toString()).n as number
  return invoked(String(n + 1), {
    'x-faasmesh-state-model': 'in-client',
    'x-faasmesh-state-version': String(n + 1),
    'x-faasmesh-state-bytes': '0',
    'x-faasmesh-state': b64(JSON.stringify({ n: n + 1 }))
  })
}

describe('faasmesh CLI: stateful functions', function () {
  this.timeout(30_000)
  let stub: StubGateway
  let dir: { path: string, cleanup(): Promise<void> }

  before(async function () {
    dir = await tempDir('faasmesh-cli-state-')
  })

  beforeEach(async function () {
    stub = new StubGateway()
    await stub.start()
  })

  afterEach(async function () {
    await stub?.stop()
  })

  after(async function () {
    await dir?.cleanup()
  })

  describe('invoke --state-key', function () {
    it('sends the key and the model, and shows the state with -v and in --json', async function () {
      stub.script = () => invoked('ok', { 'x-faasmesh-state-model': 'in-edge', 'x-faasmesh-state-version': '7', 'x-faasmesh-state-bytes': '120' })
      const verbose = await cli(['invoke', 'counter', '--data', 'x', '--state-key', 'device-1:a.b_c', '--state-model', 'in-edge', '-v', '--api', stub.url])
      expect(verbose.code, verbose.stderr).to.equal(0)
      expect(verbose.stdout).to.equal('ok\n')
      expect(verbose.stderr).to.include('  state      device-1:a.b_c (in-edge), version 7, 120 B moved')
      const sent = stub.received[0]!
      expect(sent).to.include({ method: 'POST', url: '/v1/invoke/counter', body: 'x' })
      expect(sent.headers).to.include({ 'x-faasmesh-state-key': 'device-1:a.b_c', 'x-faasmesh-state-model': 'in-edge' })
      expect(sent.headers).to.not.have.property('x-faasmesh-state')

      const json = await cli(['invoke', 'counter', '--state-key', 'k', '--json', '--api', stub.url])
      expect(json.code, json.stderr).to.equal(0)
      expect(JSON.parse(json.stdout)).to.deep.include({ output: 'ok', state: { key: 'k', model: 'in-edge', version: 7, bytes: 120 } })
      // no --state-model: the node's default applies, so none is sent
      expect(stub.received[1]!.headers).to.include({ 'x-faasmesh-state-key': 'k' }).and.not.have.property('x-faasmesh-state-model')
    })

    it('sends no state headers and prints no state without --state-key', async function () {
      stub.script = () => invoked('plain')
      const run = await cli(['invoke', 'hello', '--json', '--api', stub.url])
      expect(run.code, run.stderr).to.equal(0)
      expect(JSON.parse(run.stdout)).to.not.have.property('state')
      expect(Object.keys(stub.received[0]!.headers).filter((h) => h.startsWith('x-faasmesh-state'))).to.deep.equal([])
    })

    it('reads a 60 KiB x-faasmesh-state answer header (above fetch\'s 16 KiB) and sends it back from the file', async function () {
      const big = b64('s'.repeat(45 * 1024))
      expect(big.length).to.equal(60 * 1024)
      const file = join(dir.path, 'big.state')
      stub.script = (req) => invoked('big', {
        'x-faasmesh-state-model': 'in-client',
        'x-faasmesh-state-version': req.headers['x-faasmesh-state'] == null ? '1' : '2',
        'x-faasmesh-state-bytes': '0',
        'x-faasmesh-state': big
      })
      const json = await cli(['invoke', 'blob', '--state-key', 'k', '--state-model', 'in-client', '--json', '--api', stub.url])
      expect(json.code, json.stderr).to.equal(0)
      const answer = JSON.parse(json.stdout)
      expect(answer.state.clientState).to.have.length(60 * 1024)
      expect(answer.state.clientState).to.equal(big)

      const first = await cli(['invoke', 'blob', '--state-key', 'k', '--state-file', file, '--api', stub.url])
      expect(first.code, first.stderr).to.equal(0)
      expect((await readFile(file, 'utf8')).trim()).to.equal(big)
      const second = await cli(['invoke', 'blob', '--state-key', 'k', '--state-file', file, '--api', stub.url])
      expect(second.code, second.stderr).to.equal(0)
      expect(stub.received[2]!.headers['x-faasmesh-state']).to.equal(big)
    })

    it('--state-file: a missing file is a new state; the new state is written back after each call (1, 2, 3)', async function () {
      const file = join(dir.path, 'me.state')
      stub.script = counter
      const outputs: string[] = []
      for (let i = 0; i < 3; i++) {
        const run = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '--api', stub.url])
        expect(run.code, run.stderr).to.equal(0)
        outputs.push(run.stdout)
      }
      expect(outputs).to.deep.equal(['1\n', '2\n', '3\n'])
      // --state-file implies the in-client model; the first call carried no state
      expect(stub.received.map((r) => r.headers['x-faasmesh-state-model'])).to.deep.equal(['in-client', 'in-client', 'in-client'])
      expect(stub.received[0]!.headers).to.not.have.property('x-faasmesh-state')
      expect(stub.received[2]!.headers['x-faasmesh-state']).to.equal(b64('{"n":2}'))
      expect(await readFile(file, 'utf8')).to.equal(`${b64('{"n":3}')}\n`)
      expect((await stat(file)).mode & 0o777).to.equal(0o600)
      // the temporary file was renamed, not left behind
      expect((await readdir(dir.path)).filter((f) => f.endsWith('.tmp'))).to.deep.equal([])

      const verbose = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '-v', '--api', stub.url])
      expect(verbose.stderr).to.include(`  state      me (in-client), version 4, 0 B moved, saved to ${file}`)
      const json = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '--json', '--api', stub.url])
      expect(JSON.parse(json.stdout).state).to.deep.equal({ key: 'me', model: 'in-client', version: 5, bytes: 0, file })
    })

    it('--state-file: leaves the file untouched when the call fails (409 StateConflictError)', async function () {
      const file = join(dir.path, 'conflict.state')
      const before = `${b64('{"n":41}')}\n`
      await writeFile(file, before, { mode: 0o644 })
      stub.script = () => ({ status: 409, body: { error: { name: 'StateConflictError', message: 'state key "me" kept changing: gave up after 5 tries' } } })
      const run = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '--api', stub.url])
      expect(run.code).to.equal(1)
      expect(run.stderr).to.equal('error: StateConflictError: state key "me" kept changing: gave up after 5 tries\n')
      expect(run.stdout).to.equal('')
      expect(stub.received[0]!.headers['x-faasmesh-state']).to.equal(b64('{"n":41}'))
      expect(await readFile(file, 'utf8')).to.equal(before)
      expect((await stat(file)).mode & 0o777).to.equal(0o644)
    })

    it('--state-file: an answer without a new state leaves the file untouched and fails', async function () {
      const file = join(dir.path, 'nostate.state')
      await writeFile(file, b64('{"n":1}'))
      stub.script = () => invoked('2')
      const run = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '--api', stub.url])
      expect(run.code).to.equal(1)
      expect(run.stderr).to.match(/^error: StateFileError: /)
      expect(await readFile(file, 'utf8')).to.equal(b64('{"n":1}'))
    })

    it('prints the named error of a 400 and exits 1', async function () {
      stub.script = () => ({ status: 400, body: { error: { name: 'UnsupportedStateModelError', message: 'unknown state model "in-cloud"; use one of in-client, in-function, in-edge, external' } } })
      const run = await cli(['invoke', 'counter', '--state-key', 'me', '--state-model', 'in-cloud', '--api', stub.url])
      expect(run.code).to.equal(1)
      expect(run.stderr).to.equal('error: UnsupportedStateModelError: unknown state model "in-cloud"; use one of in-client, in-function, in-edge, external\n')
      expect(stub.received[0]!.headers['x-faasmesh-state-model']).to.equal('in-cloud')
    })

    it('refuses what it can tell is wrong before sending anything', async function () {
      const file = join(dir.path, 'refused.state')
      const conflicting = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '--state-model', 'in-edge', '--api', stub.url])
      expect(conflicting.code).to.equal(2)
      expect(conflicting.stderr).to.include('--state-file holds in-client state').and.include('Usage: faasmesh invoke')
      const keyless = await cli(['invoke', 'counter', '--state-model', 'in-edge', '--api', stub.url])
      expect(keyless.code).to.equal(2)
      expect(keyless.stderr).to.include('--state-model and --state-file need --state-key')
      const badKey = await cli(['invoke', 'counter', '--state-key', 'no spaces', '--api', stub.url])
      expect(badKey.code).to.equal(1)
      expect(badKey.stderr).to.match(/^error: InvalidStateKeyError: /)
      await writeFile(file, 'not base64!\n')
      const garbage = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '--api', stub.url])
      expect(garbage.code).to.equal(1)
      expect(garbage.stderr).to.match(/^error: InvalidStateError: /)
      await writeFile(file, 'A'.repeat(70 * 1024))
      const huge = await cli(['invoke', 'counter', '--state-key', 'me', '--state-file', file, '--api', stub.url])
      expect(huge.code).to.equal(1)
      expect(huge.stderr).to.match(/^error: StateTooLargeError: /)
      expect(stub.received).to.deep.equal([])
    })
  })

  describe('state get|delete', function () {
    it('get: prints version, home and the entries, text when printable, else base64', async function () {
      stub.script = () => ({
        body: {
          model: 'in-function',
          version: 3,
          home: '12D3KooWHome',
          entries: { count: b64('42'), blob: Buffer.from([0, 1, 2, 255]).toString('base64'), 'héllo': b64('wörld ✓') }
        }
      })
      const run = await cli(['state', 'get', 'me', '--api', stub.url])
      expect(run.code, run.stderr).to.equal(0)
      expect(stub.received[0]).to.include({ method: 'GET', url: '/v1/state/me' })
      expect(run.stdout).to.equal([
        'state me (in-function)',
        '  version  3',
        '  home     12D3KooWHome',
        '',
        '  KEY    SIZE  AS      VALUE',
        '  blob   4 B   base64  AAEC/w==',
        '  count  2 B   text    42',
        '  héllo  10 B  text    wörld ✓',
        ''
      ].join('\n'))

      const json = await cli(['state', 'get', 'me', '--model', 'in-edge', '--json', '--api', stub.url])
      expect(json.code, json.stderr).to.equal(0)
      expect(stub.received[1]!.url).to.equal('/v1/state/me?model=in-edge')
      expect(JSON.parse(json.stdout)).to.deep.equal({ key: 'me', model: 'in-function', version: 3, home: '12D3KooWHome', entries: { count: b64('42'), blob: 'AAEC/w==', 'héllo': b64('wörld ✓') } })
    })

    it('get: a state without home or entries; a key without state is RouteNotFoundError', async function () {
      stub.script = (req) => req.url.startsWith('/v1/state/empty')
        ? { body: { model: 'external', version: 0, entries: {} } }
        : { status: 404, body: { error: { name: 'RouteNotFoundError', message: 'state key "none" has no in-function state' } } }
      const empty = await cli(['state', 'get', 'empty', '--model', 'external', '--api', stub.url])
      expect(empty.stdout).to.equal('state empty (external)\n  version  0\n  (no entries)\n')
      const none = await cli(['state', 'get', 'none', '--api', stub.url])
      expect(none.code).to.equal(1)
      expect(none.stderr).to.equal('error: RouteNotFoundError: state key "none" has no in-function state\n')
    })

    it('delete: sends DELETE with the model and says what went', async function () {
      stub.script = () => ({ body: { model: 'in-edge', key: 'me', removed: true } })
      const run = await cli(['state', 'delete', 'me', '--model', 'in-edge', '--api', stub.url])
      expect(run.code, run.stderr).to.equal(0)
      expect(stub.received[0]).to.include({ method: 'DELETE', url: '/v1/state/me?model=in-edge' })
      expect(run.stdout).to.equal('deleted the in-edge state of me\n')
      const json = await cli(['state', 'delete', 'me', '--json', '--api', stub.url])
      expect(JSON.parse(json.stdout)).to.deep.equal({ model: 'in-edge', key: 'me', removed: true })
      expect(stub.received[1]!.url).to.equal('/v1/state/me')
    })

    it('usage: an unknown action or a missing key exits 2; help lists the flags', async function () {
      const unknown = await cli(['state', 'put', 'me', '--api', stub.url])
      expect(unknown.code).to.equal(2)
      expect(unknown.stderr).to.include('unknown action "put"').and.include('Usage: faasmesh state get|delete <stateKey>')
      expect((await cli(['state', 'get', '--api', stub.url])).code).to.equal(2)
      expect(stub.received).to.deep.equal([])
      const help = await cli(['state', '--help'])
      expect(help.stdout).to.include('Usage: faasmesh state get|delete <stateKey> [--model M] [--api URL] [--json]').and.include('--model <model>')
      const invokeHelp = await cli(['invoke', '--help'])
      expect(invokeHelp.stdout).to.include('--state-key <key>').and.include('--state-model <model>').and.include('--state-file <file>')
      expect((await cli(['--help'])).stdout).to.match(/\n {2}state\s+Show or delete/)
    })
  })

  describe('ApiClient over node:http', function () {
    it('exposes the answer\'s headers case-insensitively and revives named errors', async function () {
      stub.script = (req) => req.method === 'GET' ? invoked('x', { 'X-Faasmesh-State-Version': '9' }) : { status: 413, body: { error: { name: 'StateTooLargeError', message: 'too big' } } }
      const api = new ApiClient(stub.url, 5000)
      const res = await api.request('GET', '/anything')
      expect(res.status).to.equal(200)
      expect(res.headers.get('x-faasmesh-state-version')).to.equal('9')
      expect(new TextDecoder().decode(res.body)).to.equal('x')
      const err = await api.request('POST', '/v1/invoke/x', new Uint8Array([1, 2, 3])).then(() => undefined, (e: Error) => e)
      expect(err?.name).to.equal('StateTooLargeError')
      expect(err?.message).to.equal('too big')
      expect(stub.received[1]!.headers['content-length']).to.equal('3')
    })

    it('DaemonUnreachableError when nothing listens or no answer comes in time; the timeout covers the body', async function () {
      const closed = new StubGateway()
      await closed.start()
      await closed.stop()
      const refused = await new ApiClient(closed.url, 5000).request('GET', '/v1/health').then(() => undefined, (e: Error) => e)
      expect(refused?.name).to.equal('DaemonUnreachableError')
      expect(refused?.message).to.include('ECONNREFUSED')

      stub.script = () => ({ stall: true })
      const silent = await new ApiClient(stub.url, 300).request('GET', '/v1/health').then(() => undefined, (e: Error) => e)
      expect(silent?.name).to.equal('DaemonUnreachableError')
      expect(silent?.message).to.include('no answer within 300 ms')

      stub.script = () => ({ stallBody: true, body: 'partial' })
      const cut = await new ApiClient(stub.url, 300).request('GET', '/v1/health').then(() => undefined, (e: Error) => e)
      expect(cut?.name).to.equal('TimeoutError')
    })
  })
})
