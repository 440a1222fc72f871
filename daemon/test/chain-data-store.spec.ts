/**
 * Gathering a chain step's input (daemon/src/chains/data.ts) against references a peer sent:
 * its own parts from memory, others' over the chain-data protocol, combined as the spec says,
 * and never more than the node's input cap held, whatever sizes the references claim.
 */
import { expect } from 'chai'
import { defaultLogger } from '@libp2p/logger'
import { ChainDataStore } from '../src/chains/data.js'
import { OutputCache } from '../src/chains/outputs.js'
import type { StepInput } from '../src/chains/data.js'

const SELF = '12D3KooWP29d6wKnQEHJvJYZPjYzGoo3BLtss5B71B38WN4Mvybk'
const OTHER = '12D3KooWJ7VjKpi7yFnNL9fNB5HHHu1vRmUNfHJ2PWSMrKjeCJui'
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

function store (remote: Record<string, Uint8Array>, maxInputBytes = 1024): { data: ChainDataStore, outputs: OutputCache, fetched: string[] } {
  const outputs = new OutputCache()
  const fetched: string[] = []
  const protocol = {
    setSource: () => {},
    fetch: async (_peer: unknown, ref: string) => {
      fetched.push(ref)
      const bytes = remote[ref]
      if (bytes == null) throw Object.assign(new Error('not here'), { name: 'ChainDataNotFoundError' })
      return bytes
    }
  }
  return { data: new ChainDataStore({ self: SELF, maxInputBytes, outputs, protocol, log: defaultLogger().forComponent('test') }), outputs, fetched }
}

async function error (p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err: any) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('chains: gathering a step\'s input', function () {
  it('takes its own parts from memory and others\' from their producers, and combines several as JSON', async function () {
    const { data, outputs, fetched } = store({ r2: text('{"n":2}') })
    data.keep('r1', text('[1]'))
    expect(outputs.get('r1')).to.deep.equal(text('[1]'))
    const inputs: StepInput[] = [{ peer: SELF, ref: 'r1', step: 'a', bytes: 3 }, { peer: OTHER, ref: 'r2', step: 'b', bytes: 7 }]
    const gathered = await data.gather(inputs)
    expect(new TextDecoder().decode(gathered.input)).to.equal('{"a":[1],"b":{"n":2}}')
    expect(gathered.moved).to.equal(7)
    expect(fetched).to.deep.equal(['r2'])
    const one = await data.gather([{ peer: OTHER, ref: 'r2', step: 'b', bytes: 7 }])
    expect(one.input).to.deep.equal(text('{"n":2}'))
  })

  it('refuses references that claim more than the input cap before fetching anything', async function () {
    const { data, fetched } = store({ big: new Uint8Array(600) }, 1024)
    const inputs = [{ peer: OTHER, ref: 'big', step: 'a', bytes: 600 }, { peer: OTHER, ref: 'big', step: 'b', bytes: 600 }]
    expect((await error(data.gather(inputs))).name).to.equal('PayloadTooLargeError')
    expect(fetched).to.deep.equal([])
  })

  it('stops at the cap when the parts are larger than their references said', async function () {
    const { data, fetched } = store(Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`r${i}`, new Uint8Array(300)])), 1024)
    const inputs = Array.from({ length: 16 }, (_, i) => ({ peer: OTHER, ref: `r${i}`, step: `s${i}`, bytes: 1 }))
    expect((await error(data.gather(inputs))).name).to.equal('PayloadTooLargeError')
    // a few at a time: it stopped long before fetching all sixteen
    expect(fetched.length).to.be.lessThan(9)
  })

  it('names a part that is gone: not kept here, or not held by its producer', async function () {
    const { data } = store({})
    expect((await error(data.gather([{ peer: SELF, ref: 'gone', step: 'a', bytes: 1 }]))).name).to.equal('ChainDataUnavailableError')
    expect((await error(data.gather([{ peer: OTHER, ref: 'gone', step: 'a', bytes: 1 }]))).name).to.equal('ChainDataUnavailableError')
    expect((await error(data.gather([{ peer: 'not-a-peer', ref: 'x', step: 'a', bytes: 1 }]))).name).to.equal('ChainDataUnavailableError')
  })

  it('refuses to combine parts that are not JSON', async function () {
    const { data } = store({ r1: text('plain'), r2: text('{}') })
    const err = await error(data.gather([{ peer: OTHER, ref: 'r1', step: 'a', bytes: 5 }, { peer: OTHER, ref: 'r2', step: 'b', bytes: 2 }]))
    expect(err.name).to.equal('InvalidChainError')
    expect(err.message).to.include('"a"')
  })
})
