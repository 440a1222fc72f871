/**
 * Issue 12: at most once per invocation id (DESIGN.md section 9), the table every node keeps:
 * repeats join or get the recorded outcome, conflicting repeats are named, the run belongs to
 * no single caller, and the table stays bounded.
 */
import { expect } from 'chai'
import { AbortError, GuestTrapError, InvalidParametersError, NoCapacityError } from '../src/errors.js'
import { fingerprintOf, InvocationTable, isFunctionError, newInvocationId, parseInvocationId } from '../src/invocations/index.js'
import { invoker } from '../src/invoker/index.js'
import type { PlaceOptions, Placed } from '../src/placement/index.js'

const FP = fingerprintOf('bafkreistub', new Uint8Array([1, 2, 3]))

/** Work that counts its runs and finishes when told (or when its signal aborts). */
function work<T> (value: T) {
  const state = { runs: 0, aborted: 0, finish: () => {} }
  const fn = async (signal: AbortSignal): Promise<T> => {
    state.runs++
    return new Promise<T>((resolve, reject) => {
      state.finish = () => { resolve(value) }
      signal.addEventListener('abort', () => { state.aborted++; reject(signal.reason) }, { once: true })
    })
  }
  return { state, fn }
}

async function tick (ms = 5): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

describe('invocation ids', () => {
  it('accepts 1-64 characters of [A-Za-z0-9._:-] and names what is wrong with the rest', () => {
    expect(parseInvocationId('order-42:retry.1_x')).to.equal('order-42:retry.1_x')
    expect(parseInvocationId('a'.repeat(64))).to.have.length(64)
    for (const bad of ['', 'a'.repeat(65), 'white space', 'slash/id', 'é', 'a\nb']) {
      expect(() => parseInvocationId(bad), JSON.stringify(bad)).to.throw(InvalidParametersError)
    }
  })

  it('makes fresh ids that are valid and distinct', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => parseInvocationId(newInvocationId())))
    expect(ids.size).to.equal(1000)
  })

  it('fingerprints the function and the input, both', () => {
    const input = new Uint8Array([1, 2, 3])
    expect(fingerprintOf('a', input)).to.equal(fingerprintOf('a', new Uint8Array([1, 2, 3])))
    expect(fingerprintOf('a', input)).to.not.equal(fingerprintOf('b', input))
    expect(fingerprintOf('a', input)).to.not.equal(fingerprintOf('a', new Uint8Array([1, 2, 4])))
    // the separator keeps target and input apart
    expect(fingerprintOf('ab', new Uint8Array([]))).to.not.equal(fingerprintOf('a', new TextEncoder().encode('b')))
  })
})

