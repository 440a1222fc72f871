/**
 * The HTTP gateway against a real in-process daemon: every route, the status table, the
 * headers, and the node staying healthy after each hostile input.
 */
import { request as httpRequest } from 'node:http'
import { expect } from 'chai'
import { createDaemon, loadConfig, type Daemon } from '../src/index.js'
import { STATUS_BY_ERROR } from '../src/gateway/index.js'
import { LOOPBACK_FLAGS } from './support/loopback.js'
import { tempDir, wasm } from './support/paths.js'
import { waitFor } from './support/wait.js'

const TIMEOUT_MS = 1000

describe('gateway', function () {
  let dir: { path: string, cleanup(): Promise<void> }
  let daemon: Daemon
  let api: string

  async function call (method: string, path: string, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Headers, text: string, json: any }> {
    const res = await fetch(api + path, { method, body: body as BodyInit | undefined, headers, signal: AbortSignal.timeout(10_000) })
    const text = await res.text()
    let json: any
    try { json = JSON.parse(text) } catch {}
    return { status: res.status, headers: res.headers, text, json }
  }

  async function expectStatus (res: Promise<{ status: number, json: any }>, status: number, name: string): Promise<void> {
    const { status: actual, json } = await res
    expect(json?.error?.name, JSON.stringify(json)).to.equal(name)
    expect(typeof json?.error?.message).to.equal('string')
    expect(actual).to.equal(status)
    expect(STATUS_BY_ERROR[name]).to.equal(status)
  }

  async function expectHealthy (): Promise<void> {
    const health = await call('GET', '/v1/health')
    expect(health.status).to.equal(200)
    expect(health.json.ok).to.equal(true)
  }

  before(async function () {
    dir = await tempDir()
    daemon = await createDaemon({
      config: loadConfig({
        env: {},
        flags: {
          dataDir: dir.path,
          ...LOOPBACK_FLAGS,
          'executor.slots': 2,
          'executor.timeoutMs': TIMEOUT_MS,
          // enough fuel that runaway loops meet the wall clock; fuel has its own node below
          'executor.fuel': 1e12,
          'executor.memoryPages': 64,
          'executor.maxInputBytes': 8192,
          'store.maxModuleBytes': 64 * 1024
        }
      })
    })
    await daemon.start()
    api = daemon.apiUrl
    for (const name of ['hello', 'fib']) expect((await call('POST', `/v1/functions/${name}`, wasm(name))).status).to.equal(201)
    for (const name of ['loop', 'start-loop', 'memory-bomb', 'trap', 'stack-overflow']) {
      expect((await call('POST', `/v1/functions/${name}`, wasm(`hostile/${name}`))).status).to.equal(201)
    }
  })

  after(async function () {
    await daemon?.stop()
    await dir?.cleanup()
  })

  it('GET /v1/health answers ok with the peer id, version and libp2p addresses', async function () {
    const { status, json } = await call('GET', '/v1/health')
    expect(status).to.equal(200)
    expect(json).to.deep.include({ ok: true, peerId: daemon.peerId.toString() })
    expect(json.version).to.match(/^\d+\.\d+\.\d+/)
    expect(json.addrs).to.have.length.above(0)
    for (const addr of json.addrs) expect(addr).to.match(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${daemon.peerId.toString()}$`))
  })

  it('POST /v1/functions/:name deploys and answers 201 { name, cid, size }', async function () {
    const { status, json } = await call('POST', '/v1/functions/greeter', wasm('hello'))
    expect(status).to.equal(201)
    expect(json).to.include({ name: 'greeter', size: wasm('hello').byteLength })
    expect(json.cid).to.match(/^bafkrei/)
  })

  it('GET /v1/functions lists functions with CIDs, names and warmth', async function () {
    await call('POST', '/v1/invoke/hello', 'x')
    const { status, json } = await call('GET', '/v1/functions')
    expect(status).to.equal(200)
    const hello = json.functions.find((f: any) => f.names.includes('hello'))
    expect(hello).to.include({ warm: true, size: wasm('hello').byteLength })
    expect(hello.cid).to.match(/^bafkrei/)
  })

  it('POST /v1/invoke/:name returns the output with the x-faasmesh-* headers', async function () {
    const res = await call('POST', '/v1/invoke/hello', 'world')
    expect(res.status).to.equal(200)
    expect(res.text).to.equal('Hello, world!')
    expect(res.headers.get('x-faasmesh-executor')).to.equal(daemon.peerId.toString())
    expect(Number(res.headers.get('x-faasmesh-duration-ms'))).to.be.greaterThan(0)
    expect(Number(res.headers.get('x-faasmesh-placement-ms'))).to.be.at.least(0)
    expect(res.headers.get('x-faasmesh-cold')).to.be.oneOf(['true', 'false'])
    expect(Number(res.headers.get('x-faasmesh-fuel'))).to.be.greaterThan(0)
  })

  it('invokes by CID as well as by name; the first call of a module is cold, the next warm', async function () {
    const deployed = await call('POST', '/v1/functions/by-cid', wasm('sensor-stats'))
    const first = await call('POST', `/v1/invoke/${deployed.json.cid}`, '[1,2,3]')
    const second = await call('POST', '/v1/invoke/by-cid', '[1,2,3]')
    expect(first.json.count).to.equal(3)
    expect(first.headers.get('x-faasmesh-cold')).to.equal('true')
    expect(second.headers.get('x-faasmesh-cold')).to.equal('false')
  })

  describe('bad deploys: 400/413 and the store unchanged', function () {
    let before: any

    beforeEach(async function () {
      before = (await call('GET', '/v1/functions')).json
    })

    afterEach(async function () {
      expect((await call('GET', '/v1/functions')).json).to.deep.equal(before)
      await expectHealthy()
    })

    it('garbage bytes -> 400 InvalidModuleError', async function () {
      await expectStatus(call('POST', '/v1/functions/junk', 'this is not wasm'), 400, 'InvalidModuleError')
    })

    it('a forbidden import -> 400 ForbiddenImportError', async function () {
      await expectStatus(call('POST', '/v1/functions/junk', wasm('hostile/forbidden-import')), 400, 'ForbiddenImportError')
    })

    it('an oversized module -> 413 PayloadTooLargeError', async function () {
      await expectStatus(call('POST', '/v1/functions/junk', new Uint8Array(100 * 1024)), 413, 'PayloadTooLargeError')
    })

    it('an invalid name -> 400 InvalidParametersError', async function () {
      await expectStatus(call('POST', '/v1/functions/Not_Valid', wasm('hello')), 400, 'InvalidParametersError')
    })
  })

  describe('hostile invocations: the named error, in time, and the node keeps serving', function () {
    afterEach(async function () {
      await expectHealthy()
      expect((await call('POST', '/v1/invoke/hello', 'still here')).text).to.equal('Hello, still here!')
    })

    it('infinite loop -> 504 ExecutionTimeoutError within the timeout plus a margin', async function () {
      const started = Date.now()
      await expectStatus(call('POST', '/v1/invoke/loop'), 504, 'ExecutionTimeoutError')
      expect(Date.now() - started).to.be.lessThan(TIMEOUT_MS + 1500)
    })

    it('infinite loop in the start function -> 504 ExecutionTimeoutError', async function () {
      const started = Date.now()
      await expectStatus(call('POST', '/v1/invoke/start-loop'), 504, 'ExecutionTimeoutError')
      expect(Date.now() - started).to.be.lessThan(TIMEOUT_MS + 1500)
    })

    it('memory bomb -> 422 OutOfMemoryError', async function () {
      await expectStatus(call('POST', '/v1/invoke/memory-bomb'), 422, 'OutOfMemoryError')
    })

    it('abort -> 422 GuestTrapError', async function () {
      await expectStatus(call('POST', '/v1/invoke/trap'), 422, 'GuestTrapError')
    })

    it('stack overflow -> 422 GuestTrapError', async function () {
      await expectStatus(call('POST', '/v1/invoke/stack-overflow'), 422, 'GuestTrapError')
    })

    it('input over the cap -> 413 PayloadTooLargeError', async function () {
      await expectStatus(call('POST', '/v1/invoke/hello', new Uint8Array(8193)), 413, 'PayloadTooLargeError')
    })

    it('a runaway invocation does not block the others', async function () {
      const runaway = call('POST', '/v1/invoke/loop')
      const started = Date.now()
      for (let i = 0; i < 5; i++) expect((await call('POST', '/v1/invoke/hello', String(i))).status).to.equal(200)
      expect(Date.now() - started).to.be.lessThan(TIMEOUT_MS / 2)
      expect((await runaway).status).to.equal(504)
    })
  })

  describe('with a small fuel budget', function () {
    let small: Daemon
    let smallDir: { path: string, cleanup(): Promise<void> }

    before(async function () {
      smallDir = await tempDir()
      small = await createDaemon({
        config: loadConfig({ env: {}, flags: { dataDir: smallDir.path, ...LOOPBACK_FLAGS, 'executor.slots': 1, 'executor.fuel': 20_000_000 } })
      })
      await small.start()
      await fetch(`${small.apiUrl}/v1/functions/fib`, { method: 'POST', body: wasm('fib') as Uint8Array<ArrayBuffer> })
    })

    after(async function () {
      await small?.stop()
      await smallDir?.cleanup()
    })

    it('fuel exhausted -> 422 OutOfFuelError, and small inputs still run', async function () {
      const res = await fetch(`${small.apiUrl}/v1/invoke/fib`, { method: 'POST', body: '32' })
      expect(res.status).to.equal(422)
      expect((await res.json()).error.name).to.equal('OutOfFuelError')
      const ok = await fetch(`${small.apiUrl}/v1/invoke/fib`, { method: 'POST', body: '10' })
      expect(await ok.json()).to.deep.equal({ n: 10, fib: 55 })
    })
  })

  describe('request errors', function () {
    it('an unknown function -> 404 FunctionNotFoundError, quickly', async function () {
      await expectStatus(call('POST', '/v1/invoke/no-such-function'), 404, 'FunctionNotFoundError')
      await expectStatus(call('POST', '/v1/invoke/bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33a'), 404, 'FunctionNotFoundError')
    })

    it('a deadline too short to be met -> 504 DeadlineExceededError, at the deadline', async function () {
      const started = Date.now()
      await expectStatus(call('POST', '/v1/invoke/loop', '', { 'x-faasmesh-deadline-ms': '200' }), 504, 'DeadlineExceededError')
      expect(Date.now() - started).to.be.lessThan(800)
    })

    it('a malformed deadline or an unknown policy -> 400 InvalidParametersError', async function () {
      await expectStatus(call('POST', '/v1/invoke/hello', '', { 'x-faasmesh-deadline-ms': 'soon' }), 400, 'InvalidParametersError')
      await expectStatus(call('POST', '/v1/invoke/hello', '', { 'x-faasmesh-deadline-ms': '0' }), 400, 'InvalidParametersError')
      await expectStatus(call('POST', '/v1/invoke/hello', '', { 'x-faasmesh-policy': 'telepathy' }), 400, 'InvalidParametersError')
    })

    it('a malformed percent-escape in a name -> 400 InvalidParametersError, not a 500', async function () {
      await expectStatus(call('POST', '/v1/invoke/%E0%A4%A'), 400, 'InvalidParametersError')
      await expectStatus(call('POST', '/v1/functions/%zz', wasm('hello')), 400, 'InvalidParametersError')
    })

    it('an unknown route -> 404, a wrong method -> 405 with Allow', async function () {
      await expectStatus(call('GET', '/v2/anything'), 404, 'RouteNotFoundError')
      await expectStatus(call('DELETE', '/v1/health'), 405, 'MethodNotAllowedError')
      expect((await call('GET', '/v1/invoke/hello')).headers.get('allow')).to.equal('POST')
    })

    it('a client that goes away cancels its running invocation and frees the slot', async function () {
      const metrics = async (): Promise<string> => (await call('GET', '/metrics')).text
      const busy = async (): Promise<number> => Number(/faasmesh_executor_pool_workers\{state="busy"\} (\d+)/.exec(await metrics())?.[1] ?? NaN)
      const loopRuns = async (outcome: string): Promise<number> => {
        const cid = (await call('GET', '/v1/functions')).json.functions.find((f: { names: string[] }) => f.names.includes('loop')).cid
        return Number(new RegExp(`faasmesh_executor_invocations_total\\{function="${cid}",outcome="${outcome}"\\} (\\d+)`).exec(await metrics())?.[1] ?? 0)
      }
      const [abortedBefore, timedOutBefore] = [await loopRuns('AbortError'), await loopRuns('ExecutionTimeoutError')]
      expect(await busy(), 'no slot busy before').to.equal(0)
      const req = httpRequest(new URL('/v1/invoke/loop', api), { method: 'POST' })
      const answered = new Promise<string>((resolve) => {
        req.on('response', (res) => { resolve(`answered ${res.statusCode}`) })
        req.on('error', (err) => { resolve(`gone: ${err.message}`) })
      })
      req.end()
      try {
        // the call is running: the loop holds a slot
        await waitFor(async () => await busy() === 1, 5000, 'the invocation to start')
      } finally {
        req.destroy()
      }
      const left = performance.now()
      expect(await answered, 'the client left before any answer').to.match(/^gone/)
      // freed long before the 1 s timeout would have freed it, and ended by the abort, not the timeout
      await waitFor(async () => await busy() === 0, TIMEOUT_MS, 'slot freed')
      expect(performance.now() - left, 'freed by the abort').to.be.lessThan(TIMEOUT_MS / 2)
      expect(await loopRuns('AbortError'), 'the running call was aborted').to.equal(abortedBefore + 1)
      expect(await loopRuns('ExecutionTimeoutError'), 'and did not run into its timeout').to.equal(timedOutBefore)
    })
  })

  it('GET / serves the dashboard page', async function () {
    const { status, headers, text } = await call('GET', '/')
    expect(status).to.equal(200)
    expect(headers.get('content-type')).to.match(/^text\/html/)
    expect(text).to.include('/dashboard/dashboard.js').and.include('/dashboard/uplot.js')
  })

  it('GET /v1/peers answers with the capacity view (empty for a node alone)', async function () {
    const { status, json } = await call('GET', '/v1/peers')
    expect(status).to.equal(200)
    expect(json).to.deep.equal({ peers: [] })
  })

  // declared last: mocha runs a describe's own tests before its nested describes, and this
  // one reads the counters the hostile invocations above leave behind
  describe('GET /metrics, after the invocations above', function () {
    it('exposes Prometheus text with invocations, durations, starts and the pool', async function () {
      const { status, headers, text } = await call('GET', '/metrics')
      expect(status).to.equal(200)
      expect(headers.get('content-type')).to.match(/^text\/plain/)
      expect(text).to.match(/faasmesh_executor_invocations_total\{function="bafkrei[a-z2-7]+",outcome="ok"\} \d+/)
      expect(text).to.match(/faasmesh_executor_invocations_total\{function="bafkrei[a-z2-7]+",outcome="ExecutionTimeoutError"\} \d+/)
      expect(text).to.include('faasmesh_executor_duration_seconds_bucket')
      expect(text).to.match(/faasmesh_executor_starts_total\{kind="cold"\} \d+/)
      expect(text).to.include('faasmesh_executor_pool_workers{state="idle"}')
      expect(text).to.match(/faasmesh_gateway_requests_total\{route="invoke",status="200"\} \d+/)
    })
  })
})
