import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import {
  MAX_CHAIN_SPEC_BYTES, MAX_CHAIN_STEPS, STEP_ID_PATTERN, canonicalChainBytes, chainCidOf, isChainCid, parseChainCid,
  parseChainSpec, sinks, successors, topologicalOrder, validateChainSpec
} from '../src/chains/spec.js'
import { cidOf, parseFunctionCid } from '../src/store/cid.js'
import type { ChainSpec } from '../src/chains/spec.js'

const PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const enc = (text: string): Uint8Array => new TextEncoder().encode(text)
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const steps = (...list: unknown[]): unknown => ({ steps: list })

/** The message of the InvalidChainError that `fn` throws. */
function failure (fn: () => unknown): string {
  try {
    fn()
  } catch (err: any) {
    expect(err.name).to.equal('InvalidChainError')
    return err.message
  }
  expect.fail('no InvalidChainError')
}

const EXAMPLE = {
  description: 'sensor pipeline',
  steps: [
    { id: 'parse', fn: 'sensor-parse' },
    { id: 'baseline', fn: 'sensor-baseline', after: ['parse'], state: true },
    { id: 'alert', fn: 'threshold', after: ['baseline'] }
  ]
}

const EXAMPLE_YAML = `
# the same chain, keys in another order
steps:
  - fn: sensor-parse
    id: parse
  - id: baseline
    state: true
    after: [parse]
    fn: sensor-baseline
  - after:
      - baseline
    id: alert
    fn: threshold
description: sensor pipeline
`