describe('invocation table', () => {
  it('runs an id once: a concurrent repeat joins the run, a later one gets the recorded outcome', async () => {
    const { state, fn } = work('answer')
    const dedup: string[] = []
    const t = new InvocationTable<string>({ onDeduplicated: (how) => { dedup.push(how) } })
    const first = t.run('id-1', FP, fn)
    const second = t.run('id-1', FP, fn)
    await tick()
    state.finish()
    expect(await first).to.equal('answer')
    expect(await second).to.equal('answer')
    expect(await t.run('id-1', FP, fn)).to.equal('answer')
    expect(state.runs).to.equal(1)
    expect(dedup).to.deep.equal(['joined', 'recorded'])
    expect(t.size).to.equal(1)
  })

  it('refuses a repeat of an id with another function or input (InvocationConflictError), running nothing', async () => {
    const table = new InvocationTable<string>()
    const { state, fn } = work('x')
    const first = table.run('id-1', FP, fn)
    let err: any
    try { await table.run('id-1', fingerprintOf('bafkreistub', new Uint8Array([9])), fn) } catch (e) { err = e }
    expect(err?.name).to.equal('InvocationConflictError')
    state.finish()
    await first
    expect(state.runs).to.equal(1)
  })

  it('remembers function errors as outcomes, and forgets failures that prove nothing ran', async () => {
    const table = new InvocationTable<string>({ remember: isFunctionError })
    let runs = 0
    const trap = async (): Promise<string> => { runs++; throw new GuestTrapError('unreachable executed') }
    for (let i = 0; i < 2; i++) {
      let err: any
      try { await table.run('trap', FP, trap) } catch (e) { err = e }
      expect(err?.name).to.equal('GuestTrapError')
    }
    expect(runs, 'a trap is the outcome: not run again').to.equal(1)
    const refused = async (): Promise<string> => { runs++; throw new NoCapacityError('full') }
    for (let i = 0; i < 2; i++) {
      let err: any
      try { await table.run('refused', FP, refused) } catch (e) { err = e }
      expect(err?.name).to.equal('NoCapacityError')
    }
    expect(runs, 'a refusal proves it never ran: the repeat runs').to.equal(3)
  })

  it('belongs to no caller: one leaving does not end the run another waits on; the last leaving aborts it', async () => {
    const table = new InvocationTable<string>()
    const { state, fn } = work('done')
    const impatient = new AbortController()
    const patient = new AbortController()
    const a = table.run('id', FP, fn, { signal: impatient.signal })
    const b = table.run('id', FP, fn, { signal: patient.signal })
    impatient.abort(new AbortError('client 1 left'))
    let err: any
    try { await a } catch (e) { err = e }
    expect(err?.message).to.equal('client 1 left')
    await tick()
    expect(state.aborted, 'a caller is still waiting').to.equal(0)
    state.finish()
    expect(await b).to.equal('done')

    const alone = work('never')
    const c = new AbortController()
    const run = table.run('id-2', FP, alone.fn, { signal: c.signal })
    await tick()
    c.abort(new AbortError('gone'))
    await run.catch(() => {})
    await tick()
    expect(alone.state.aborted, 'nobody waits: the run is cancelled').to.equal(1)
    // cancelled is forgotten: the id may run again
    const again = table.run('id-2', FP, alone.fn)
    await tick()
    alone.state.finish()
    expect(await again).to.equal('never')
    expect(alone.state.runs).to.equal(2)
  })

  it('gives a caller whose channel was lost a grace for its retry to join, and aborts after it', async () => {
    const table = new InvocationTable<string>()
    const { state, fn } = work('late')
    const lost = new AbortController()
    const grace = (reason: unknown): number => (reason as Error).name === 'RpcChannelClosedError' ? 100 : 0
    const first = table.run('id', FP, fn, { signal: lost.signal, graceMs: grace })
    await tick()
    lost.abort(Object.assign(new Error('channel closed'), { name: 'RpcChannelClosedError' }))
    await first.catch(() => {})
    await tick(20)
    expect(state.aborted, 'within the grace').to.equal(0)
    const retry = table.run('id', FP, fn)
    state.finish()
    expect(await retry).to.equal('late')
    expect(state.runs).to.equal(1)

    const orphan = work('x')
    const gone = new AbortController()
    const run = table.run('id-3', FP, orphan.fn, { signal: gone.signal, graceMs: grace })
    await tick()
    gone.abort(Object.assign(new Error('channel closed'), { name: 'RpcChannelClosedError' }))
    await run.catch(() => {})
    await tick(150)
    expect(orphan.state.aborted, 'nobody came back within the grace').to.equal(1)
  })

  it('runs a repeat afresh when it comes while a cancelled run winds down, instead of inheriting the cancellation', async () => {
    const table = new InvocationTable<string>()
    let runs = 0
    let release = (): void => {}
    // the first run takes a moment to notice its abort (a sandbox being killed)
    const slow = async (signal: AbortSignal): Promise<string> => {
      runs++
      const mine = runs
      return new Promise<string>((resolve, reject) => {
        if (mine > 1) { release = () => { resolve('second') }; return }
        signal.addEventListener('abort', () => { setTimeout(() => { reject(signal.reason) }, 30) }, { once: true })
      })
    }
    const gone = new AbortController()
    const first = table.run('id', FP, slow, { signal: gone.signal })
    await tick()
    gone.abort(new AbortError('client left'))
    await first.catch(() => {})
    const retry = table.run('id', FP, slow)
    await tick(60)
    release()
    expect(await retry).to.equal('second')
    expect(runs).to.equal(2)
  })

  it('aborts what runs with the reason given when the node stops', async () => {
    const table = new InvocationTable<string>()
    const { state, fn } = work('x')
    const run = table.run('id', FP, fn)
    await tick()
    table.abortAll(new Error('stopping'))
    let err: any
    try { await run } catch (e) { err = e }
    expect(err?.message).to.equal('stopping')
    expect(state.aborted).to.equal(1)
  })

  it('stays bounded by count and by bytes, oldest outcomes first, and counts what it forgot early', async () => {
    const forgotten: string[] = []
    const table = new InvocationTable<Uint8Array>({ maxEntries: 10, maxBytes: 1000, sizeOf: (v) => v.byteLength, onForgotten: (r) => { forgotten.push(r) } })
    for (let i = 0; i < 25; i++) await table.run(`n${i}`, FP, async () => new Uint8Array(1))
    expect(table.size).to.equal(10)
    expect(table.has('n24')).to.equal(true)
    expect(table.has('n0')).to.equal(false)
    expect(forgotten.filter((r) => r === 'count')).to.have.length(15)
    for (let i = 0; i < 5; i++) await table.run(`big${i}`, FP, async () => new Uint8Array(400))
    expect(table.has('big4')).to.equal(true)
    expect(table.has('big2')).to.equal(false)
    expect(forgotten).to.include('bytes')
  })

  it('forgets an outcome once its window has passed', async () => {
    const table = new InvocationTable<string>({ windowMs: 30 })
    let runs = 0
    await table.run('id', FP, async () => { runs++; return 'a' })
    await table.run('id', FP, async () => { runs++; return 'a' })
    expect(runs).to.equal(1)
    await tick(50)
    expect(table.has('id')).to.equal(false)
    await table.run('id', FP, async () => { runs++; return 'a' })
    expect(runs).to.equal(2)
  })
})

