import { readdir, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { expect } from 'chai'
import { MAX_STATE_WRITES, StateRequest, StateResponse, type StateRecord } from '../../protocols/src/state/index.js'
import { MAX_ENTRY_KEY_BYTES, MAX_KEPT_OUTPUT_BYTES, MAX_STATE_MAX_BYTES } from '../src/state/constants.js'
import { LocalStateStore } from '../src/state/local-store.js'
import { closest, ReplicaSets, sha256 } from '../src/state/replicas.js'
import { tempDir } from './support/paths.js'
import { sleep, StateMesh, type StateNode } from './support/state-nodes.js'
import type { InEdgeState } from '../src/state/in-edge.js'
import type { Commit } from '../src/state/backend.js'

const utf8 = new TextEncoder()
const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes)
const EMPTY = new Uint8Array(0)

const put = (invocationId: string, expectedVersion: number, entries: Record<string, string | null>, output = EMPTY): Commit => ({
  invocationId,
  expectedVersion,
  writes: new Map(Object.entries(entries).map(([k, v]) => [k, v == null ? null : utf8.encode(v)])),
  output
})

const request = (fields: Partial<StateRequest>): StateRequest => ({
  op: StateRequest.Op.READ, space: StateRequest.Space.DATA, key: 'k', invocationId: '', expectedVersion: 0, writes: [], output: new Uint8Array(0), ...fields
})

async function outcome (promise: Promise<unknown>): Promise<{ name: string, err?: any }> {
  try {
    await promise
    return { name: 'ok' }
  } catch (err: any) {
    return { name: err?.name, err }
  }
}

/**
 * One increment of entry "n", applied once whatever happens: read, add one, commit under the
 * increment's own invocation id; on a conflict or an unavailable state, back off and go again
 * (a commit whose answer was lost is seen as applied by the next read). Bounded.
 */
async function increment (state: InEdgeState, key: string, id: string, maxTries = 200): Promise<void> {
  for (let attempt = 0; attempt < maxTries; attempt++) {
    try {
      const snapshot = await state.read(key, { invocationId: id })
      if (snapshot.applied != null) return
      const n = Number(text(snapshot.entries.get('n') ?? utf8.encode('0')))
      const result = await state.commit(key, put(id, snapshot.version, { n: String(n + 1) }))
      if (result.status !== 'conflict') return
    } catch (err: any) {
      if (err?.name !== 'StateUnavailableError') throw err
    }
    await sleep(Math.random() * 4 * Math.min(attempt + 1, 10))
  }
  throw new Error(`increment ${id} gave up after ${maxTries} tries`)
}

/** Runs `count` increments from `nodes`, `workers` at a time per node; `acked` counts those that returned. */
async function increments (nodes: StateNode[], key: string, count: number, workers: number, acked: { n: number }, prefix = 'inc'): Promise<void> {
  let next = 0
  await Promise.all(nodes.flatMap((node, i) => Array.from({ length: workers }, async (_, w) => {
    while (next < count) {
      const id = `${prefix}-${next++}`
      await increment(node.state, key, id)
      acked.n++
    }
    return [i, w]
  })))
}

/** What `to` keeps of `key`, asked over the wire by another running node of `nodes` (a node cannot dial itself). */
async function fetchFrom (nodes: StateNode[], to: StateNode, key: string, space = StateRequest.Space.DATA): Promise<StateRecord | undefined> {
  const from = nodes.find((n) => n !== to && n.running)
  if (from == null) throw new Error('no other running node')
  return (await from.libp2p.services.state.request(to.libp2p.peerId, request({ op: StateRequest.Op.FETCH, space, key }))).record
}

