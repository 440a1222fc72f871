/**
 * The gateway's side of stateful invocations (DESIGN.md section 10): the state headers are
 * checked before anything runs, each bad one refused by name, and what passes reaches the
 * invoker as a state spec; the state routes.
 */
import { expect } from 'chai'
import { encodeClientState } from '../src/state/index.js'
import { startStubGateway } from './gateway-stub.js'
import type { Gateway } from '../src/gateway/index.js'
import type { InvocationOptions } from '../src/invoker/index.js'
import type { StateModel, StateView } from '../src/state/index.js'

describe('gateway: stateful invocations', function () {
  let gw: Gateway
  const invoked: InvocationOptions[] = []
  const removed: string[] = []

  before(async function () {
    gw = await startStubGateway({}, {
      onInvoke: (options) => invoked.push(options),
      state: {
        defaultModel: 'in-function',
        offers: (model: StateModel) => model !== 'external',
        view: async (model: StateModel, key: string): Promise<StateView | undefined> => key === 'known' ? { version: 3, entries: new Map([['count', new TextEncoder().encode('3')]]), home: `home-of-${model}` } : undefined,
        remove: async (_model: StateModel, key: string) => { removed.push(key); return key === 'known' }
      }
    })
  })

  after(async function () {
    await gw.stop()
  })

  async function invoke (headers: Record<string, string>): Promise<{ status: number, name?: string }> {
    invoked.length = 0
    const res = await fetch(`${gw.url}/v1/invoke/counter`, { method: 'POST', body: 'x', headers, signal: AbortSignal.timeout(10_000) })
    const text = await res.text()
    return { status: res.status, name: res.ok ? undefined : JSON.parse(text).error.name }
  }

  it('passes the key and model on; the default model when none is named', async function () {
    expect((await invoke({ 'x-faasmesh-state-key': 'dev-1:temp' })).status).to.equal(200)
    expect(invoked[0]?.state).to.deep.equal({ key: 'dev-1:temp', model: 'in-function' })
    const envelope = Buffer.from(encodeClientState({ version: 2, entries: new Map() })).toString('base64')
    expect((await invoke({ 'x-faasmesh-state-key': 'me', 'x-faasmesh-state-model': 'in-client', 'x-faasmesh-state': envelope })).status).to.equal(200)
    expect(invoked[0]?.state?.model).to.equal('in-client')
    expect(Buffer.from(invoked[0]!.state!.clientState!).toString('base64')).to.equal(envelope)
    expect((await invoke({})).status).to.equal(200)
    expect(invoked[0]?.state).to.equal(undefined)
  })

  it('refuses bad state headers by name, before anything runs', async function () {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ 'x-faasmesh-state-key': 'a/b' }, 400, 'InvalidStateKeyError'],
      [{ 'x-faasmesh-state-key': 'x'.repeat(129) }, 400, 'InvalidStateKeyError'],
      [{ 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'in-cloud' }, 400, 'UnsupportedStateModelError'],
      [{ 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'external' }, 400, 'UnsupportedStateModelError'],
      [{ 'x-faasmesh-state-model': 'in-edge' }, 400, 'InvalidParametersError'],
      [{ 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'in-edge', 'x-faasmesh-state': 'AAAA' }, 400, 'InvalidParametersError'],
      [{ 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'in-client', 'x-faasmesh-state': 'not base64!' }, 400, 'InvalidStateError'],
      [{ 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'in-client', 'x-faasmesh-state': 'AAAAAAAAAAAAAAAA' }, 400, 'InvalidStateError'],
      [{ 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'in-client', 'x-faasmesh-state': 'A'.repeat(70_000) }, 413, 'StateTooLargeError']
    ]
    for (const [headers, status, name] of cases) {
      const answer = await invoke(headers)
      expect(answer, JSON.stringify(headers).slice(0, 120)).to.deep.equal({ status, name })
      expect(invoked, 'nothing ran').to.have.length(0)
    }
    // past what Node reads at all: 431, still named
    const huge = await invoke({ 'x-faasmesh-state-key': 'k', 'x-faasmesh-state-model': 'in-client', 'x-faasmesh-state': 'A'.repeat(120_000) })
    expect(huge).to.deep.equal({ status: 431, name: 'RequestHeadersTooLargeError' })
  })

  it('GET and DELETE /v1/state/:key answer the state, 404 for none, 400 for in-client and bad keys', async function () {
    const res = await fetch(`${gw.url}/v1/state/known?model=in-edge`)
    expect(res.status).to.equal(200)
    expect(await res.json()).to.deep.equal({ model: 'in-edge', version: 3, home: 'home-of-in-edge', entries: { count: Buffer.from('3').toString('base64') } })
    expect((await fetch(`${gw.url}/v1/state/known`).then(async (r) => r.json())).model).to.equal('in-function')
    expect((await fetch(`${gw.url}/v1/state/unknown?model=in-edge`)).status).to.equal(404)
    expect((await fetch(`${gw.url}/v1/state/known?model=in-client`)).status).to.equal(400)
    const bad = await fetch(`${gw.url}/v1/state/${encodeURIComponent('a b')}?model=in-edge`)
    expect(bad.status).to.equal(400)
    expect((await bad.json()).error.name).to.equal('InvalidStateKeyError')
    const deleted = await fetch(`${gw.url}/v1/state/known?model=in-edge`, { method: 'DELETE' })
    expect(deleted.status).to.equal(200)
    expect(await deleted.json()).to.deep.equal({ model: 'in-edge', key: 'known', removed: true })
    expect((await fetch(`${gw.url}/v1/state/gone?model=in-edge`, { method: 'DELETE' })).status).to.equal(404)
    // a cross-site page may not delete state
    const forged = await fetch(`${gw.url}/v1/state/known?model=in-edge`, { method: 'DELETE', headers: { origin: 'http://evil.example' } })
    expect(forged.status).to.equal(403)
    expect(removed).to.deep.equal(['known', 'gone'])
  })
})
