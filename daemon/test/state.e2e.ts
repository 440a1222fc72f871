/**
 * Issue 13, acceptance on real daemon processes and a real redis-server: `counter` under the
 * four state models through the entry nodes of a 3-node mesh, sequentially and concurrently;
 * a trap leaves the state as it was; one invocation id through two entry nodes counts once;
 * hostile headers and a guest past the caps store nothing; an in-edge replica killed mid-run
 * loses no acknowledged increment; an in-function home survives its restart, and while it is
 * gone its keys fail with StateUnavailableError; with Redis stopped, external calls fail fast
 * and the node keeps serving stateless calls.
 */
import { expect } from 'chai'
import { startRedis, type RedisServer } from './support/redis.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

type Model = 'in-client' | 'in-function' | 'in-edge' | 'external'
const SHARED: Model[] = ['in-function', 'in-edge', 'external']
// invocation ids are forgotten by the nodes' tables after a second: a repeat after that is
// caught by the state's own record of applied ids, which is what the tests of it exercise
const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500', FAASMESH_INVOCATIONS_DEDUP_WINDOW_MS: '1000' }

interface Answer { status: number, body: string, headers: Headers }

async function call (d: DaemonProcess, target: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  const res = await fetch(`${d.url}/v1/invoke/${target}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(60_000) })
  return { status: res.status, body: await res.text(), headers: res.headers }
}

function stateHeaders (model: Model, key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-faasmesh-state-model': model, 'x-faasmesh-state-key': key, ...extra }
}

async function count (d: DaemonProcess, model: Model, key: string, extra: Record<string, string> = {}): Promise<Answer> {
  return call(d, 'counter', stateHeaders(model, key, extra))
}

function errorName (a: Answer): string {
  return JSON.parse(a.body).error.name
}

async function view (d: DaemonProcess, model: Model, key: string): Promise<{ status: number, body: any }> {
  const res = await fetch(`${d.url}/v1/state/${key}?model=${model}`, { signal: AbortSignal.timeout(20_000) })
  return { status: res.status, body: await res.json() }
}

/** The counter's value in a state view (0 when the key has none). */
async function stored (d: DaemonProcess, model: Model, key: string): Promise<number> {
  const v = await view(d, model, key)
  if (v.status === 404) return 0
  expect(v.status, JSON.stringify(v.body)).to.equal(200)
  const raw = v.body.entries?.count
  return raw == null ? 0 : Number(Buffer.from(raw, 'base64').toString('utf8'))
}

describe('stateful functions across daemon processes (issue 13)', function () {
  this.timeout(240_000)
  const dirs: Array<{ path: string, cleanup(): Promise<void> }> = []
  let nodes: DaemonProcess[] = []
  let redis: RedisServer | undefined
  let args: string[][] = []
  const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }

  before(async function () {
    redis = await startRedis().catch(() => undefined)
    const env = { ...ENV, ...(redis != null ? { FAASMESH_STATE_EXTERNAL_URL: redis.url } : {}) }
    const a = await startDaemon(await dir(), ['--slots', '2'], env)
    args = [['--slots', '2'], ['--bootstrap', a.multiaddr, '--slots', '2'], ['--bootstrap', a.multiaddr, '--slots', '2']]
    const [b, c] = await Promise.all([startDaemon(await dir(), args[1]!, env), startDaemon(await dir(), args[2]!, env)])
    nodes = [a, b!, c!]
    await waitForMesh(nodes)
    for (const [name, file] of [['counter', 'build/counter.wasm'], ['state-trap', 'build/hostile/state-trap.wasm'], ['state-bomb', 'build/hostile/state-bomb.wasm'], ['hello', 'build/hello.wasm']]) {
      const deployed = await runCli(['deploy', name!, file!, '--api', a.url, '--json'])
      expect(deployed.code, deployed.stderr).to.equal(0)
    }
    // every node has the code before the timed parts start
    for (const n of nodes) expect((await call(n, 'hello', { 'x-faasmesh-policy': 'local' }, 'x')).status).to.equal(200)
    for (const n of nodes) expect((await call(n, 'counter', { 'x-faasmesh-policy': 'local', ...stateHeaders('in-client', 'warm') })).status).to.equal(200)
  })

  after(async function () {
    killAll()
    await redis?.stop()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  for (const model of SHARED) {
    it(`${model}: 50 sequential then 50 concurrent increments through three entry nodes count exactly, each value once`, async function () {
      if (model === 'external' && redis == null) this.skip()
      const key = `seq-${model}-${Date.now()}`
      for (let i = 1; i <= 50; i++) {
        const a = await count(nodes[i % 3]!, model, key)
        expect(a.status, a.body).to.equal(200)
        expect(Number(a.body), `call ${i}`).to.equal(i)
        expect(a.headers.get('x-faasmesh-state-model')).to.equal(model)
        expect(Number(a.headers.get('x-faasmesh-state-version'))).to.equal(i)
      }
      const answers = await Promise.all(Array.from({ length: 50 }, async (_, i) => count(nodes[i % 3]!, model, key)))
      for (const a of answers) expect(a.status, a.body).to.equal(200)
      expect(answers.map((a) => Number(a.body)).sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 50 }, (_, i) => 51 + i))
      for (const n of nodes) expect(await stored(n, model, key)).to.equal(100)
    })

    it(`${model}: one invocation id sent to two entry nodes increments once`, async function () {
      if (model === 'external' && redis == null) this.skip()
      const key = `dup-${model}-${Date.now()}`
      expect((await count(nodes[0]!, model, key)).body).to.equal('1')
      const id = { 'x-faasmesh-invocation-id': `dup-${model}-${Date.now()}` }
      const first = await count(nodes[1]!, model, key, id)
      // past the tables' window: only the key's record of applied ids knows the id now
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const second = await count(nodes[2]!, model, key, id)
      expect(first.status, first.body).to.equal(200)
      expect(second.status, second.body).to.equal(200)
      expect(first.body).to.equal('2')
      expect(second.body, 'the repeat answers with the first run\'s output').to.equal('2')
      expect(await stored(nodes[0]!, model, key)).to.equal(2)

      // DELETE through any node; the key is then gone for every node
      const deleted = await fetch(`${nodes[2]!.url}/v1/state/${key}?model=${model}`, { method: 'DELETE', signal: AbortSignal.timeout(20_000) })
      expect(deleted.status, await deleted.clone().text()).to.equal(200)
      for (const n of nodes) expect((await view(n, model, key)).status).to.equal(404)
      // the key's record of applied ids outlives the delete: the old id still runs nothing
      expect((await count(nodes[0]!, model, key, id)).body).to.equal('2')
      expect((await view(nodes[0]!, model, key)).status).to.equal(404)
      expect((await count(nodes[1]!, model, key)).body, 'counting starts over').to.equal('1')
    })
  }

  it('in-client: the client passes the state back each time and counts strictly; no node keeps it', async function () {
    let state: string | undefined
    for (let i = 1; i <= 50; i++) {
      const a = await count(nodes[i % 3]!, 'in-client', 'me', state != null ? { 'x-faasmesh-state': state } : {})
      expect(a.status, a.body).to.equal(200)
      expect(Number(a.body)).to.equal(i)
      state = a.headers.get('x-faasmesh-state') ?? undefined
      expect(state).to.be.a('string')
    }
    // an old state gives the old count: nothing was kept anywhere
    const again = await count(nodes[0]!, 'in-client', 'me')
    expect(again.body).to.equal('1')
    expect((await view(nodes[0]!, 'in-client', 'me')).status).to.equal(400)
  })

  it('a function that writes state and then traps leaves it unchanged, under every model', async function () {
    for (const model of [...SHARED, 'in-client'] as Model[]) {
      if (model === 'external' && redis == null) continue
      const key = `trap-${model}-${Date.now()}`
      const first = await count(nodes[0]!, model, key)
      expect(first.status, first.body).to.equal(200)
      const carried: Record<string, string> = model === 'in-client' ? { 'x-faasmesh-state': first.headers.get('x-faasmesh-state')! } : {}
      const trapped = await call(nodes[1]!, 'state-trap', stateHeaders(model, key, carried))
      expect(trapped.status, `${model}: ${trapped.body}`).to.equal(422)
      expect(errorName(trapped)).to.equal('GuestTrapError')
      expect(trapped.headers.get('x-faasmesh-state'), `${model}: no new state on a trap`).to.equal(null)
      const next = await count(nodes[2]!, model, key, carried)
      expect(next.body, `${model}: the trap changed nothing`).to.equal('2')
    }
  })

  it('refuses hostile state input by name and stores nothing', async function () {
    const bad = await count(nodes[0]!, 'in-edge', 'has/slash')
    expect(bad.status, bad.body).to.equal(400)
    expect(errorName(bad)).to.equal('InvalidStateKeyError')
    const unknown = await call(nodes[0]!, 'counter', { 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'in-cloud' })
    expect(unknown.status).to.equal(400)
    expect(errorName(unknown)).to.equal('UnsupportedStateModelError')
    const big = await count(nodes[0]!, 'in-client', 'k', { 'x-faasmesh-state': 'A'.repeat(70_000) })
    expect(big.status, big.body).to.equal(413)
    expect(errorName(big)).to.equal('StateTooLargeError')
    const first = await count(nodes[0]!, 'in-client', 'k')
    const envelope = Buffer.from(first.headers.get('x-faasmesh-state')!, 'base64')
    envelope[envelope.length - 1] = envelope[envelope.length - 1]! ^ 0xff
    const corrupt = await count(nodes[0]!, 'in-client', 'k', { 'x-faasmesh-state': envelope.toString('base64') })
    expect(corrupt.status, corrupt.body).to.equal(400)
    expect(errorName(corrupt)).to.equal('InvalidStateError')
    const notBase64 = await count(nodes[0]!, 'in-client', 'k', { 'x-faasmesh-state': '%%%%' })
    expect(errorName(notBase64)).to.equal('InvalidStateError')

    for (const model of [...SHARED, 'in-client'] as Model[]) {
      if (model === 'external' && redis == null) continue
      const key = `bomb-${model}-${Date.now()}`
      const bomb = await call(nodes[1]!, 'state-bomb', stateHeaders(model, key))
      expect(bomb.status, `${model}: ${bomb.body}`).to.equal(413)
      expect(errorName(bomb)).to.equal('StateTooLargeError')
      expect(bomb.headers.get('x-faasmesh-state')).to.equal(null)
      if (model !== 'in-client') expect(await stored(nodes[0]!, model, key), `${model}: nothing stored`).to.equal(0)
    }
    // the nodes keep serving
    for (const n of nodes) expect((await call(n, 'hello', {}, 'still')).status).to.equal(200)
  })

  it('in-edge: SIGKILL of the key\'s primary during a run of increments loses no acknowledged increment', async function () {
    // a key whose primary is not the entry node A, so the run goes on through A
    let key = ''
    let primary: DaemonProcess | undefined
    for (let i = 0; i < 20 && primary == null; i++) {
      key = `kill-${i}-${Date.now()}`
      expect((await count(nodes[0]!, 'in-edge', key)).status).to.equal(200)
      const home = (await view(nodes[0]!, 'in-edge', key)).body.home
      primary = nodes.slice(1).find((n) => n.peerId === home)
    }
    expect(primary, 'a key with its primary on B or C').to.not.equal(undefined)
    let acked = 1
    let highest = 1
    const run = (async () => {
      for (let i = 0; i < 40; i++) {
        const a = await count(nodes[0]!, 'in-edge', key, { 'x-faasmesh-deadline-ms': '20000' })
        if (a.status === 200) { acked++; highest = Math.max(highest, Number(a.body)) }
      }
    })()
    await waitFor(async () => acked >= 10, 30_000, 'ten increments before the kill')
    await primary!.stop('SIGKILL')
    await run
    expect(acked, 'most increments went through').to.be.greaterThan(30)
    const survivors = nodes.filter((n) => n !== primary)
    await waitFor(async () => (await view(survivors[0]!, 'in-edge', key)).status === 200, 20_000, 'the key readable through a survivor')
    const final = await stored(survivors[0]!, 'in-edge', key)
    expect(final, 'every acknowledged increment is there').to.be.at.least(acked)
    expect(final).to.be.at.least(highest)
    expect(await stored(survivors[1]!, 'in-edge', key)).to.equal(final)
    // the killed node comes back (same data dir, same identity) for the tests after this one
    const index = nodes.indexOf(primary!)
    nodes[index] = await startDaemon(dirs[index]!.path, args[index]!, { ...ENV, ...(redis != null ? { FAASMESH_STATE_EXTERNAL_URL: redis.url } : {}) })
    await waitForMesh(nodes, 30_000)
  })

  it('in-function: the home keeps the state across its restart; while it is gone its keys fail with StateUnavailableError', async function () {
    const b = nodes[1]!
    const key = `home-${Date.now()}`
    // a new key's home is the winner of its first placement: with the local policy, B itself
    const first = await call(b, 'counter', stateHeaders('in-function', key, { 'x-faasmesh-policy': 'local' }))
    expect(first.body).to.equal('1')
    expect((await view(nodes[0]!, 'in-function', key)).body.home).to.equal(b.peerId)
    for (let i = 2; i <= 5; i++) expect((await count(nodes[i % 2 === 0 ? 0 : 2]!, 'in-function', key)).body).to.equal(String(i))
    expect(await b.stop('SIGTERM')).to.equal(0)
    const gone = await count(nodes[0]!, 'in-function', key)
    expect(gone.status, gone.body).to.equal(503)
    expect(errorName(gone)).to.equal('StateUnavailableError')
    nodes[1] = await startDaemon(dirs[1]!.path, ['--bootstrap', nodes[0]!.multiaddr, '--slots', '2'], { ...ENV, ...(redis != null ? { FAASMESH_STATE_EXTERNAL_URL: redis.url } : {}) })
    await waitForMesh(nodes, 30_000)
    const after = await count(nodes[0]!, 'in-function', key)
    expect(after.status, after.body).to.equal(200)
    expect(after.body, 'the count went on from the restarted home\'s disk').to.equal('6')
  })

  it('external: with Redis stopped, calls fail fast with StateUnavailableError and stateless calls still work', async function () {
    if (redis == null) this.skip()
    const key = `redis-${Date.now()}`
    expect((await count(nodes[0]!, 'external', key)).body).to.equal('1')
    await redis.stop()
    const started = performance.now()
    const down = await count(nodes[0]!, 'external', key)
    const ms = performance.now() - started
    expect(down.status, down.body).to.equal(503)
    expect(errorName(down)).to.equal('StateUnavailableError')
    expect(ms, 'fails fast').to.be.below(5000)
    expect((await call(nodes[0]!, 'hello', {}, 'x')).status).to.equal(200)
    expect((await count(nodes[0]!, 'in-edge', key)).status, 'other models are unaffected').to.equal(200)
  })
})