describe('in-edge state', function () {
  this.timeout(120_000)
  let mesh: StateMesh
  let dirs: Array<{ path: string, cleanup(): Promise<void> }>

  beforeEach(function () {
    mesh = new StateMesh()
    dirs = []
  })

  afterEach(async function () {
    await mesh.stop()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  async function three (init: Parameters<StateMesh['add']>[0] = {}, persisted = false): Promise<StateNode[]> {
    const nodes: StateNode[] = []
    for (let i = 0; i < 3; i++) {
      let dataDir: string | undefined
      if (persisted) {
        const dir = await tempDir('faasmesh-state-')
        dirs.push(dir)
        dataDir = dir.path
      }
      nodes.push(await mesh.add({ replicateTimeoutMs: 1000, ...init, dataDir }))
    }
    return nodes
  }

  /** [primary, then the others] of `key` by the mesh's view. */
  function roles (nodes: StateNode[], key: string, space: 'data' | 'home' = 'data'): StateNode[] {
    const set = new ReplicaSets({ self: nodes[0]!.id, peers: () => mesh.view }, { replicas: 3 }).of(space, key)
    return set.map((id) => nodes.find((n) => n.id === id)!)
  }

  it('commits and reads through a node that is not the primary, with the bytes that crossed', async function () {
    const nodes = await three()
    const [primary, second, third] = roles(nodes, 'device-1')
    expect(second!.state.replicaSet('device-1')).to.deep.equal([primary!.id, second!.id, third!.id])
    const result = await second!.state.commit('device-1', put('inv-1', 0, { temp: '21.5', unit: 'C' }))
    expect(result).to.include({ status: 'committed', version: 1 })
    expect(result.bytes).to.be.greaterThan(0)
    const snapshot = await third!.state.read('device-1')
    expect(snapshot.version).to.equal(1)
    expect(text(snapshot.entries.get('temp'))).to.equal('21.5')
    expect(snapshot.bytes).to.be.greaterThan(0)
    expect((await primary!.state.read('device-1')).bytes, 'no network at the primary').to.equal(0)
    const view = await third!.state.view('device-1')
    expect(view?.home).to.equal(primary!.id)
    expect([...(view?.entries.keys() ?? [])].sort()).to.deep.equal(['temp', 'unit'])
    expect(await third!.state.view('device-2')).to.equal(undefined)
    // every replica keeps it
    for (const node of nodes) expect((await fetchFrom(nodes, node, 'device-1'))?.version).to.equal(1)
  })

  it('answers a commit at a moved version with a conflict', async function () {
    const [a, b] = await three()
    expect((await a!.state.commit('k1', put('inv-a', 0, { n: '1' }))).status).to.equal('committed')
    expect((await b!.state.commit('k1', put('inv-b', 0, { n: '9' }))).status).to.equal('conflict')
    expect(text((await b!.state.read('k1')).entries.get('n'))).to.equal('1')
  })

  it('applies one invocation id once, even through two different nodes', async function () {
    const [a, b, c] = await three()
    const first = await a!.state.commit('k2', put('inv-same', 0, { n: '1' }, utf8.encode('out-1')))
    expect(first.status).to.equal('committed')
    const second = await b!.state.commit('k2', put('inv-same', 0, { n: '1' }, utf8.encode('out-1')))
    expect(second.status).to.equal('applied')
    expect(second.status === 'applied' && text(second.output ?? undefined)).to.equal('out-1')
    const seen = await c!.state.read('k2', { invocationId: 'inv-same' })
    expect(seen.version).to.equal(1)
    expect(text(seen.applied?.output ?? undefined)).to.equal('out-1')
    // an output too large to keep is remembered as applied, without it
    const big = await c!.state.commit('k2', put('inv-big', 1, { n: '2' }, new Uint8Array(MAX_KEPT_OUTPUT_BYTES + 100)))
    expect(big.status).to.equal('committed')
    expect((await a!.state.read('k2', { invocationId: 'inv-big' })).applied).to.deep.equal({ output: null })
  })

  it('ends 200 concurrent increments from 3 nodes at exactly 200', async function () {
    const nodes = await three()
    const acked = { n: 0 }
    await increments(nodes, 'counter', 200, 4, acked)
    expect(acked.n).to.equal(200)
    for (const node of nodes) {
      const snapshot = await node.state.read('counter')
      expect(text(snapshot.entries.get('n'))).to.equal('200')
    }
  })

  it('loses no acknowledged increment when the primary is killed mid-run', async function () {
    const nodes = await three()
    const [primary, ...survivors] = roles(nodes, 'counter-k')
    const acked = { n: 0 }
    const run = increments(survivors, 'counter-k', 120, 2, acked)
    while (acked.n < 30) await sleep(5)
    await mesh.kill(primary!)
    expect(acked.n, 'killed mid-run').to.be.lessThan(120)
    await run
    expect(acked.n).to.equal(120)
    for (const node of survivors) expect(text((await node.state.read('counter-k')).entries.get('n'))).to.equal('120')
    // once the views drop the dead node, the set changes and is repaired: still all there
    mesh.view = mesh.view.filter((id) => id !== primary!.id)
    for (const node of survivors) expect(text((await node.state.read('counter-k')).entries.get('n'))).to.equal('120')
  })

  it('refuses a commit that no other replica keeps (StateUnavailableError), and keeps nothing of it', async function () {
    const nodes = await three()
    const [primary, second, third] = roles(nodes, 'k3')
    await second!.state.commit('k3', put('inv-1', 0, { n: '1' }))
    await mesh.kill(second!)
    await mesh.kill(third!)
    expect((await outcome(primary!.state.commit('k3', put('inv-2', 1, { n: '2' })))).name).to.equal('StateUnavailableError')
    // nothing kept: a fresh primary (after a restart) has version 1
    await mesh.restart(second!)
    expect((await second!.state.read('k3')).version).to.equal(1)
  })

  it('keeps a replica\'s copy across its restart, and a restarted primary repairs what it missed', async function () {
    const nodes = await three({}, true)
    const [primary, second, third] = roles(nodes, 'k4')
    for (let v = 0; v < 3; v++) await third!.state.commit('k4', put(`inv-${v}`, v, { n: String(v + 1) }))
    await mesh.restart(second!)
    const copy = await fetchFrom(nodes, second!, 'k4')
    expect([copy?.version, text(copy?.entries.find((e) => e.key === 'n')?.value)]).to.deep.equal([3, '3'])
    // the primary misses a write while down, then comes back first in the set
    await mesh.kill(primary!)
    expect((await third!.state.commit('k4', put('inv-3', 3, { n: '4' }))).status).to.equal('committed')
    await mesh.restart(primary!)
    const seen = await primary!.state.read('k4')
    expect([seen.version, text(seen.entries.get('n')), seen.bytes]).to.deep.equal([4, '4', 0])
    expect((await fetchFrom(nodes, primary!, 'k4'))?.version, 'repaired on disk too').to.equal(4)
  })

  it('deletes a key for good: the version goes on, so no stale copy revives it', async function () {
    const [a, b] = await three()
    await a!.state.commit('k5', put('inv-1', 0, { x: '1', y: '2' }))
    expect(await b!.state.remove('k5')).to.equal(true)
    expect(await a!.state.view('k5')).to.equal(undefined)
    const snapshot = await a!.state.read('k5')
    expect([snapshot.version, snapshot.entries.size]).to.deep.equal([2, 0])
    expect(await b!.state.remove('k5')).to.equal(false)
    expect(await b!.state.remove('never-written')).to.equal(false)
  })

  it('keeps one home per key: concurrent claims from two nodes see the same', async function () {
    const [a, b, c] = await three()
    const [homeA, homeB] = await Promise.all([a!.state.homes.claim('app-1', a!.id), b!.state.homes.claim('app-1', b!.id)])
    expect(homeA).to.equal(homeB)
    expect([a!.id, b!.id]).to.include(homeA)
    expect(await c!.state.homes.lookup('app-1')).to.equal(homeA)
    expect(await c!.state.homes.claim('app-1', c!.id)).to.equal(homeA)
    expect(await c!.state.homes.lookup('app-2')).to.equal(undefined)
    expect(await a!.state.homes.release('app-1')).to.equal(true)
    expect(await b!.state.homes.lookup('app-1')).to.equal(undefined)
    expect(await c!.state.homes.claim('app-1', c!.id)).to.equal(c!.id)
    expect(await a!.state.homes.lookup('app-1')).to.equal(c!.id)
  })

  it('asks a home for its in-function state, and fails with StateUnavailableError when it cannot', async function () {
    const [a, b, c] = await three()
    const entries = new Map([['n', utf8.encode('5')]])
    let removed = 0
    b!.state.setFunctionSpace({
      view: async (key) => key === 'app-1' ? { version: 7, entries } : undefined,
      remove: async (key) => { removed++; return key === 'app-1' }
    })
    const view = await a!.state.functionView(b!.id, 'app-1')
    expect([view?.version, text(view?.entries.get('n')), view?.home]).to.deep.equal([7, '5', b!.id])
    expect(await a!.state.functionView(b!.libp2p.peerId, 'app-9')).to.equal(undefined)
    expect(await b!.state.functionView(b!.id, 'app-1').then((v) => v?.version), 'asked of itself').to.equal(7)
    expect([await a!.state.functionRemove(b!.id, 'app-1'), await a!.state.functionRemove(b!.id, 'app-9'), removed]).to.deep.equal([true, false, 2])
    expect((await outcome(a!.state.functionView(c!.id, 'app-1'))).name, 'no in-function state there').to.equal('StateUnavailableError')
    await mesh.kill(b!)
    expect((await outcome(a!.state.functionView(b!.id, 'app-1'))).name).to.equal('StateUnavailableError')
    expect((await outcome(a!.state.functionRemove(b!.id, 'app-1'))).name).to.equal('StateUnavailableError')
  })

  it('answers NOT_PRIMARY outside the replica set, and a caller goes on to a replica', async function () {
    const nodes = await three({ replicas: 2 })
    const set = nodes[0]!.state.replicaSet('k6')
    expect(set).to.have.length(2)
    const outside = nodes.find((n) => !set.includes(n.id))!
    const inside = nodes.find((n) => n.id === set[1])!
    const direct = await inside.libp2p.services.state.request(outside.libp2p.peerId, request({ key: 'k6' }))
    expect(direct.status).to.equal(StateResponse.Status.NOT_PRIMARY)
    expect((await outside.state.commit('k6', put('inv-1', 0, { n: '1' }))).status).to.equal('committed')
    expect((await fetchFrom(nodes, outside, 'k6'))?.version, 'the outsider keeps nothing').to.equal(0)
    expect(text((await inside.state.read('k6')).entries.get('n'))).to.equal('1')
  })

  it('refuses hostile requests with INVALID or TOO_LARGE and stores nothing', async function () {
    const nodes = await three({ maxBytes: 4096 })
    const outsider = await mesh.outsider()
    const [primary, second, third] = roles(nodes, 'k7')
    const ask = async (fields: Partial<StateRequest>, to = primary!): Promise<StateResponse> => outsider.services.state.request(to.libp2p.peerId, request({ key: 'k7', op: StateRequest.Op.COMMIT, invocationId: 'evil-1', ...fields }))
    const write = (key: string, size: number): StateRequest['writes'][number] => ({ key, value: new Uint8Array(size) as Uint8Array<ArrayBuffer>, deleted: false })
    const answers = [
      await ask({ key: 'bad key!' }),
      await ask({ key: 'x'.repeat(129) }),
      await ask({ writes: [write('k'.repeat(MAX_ENTRY_KEY_BYTES + 1), 1)] }),
      await ask({ writes: [write('', 1)] }),
      await ask({ writes: [write('a', 1), write('a', 2)] }),
      await ask({ invocationId: 'bad id!' }),
      await ask({ op: StateRequest.Op.UNKNOWN }),
      await ask({ space: StateRequest.Space.FUNCTION }),
      await ask({ space: StateRequest.Space.HOME, writes: [write('other', 1)] }),
      await ask({ writes: Array.from({ length: MAX_STATE_WRITES + 1 }, (_, i) => ({ ...write(`w${i}`, 0), deleted: true })) }),
      // a member of the set replicating a record past the caps
      await second!.libp2p.services.state.request(third!.libp2p.peerId, request({ op: StateRequest.Op.REPLICATE, key: 'k7', record: { version: 9, entries: [{ key: 'k'.repeat(300), value: new Uint8Array(1) as Uint8Array<ArrayBuffer> }], applied: [] } }))
    ]
    expect(answers.map((a) => a.status)).to.deep.equal(Array(answers.length).fill(StateResponse.Status.INVALID))
    const tooLarge = [
      await ask({ writes: [write('big', 4097)] }),
      await ask({ writes: Array.from({ length: 5 }, (_, i) => write(`v${i}`, 1000)) }),
      await ask({ space: StateRequest.Space.HOME, writes: [write('home', 2000)] })
    ]
    expect(tooLarge.map((a) => a.status)).to.deep.equal(Array(tooLarge.length).fill(StateResponse.Status.TOO_LARGE))
    // a peer outside the set may not replicate
    const replicated = await ask({ op: StateRequest.Op.REPLICATE, record: { version: 5, entries: [{ key: 'n', value: utf8.encode('666') as Uint8Array<ArrayBuffer> }], applied: [] } })
    expect(replicated.status).to.equal(StateResponse.Status.NOT_PRIMARY)
    for (const node of nodes) {
      for (const space of [StateRequest.Space.DATA, StateRequest.Space.HOME]) {
        expect((await fetchFrom(nodes, node, 'k7', space))?.version, `${node.id} keeps nothing`).to.equal(0)
      }
    }
    // and they all go on serving
    expect((await third!.state.commit('k7', put('inv-1', 0, { n: '1' }))).status).to.equal('committed')
    // a whole record (its applied ids and their outputs) goes to the key's replicas only
    const fetched = await ask({ op: StateRequest.Op.FETCH, invocationId: '' }, third!)
    expect(fetched.status).to.equal(StateResponse.Status.NOT_PRIMARY)
    expect(fetched.record).to.equal(undefined)
    expect((await second!.libp2p.services.state.request(third!.libp2p.peerId, request({ op: StateRequest.Op.FETCH, key: 'k7' }))).record?.version).to.equal(1)
    // a client gets the named errors before anything is sent
    expect((await outcome(third!.state.read('bad key!'))).name).to.equal('InvalidStateKeyError')
    expect((await outcome(third!.state.commit('k7', put('inv-2', 1, { ['k'.repeat(300)]: '1' })))).name).to.equal('InvalidStateKeyError')
    expect((await outcome(third!.state.commit('k7', put('inv-3', 1, { big: 'x'.repeat(5000) })))).name).to.equal('StateTooLargeError')
  })
})

describe('in-edge replica sets', function () {
  it('orders peers by XOR distance between sha256 of the peer id and of "space:key"', function () {
    const peers = Array.from({ length: 10 }, (_, i) => `peer-${i}`)
    const target = sha256('data:device-1')
    const distance = (peer: string): bigint => BigInt(`0x${Buffer.from(sha256(peer)).toString('hex')}`) ^ BigInt(`0x${Buffer.from(target).toString('hex')}`)
    const expected = [...peers].sort((a, b) => distance(a) < distance(b) ? -1 : 1).slice(0, 3)
    expect(closest(target, peers, 3)).to.deep.equal(expected)
    const sets = new ReplicaSets({ self: 'peer-0', peers: () => [...peers.slice(1), 'peer-1', 'peer-0'] }, { replicas: 3 })
    expect(sets.of('data', 'device-1')).to.deep.equal(expected)
    expect(sets.of('home', 'device-1')).to.not.deep.equal(sets.of('data', 'device-1'))
    expect(new ReplicaSets({ self: 'peer-0', peers: () => [] }).of('data', 'x')).to.deep.equal(['peer-0'])
  })

})

describe('local state store', function () {
  let dir: { path: string, cleanup(): Promise<void> }

  beforeEach(async function () {
    dir = await tempDir('faasmesh-store-')
  })

  afterEach(async function () {
    await dir.cleanup()
  })

  const fileOf = (key: string): string => join(dir.path, createHash('sha256').update(key).digest('hex'))

  it('persists commits before they resolve, and loads them lazily after a restart', async function () {
    const store = new LocalStateStore({ dir: dir.path })
    expect((await store.commit('a', put('i1', 0, { n: '1' }))).status).to.equal('committed')
    expect((await store.commit('a', put('i2', 1, { n: '2' }))).status).to.equal('committed')
    await store.stop()
    await writeFile(join(dir.path, 'leftover.0123456789ab.tmp'), 'x')
    const again = new LocalStateStore({ dir: dir.path })
    await again.start()
    const snapshot = await again.read('a', 'i1')
    expect([snapshot.version, text(snapshot.entries.get('n')), snapshot.bytes]).to.deep.equal([2, '2', 0])
    expect(snapshot.applied).to.deep.equal({ output: new Uint8Array(0) })
    expect(await readdir(dir.path), 'interrupted writes removed at start').to.deep.equal([createHash('sha256').update('a').digest('hex')])
    expect(await again.remove('a')).to.equal(true)
    expect(await again.remove('a')).to.equal(false)
    expect(await again.record('a')).to.equal(undefined)
  })

  it('fails a corrupt key alone with InvalidStateError, and a replica copy replaces it', async function () {
    const store = new LocalStateStore({ dir: dir.path })
    await store.commit('good', put('i1', 0, { n: '1' }))
    await writeFile(fileOf('bad'), Uint8Array.of(0x12, 0x05, 0x61))
    const fresh = new LocalStateStore({ dir: dir.path })
    expect((await outcome(fresh.read('bad'))).name).to.equal('InvalidStateError')
    expect((await outcome(fresh.commit('bad', put('i2', 0, { n: '1' })))).name).to.equal('InvalidStateError')
    expect(text((await fresh.read('good')).entries.get('n'))).to.equal('1')
    expect((await fresh.keep('bad', { version: 3, entries: [], applied: [] })).status).to.equal('kept')
    expect((await fresh.read('bad')).version).to.equal(3)
  })

  it('serialises commits per key: concurrent ones never interleave', async function () {
    const store = new LocalStateStore({ dir: dir.path, cachedRecords: 1 })
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => store.commit('c', put(`i${i}`, 0, { n: String(i) }))))
    expect(results.filter((r) => r.status === 'committed')).to.have.length(1)
    const order: string[] = []
    await Promise.all([
      store.update('c', async (current) => { await sleep(30); order.push('first'); return { record: { ...current, version: current.version + 1 }, result: 1 } }),
      store.update('c', (current) => { order.push(`second saw ${current.version}`); return { result: 2 } })
    ])
    expect(order).to.deep.equal(['first', 'second saw 2'])
  })

  it('keeps a replica copy only when it is newer, and tells a different one at the same version apart', async function () {
    const store = new LocalStateStore()
    const record = (version: number, n: string): StateRecord => ({ version, entries: [{ key: 'n', value: utf8.encode(n) as Uint8Array<ArrayBuffer> }], applied: [] })
    expect(await store.keep('r', record(2, 'a'))).to.deep.equal({ status: 'kept', version: 2 })
    expect(await store.keep('r', record(2, 'a'))).to.deep.equal({ status: 'held', version: 2 })
    expect(await store.keep('r', record(2, 'b'))).to.deep.equal({ status: 'conflict', version: 2 })
    expect(await store.keep('r', record(1, 'c'))).to.deep.equal({ status: 'conflict', version: 2 })
    expect((await outcome(store.keep('r', { version: 3, entries: [{ key: 'n', value: new Uint8Array(MAX_STATE_MAX_BYTES + 1) as Uint8Array<ArrayBuffer> }], applied: [] }))).name).to.equal('InvalidStateError')
    expect(text((await store.read('r')).entries.get('n'))).to.equal('a')
  })
})