describe('invocation ids at the entry node', () => {
  /** An invoker whose placement takes `ms` (or until its signal aborts), counting its runs. */
  function entry (ms: number) {
    const placed = { count: 0 }
    const inv = invoker()({
      resolver: { lookup: async (name: string) => name },
      placement: {
        defaultPolicy: 'local',
        async place (cid: string, input: Uint8Array, options: PlaceOptions): Promise<Placed> {
          placed.count++
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, ms)
            options.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(options.signal?.reason) }, { once: true })
          })
          return { id: 'p', output: input, executor: 'self', durationMs: ms, placementMs: 0, cold: false, fetched: false, fuelUsed: 1, bids: { received: 0, asked: 0 } }
        }
      }
    })
    return { inv, placed }
  }

  it('runs an id once for callers at once and after, and answers each with it', async () => {
    const { inv, placed } = entry(20)
    const input = new Uint8Array([7])
    const results = await Promise.all([inv.invoke('f', input, { invocationId: 'k1' }), inv.invoke('f', input, { invocationId: 'k1' })])
    results.push(await inv.invoke('f', input, { invocationId: 'k1' }))
    expect(placed.count).to.equal(1)
    expect(results.map((r) => r.invocationId)).to.deep.equal(['k1', 'k1', 'k1'])
    let err: any
    try { await inv.invoke('f', new Uint8Array([8]), { invocationId: 'k1' }) } catch (e) { err = e }
    expect(err?.name).to.equal('InvocationConflictError')
  })

  it('holds each caller to its own deadline: one that joined a run cut by another caller\'s deadline runs it again', async () => {
    const { inv, placed } = entry(100)
    const input = new Uint8Array([1])
    const [hasty, patient] = await Promise.allSettled([
      inv.invoke('f', input, { invocationId: 'k2', deadlineMs: 20 }),
      inv.invoke('f', input, { invocationId: 'k2' })
    ])
    expect(hasty.status === 'rejected' && hasty.reason.name).to.equal('DeadlineExceededError')
    expect(patient.status, String((patient as any).reason)).to.equal('fulfilled')
    expect(placed.count, 'the first run was cut, the second ran').to.equal(2)

    // and one with a shorter deadline than the run it joins gives up at its own
    const started = performance.now()
    const [slow, short] = await Promise.allSettled([
      inv.invoke('f', input, { invocationId: 'k3' }),
      inv.invoke('f', input, { invocationId: 'k3', deadlineMs: 20 })
    ])
    expect(short.status === 'rejected' && short.reason.name).to.equal('DeadlineExceededError')
    expect(slow.status).to.equal('fulfilled')
    expect(performance.now() - started).to.be.at.least(90)
  })
})