describe('chain spec', function () {
  describe('parsing and normalising', function () {
    it('reads the JSON form and fills in after [] and state false', function () {
      expect(parseChainSpec(enc(JSON.stringify(EXAMPLE)))).to.deep.equal({
        description: 'sensor pipeline',
        steps: [
          { id: 'parse', fn: 'sensor-parse', after: [], state: false },
          { id: 'baseline', fn: 'sensor-baseline', after: ['parse'], state: true },
          { id: 'alert', fn: 'threshold', after: ['baseline'], state: false }
        ]
      })
    })

    it('reads YAML to the same spec, canonical bytes and CID as JSON', async function () {
      const fromJson = parseChainSpec(enc(JSON.stringify(EXAMPLE)))
      const fromYaml = parseChainSpec(enc(EXAMPLE_YAML))
      expect(fromYaml).to.deep.equal(fromJson)
      expect(canonicalChainBytes(fromYaml)).to.deep.equal(canonicalChainBytes(fromJson))
      expect(await chainCidOf(canonicalChainBytes(fromYaml))).to.equal(await chainCidOf(canonicalChainBytes(fromJson)))
    })

    it('writes one canonical form: fixed key order, no spaces, description only when given', function () {
      const spec = validateChainSpec({ steps: [{ state: true, after: [], fn: 'b', id: 'a' }] })
      expect(dec(canonicalChainBytes(spec))).to.equal('{"steps":[{"id":"a","fn":"b","after":[],"state":true}]}')
      expect(dec(canonicalChainBytes({ ...spec, description: '' }))).to.equal('{"description":"","steps":[{"id":"a","fn":"b","after":[],"state":true}]}')
      // canonical bytes parse back to themselves
      const bytes = canonicalChainBytes(parseChainSpec(enc(EXAMPLE_YAML)))
      expect(canonicalChainBytes(parseChainSpec(bytes))).to.deep.equal(bytes)
    })

    it('keeps the steps and each after list in the order given', function () {
      const spec = validateChainSpec(steps({ id: 'z', fn: 'f' }, { id: 'a', fn: 'f' }, { id: 'm', fn: 'f', after: ['z', 'a'] }))
      expect(spec.steps.map((s) => s.id)).to.deep.equal(['z', 'a', 'm'])
      expect(spec.steps[2]!.after).to.deep.equal(['z', 'a'])
    })

    it('takes fn as a name, publisher/name or function CID, each in canonical form', async function () {
      const fnCid = await cidOf(enc('some module'))
      const base58 = CID.parse(fnCid).toString((await import('multiformats/bases/base58')).base58btc)
      const spec = validateChainSpec(steps({ id: 'a', fn: 'hello' }, { id: 'b', fn: `${PEER}/hello` }, { id: 'c', fn: fnCid }, { id: 'd', fn: base58 }))
      expect(spec.steps.map((s) => s.fn)).to.deep.equal(['hello', `${PEER}/hello`, fnCid, fnCid])
    })

    it('does not alias the caller\'s after lists', function () {
      const after = ['a']
      const spec = validateChainSpec(steps({ id: 'a', fn: 'f' }, { id: 'b', fn: 'f', after }))
      after.push('x')
      expect(spec.steps[1]!.after).to.deep.equal(['a'])
    })
  })

  describe('rules, each problem named by its path', function () {
    const golden: Array<[string, unknown, string]> = [
      ['a list', [], 'chain: expected a mapping, got a list'],
      ['a scalar', 'steps', 'chain: expected a mapping, got "steps"'],
      ['null', null, 'chain: expected a mapping, got null'],
      ['an unknown top-level field', { steps: [{ id: 'a', fn: 'f' }], name: 'x' }, 'name: unknown field'],
      ['an unknown step field', steps({ id: 'a', fn: 'f', retries: 3 }), 'steps[0].retries: unknown field'],
      ['a __proto__ field', JSON.parse('{"steps":[{"id":"a","fn":"f"}],"__proto__":{"x":1}}'), '__proto__: unknown field'],
      ['a description that is no string', { description: 5, steps: [{ id: 'a', fn: 'f' }] }, 'description: expected a string, got 5'],
      ['a description over 500 characters', { description: 'x'.repeat(501), steps: [{ id: 'a', fn: 'f' }] }, 'description: at most 500 characters, got 501'],
      ['no steps', {}, 'steps: expected a list of 1 to 64 steps, got nothing'],
      ['steps as a mapping', { steps: { id: 'a' } }, 'steps: expected a list of 1 to 64 steps, got a mapping'],
      ['zero steps', { steps: [] }, 'steps: expected 1 to 64 steps, got 0'],
      ['a step that is no mapping', steps('a'), 'steps[0]: expected a mapping, got "a"'],
      ['an id with capitals', steps({ id: 'Parse', fn: 'f' }), 'steps[0].id: expected 1-32 characters a-z, 0-9 and \'-\', got "Parse"'],
      ['an id of 33 characters', steps({ id: 'a'.repeat(33), fn: 'f' }), `steps[0].id: expected 1-32 characters a-z, 0-9 and '-', got "${'a'.repeat(33)}"`],
      ['no id', steps({ fn: 'f' }), 'steps[0].id: expected 1-32 characters a-z, 0-9 and \'-\', got nothing'],
      ['a duplicate id', steps({ id: 'a', fn: 'f' }, { id: 'a', fn: 'g' }), 'steps[1].id: duplicate id "a" (also steps[0])'],
      ['no fn', steps({ id: 'a' }), 'steps[0].fn: expected a function name, publisher/name or function CID, got nothing'],
      ['a bad function name', steps({ id: 'a', fn: '-Hello' }), 'steps[0].fn: expected a function name, publisher/name or function CID, got "-Hello"'],
      ['a publisher that is no peer id', steps({ id: 'a', fn: 'alice/hello' }), 'steps[0].fn: "alice" is not a peer id'],
      ['publisher/name with a bad name', steps({ id: 'a', fn: `${PEER}/Hello` }), `steps[0].fn: expected a function name, publisher/name or function CID, got "${PEER}/Hello"`],
      ['fn as a number', steps({ id: 'a', fn: 7 }), 'steps[0].fn: expected a function name, publisher/name or function CID, got 7'],
      ['after that is no list', steps({ id: 'a', fn: 'f' }, { id: 'b', fn: 'f', after: 'a' }), 'steps[1].after: expected a list of step ids, got "a"'],
      ['an after entry that is no string', steps({ id: 'a', fn: 'f', after: [1] }), 'steps[0].after[0]: expected a step id, got 1'],
      ['an unknown step in after', steps({ id: 'a', fn: 'f' }, { id: 'b', fn: 'f' }, { id: 'c', fn: 'f', after: ['x'] }), 'steps[2].after[0]: unknown step "x"'],
      ['a duplicate in after', steps({ id: 'a', fn: 'f' }, { id: 'b', fn: 'f', after: ['a', 'a'] }), 'steps[1].after[1]: duplicate "a" (also steps[1].after[0])'],
      ['a step after itself', steps({ id: 'a', fn: 'f', after: ['a'] }), 'steps[0].after[0]: a step cannot come after itself'],
      ['state that is no boolean', steps({ id: 'a', fn: 'f', state: 'yes' }), 'steps[0].state: expected true or false, got "yes"'],
      ['a two-step cycle', steps({ id: 'a', fn: 'f', after: ['b'] }, { id: 'b', fn: 'f', after: ['a'] }), 'steps: cycle a -> b -> a'],
      ['a cycle behind an entry step', steps({ id: 'in', fn: 'f' }, { id: 'x', fn: 'f', after: ['in', 'z'] }, { id: 'y', fn: 'f', after: ['x'] }, { id: 'z', fn: 'f', after: ['y'] }),
        'steps: cycle x -> y -> z -> x']
    ]
    for (const [what, value, message] of golden) {
      it(`refuses ${what}`, function () {
        expect(failure(() => validateChainSpec(value))).to.equal(message)
      })
    }

    it('names every separate cycle', function () {
      const spec = steps(
        { id: 'a', fn: 'f', after: ['b'] }, { id: 'b', fn: 'f', after: ['a'] },
        { id: 'c', fn: 'f', after: ['e'] }, { id: 'd', fn: 'f', after: ['c'] }, { id: 'e', fn: 'f', after: ['d'] }
      )
      expect(failure(() => validateChainSpec(spec))).to.equal('steps: cycle a -> b -> a; steps: cycle c -> d -> e -> c')
    })

    it('reports every problem at once, joined with "; "', function () {
      const message = failure(() => validateChainSpec({
        description: 1,
        extra: true,
        steps: [
          { id: 'a', fn: 'f', after: ['b'] },
          { id: 'b', fn: 'f', after: ['a', 'nope'] },
          { id: 'a', fn: 'Bad', state: 1 }
        ]
      }))
      expect(message.split('; ').sort()).to.deep.equal([
        'description: expected a string, got 1',
        'extra: unknown field',
        'steps: cycle a -> b -> a',
        'steps[1].after[1]: unknown step "nope"',
        'steps[2].fn: expected a function name, publisher/name or function CID, got "Bad"',
        'steps[2].id: duplicate id "a" (also steps[0])',
        'steps[2].state: expected true or false, got 1'
      ])
    })

    it('lists at most 100 problems and counts the rest', function () {
      const many = Array.from({ length: 150 }, () => ({ id: 'X' }))
      const message = failure(() => validateChainSpec({ steps: many }))
      const parts = message.split('; ')
      expect(parts).to.have.length(101)
      // 1 count + 150 bad ids + 150 missing fns
      expect(parts.at(-1)).to.equal('and 201 more problems')
    })

    it('takes 64 steps, refuses 65', function () {
      const chain = (n: number): unknown => steps(...Array.from({ length: n }, (_, i) => ({ id: `s${i}`, fn: 'f', after: i === 0 ? [] : [`s${i - 1}`] })))
      expect(validateChainSpec(chain(MAX_CHAIN_STEPS)).steps).to.have.length(64)
      expect(failure(() => validateChainSpec(chain(MAX_CHAIN_STEPS + 1)))).to.equal('steps: expected 1 to 64 steps, got 65')
    })

    it('takes 64 after entries, refuses 65', function () {
      const roots = Array.from({ length: 65 }, (_, i) => ({ id: `r${i}`, fn: 'f' }))
      const ids = roots.map((r) => r.id)
      expect(validateChainSpec({ steps: [...roots.slice(0, 63), { id: 'end', fn: 'f', after: ids.slice(0, 63) }] }).steps[63]!.after).to.have.length(63)
      // 65 steps and 65 entries: both caps named
      expect(failure(() => validateChainSpec({ steps: [...roots, { id: 'end', fn: 'f', after: ids }] })))
        .to.equal('steps: expected 1 to 64 steps, got 66; steps[65].after: at most 64 entries, got 65')
    })

    it('reads only a mapping\'s own fields, never its prototype\'s', function () {
      expect(failure(() => validateChainSpec(Object.create({ steps: [{ id: 'a', fn: 'f' }] }))))
        .to.equal('steps: expected a list of 1 to 64 steps, got nothing')
    })

    it('refuses a chain CID as a step\'s function', async function () {
      const chainCid = await chainCidOf(enc('{}'))
      expect(failure(() => validateChainSpec(steps({ id: 'a', fn: chainCid })))).to.equal(`steps[0].fn: "${chainCid}" is a chain, not a function`)
    })

    it('STEP_ID_PATTERN is [a-z0-9-]{1,32}', function () {
      expect(['a', '0', 'parse-2', 'x'.repeat(32)].every((id) => STEP_ID_PATTERN.test(id))).to.equal(true)
      expect(['', 'A', 'a_b', 'a.b', 'x'.repeat(33)].some((id) => STEP_ID_PATTERN.test(id))).to.equal(false)
    })
  })

  describe('bytes in', function () {
    it('checks the size before parsing: one byte over 64 KiB is refused, exactly 64 KiB passes', function () {
      const valid = JSON.stringify(steps({ id: 'a', fn: 'f' }))
      expect(parseChainSpec(enc(valid.padEnd(MAX_CHAIN_SPEC_BYTES, ' '))).steps).to.have.length(1)
      expect(failure(() => parseChainSpec(enc(valid.padEnd(MAX_CHAIN_SPEC_BYTES + 1, ' ')))))
        .to.equal(`chain: the spec is ${MAX_CHAIN_SPEC_BYTES + 1} bytes; the limit is ${MAX_CHAIN_SPEC_BYTES}`)
      // garbage over the limit is refused for its size, not parsed
      expect(failure(() => parseChainSpec(new Uint8Array(MAX_CHAIN_SPEC_BYTES + 1).fill(0xff)))).to.match(/^chain: the spec is 65537 bytes/)
    })

    it('refuses bytes that are not UTF-8, neither JSON nor YAML, or not a mapping', function () {
      expect(failure(() => parseChainSpec(new Uint8Array([0x7b, 0xff, 0x7d])))).to.equal('chain: the spec is not UTF-8 text')
      expect(failure(() => parseChainSpec(enc('steps: [a, b')))).to.match(/^chain: neither JSON nor YAML: /)
      expect(failure(() => parseChainSpec(enc('a: 1\na: 2\n')))).to.match(/^chain: neither JSON nor YAML: Map keys must be unique/)
      expect(failure(() => parseChainSpec(enc('steps: []\n---\nsteps: []\n')))).to.match(/^chain: neither JSON nor YAML: /)
      expect(failure(() => parseChainSpec(enc('just text')))).to.equal('chain: expected a mapping, got "just text"')
      expect(failure(() => parseChainSpec(enc('')))).to.equal('chain: expected a mapping, got null')
      expect(failure(() => parseChainSpec(enc('[1, 2]')))).to.equal('chain: expected a mapping, got a list')
    })

    it('refuses a YAML alias bomb', function () {
      // 10^4 leaves: small enough to expand if the alias cap were lifted, so the test fails rather than hangs
      const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
      for (let i = 1; i < 4; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)
      expect(failure(() => parseChainSpec(enc(lines.join('\n'))))).to.match(/^chain: neither JSON nor YAML: /)
    })

    it('YAML booleans are true and false only: "yes" is refused', function () {
      expect(failure(() => parseChainSpec(enc('steps:\n  - id: a\n    fn: f\n    state: yes\n')))).to.equal('steps[0].state: expected true or false, got "yes"')
    })
  })

  describe('chain CIDs', function () {
    it('are CIDv1, json codec (0x0200), sha2-256 of the canonical bytes', async function () {
      const bytes = canonicalChainBytes(parseChainSpec(enc(JSON.stringify(EXAMPLE))))
      const cid = CID.parse(await chainCidOf(bytes))
      expect(cid.version).to.equal(1)
      expect(cid.code).to.equal(0x0200)
      expect(cid.multihash.code).to.equal(0x12)
    })

    it('are told apart from function CIDs by their codec alone', async function () {
      const bytes = canonicalChainBytes(parseChainSpec(enc(JSON.stringify(EXAMPLE))))
      const chainCid = await chainCidOf(bytes)
      const fnCid = await cidOf(bytes)
      expect(CID.parse(chainCid).multihash.bytes).to.deep.equal(CID.parse(fnCid).multihash.bytes)
      expect(parseFunctionCid(chainCid)).to.equal(undefined)
      expect(isChainCid(chainCid)).to.equal(true)
      expect(parseChainCid(fnCid)).to.equal(undefined)
      expect(isChainCid(fnCid)).to.equal(false)
    })

    it('parseChainCid gives the canonical string, and undefined for names and junk', async function () {
      const chainCid = await chainCidOf(enc('{}'))
      const base58 = CID.parse(chainCid).toString((await import('multiformats/bases/base58')).base58btc)
      expect(base58).to.not.equal(chainCid)
      expect(parseChainCid(base58)).to.equal(chainCid)
      for (const text of ['hello', 'sensor-stats', 'x'.repeat(60), `${chainCid}x`, '']) expect(parseChainCid(text)).to.equal(undefined)
    })
  })

  describe('graph', function () {
    // written backwards on purpose: the order comes from `after`, ties from the spec
    const diamond: ChainSpec = validateChainSpec(steps(
      { id: 'join', fn: 'f', after: ['left', 'right'] },
      { id: 'right', fn: 'f', after: ['src'] },
      { id: 'left', fn: 'f', after: ['src'] },
      { id: 'src', fn: 'f' }
    ))

    it('orders a diamond: source, its two branches in spec order, then the join', function () {
      expect(topologicalOrder(diamond).map((s) => s.id)).to.deep.equal(['src', 'right', 'left', 'join'])
    })

    it('keeps spec order for independent steps', function () {
      const spec = validateChainSpec(steps({ id: 'b', fn: 'f' }, { id: 'a', fn: 'f' }, { id: 'c', fn: 'f', after: ['a'] }))
      expect(topologicalOrder(spec).map((s) => s.id)).to.deep.equal(['b', 'a', 'c'])
    })

    it('refuses a hand-built cycle', function () {
      const spec: ChainSpec = { steps: [{ id: 'a', fn: 'f', after: ['b'], state: false }, { id: 'b', fn: 'f', after: ['a'], state: false }] }
      expect(failure(() => topologicalOrder(spec))).to.equal('steps: the chain has a cycle')
    })

    it('finds sinks and successors', function () {
      expect(sinks(diamond).map((s) => s.id)).to.deep.equal(['join'])
      expect(successors(diamond, 'src').map((s) => s.id)).to.deep.equal(['right', 'left'])
      expect(successors(diamond, 'join')).to.deep.equal([])
      const two = validateChainSpec(steps({ id: 'a', fn: 'f' }, { id: 'b', fn: 'f', after: ['a'] }, { id: 'c', fn: 'f', after: ['a'] }))
      expect(sinks(two).map((s) => s.id)).to.deep.equal(['b', 'c'])
    })
  })
})
