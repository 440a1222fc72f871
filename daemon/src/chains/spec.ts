/**
 * Chain specs (DESIGN.md section 11): a small DAG of functions, read from JSON or YAML, checked
 * field by field with every problem named by its path (the way testbed/src/scenario.ts does),
 * and written back in one canonical JSON form whose CID (json codec) names the chain.
 */
import { createRequire } from 'node:module'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as json from 'multiformats/codecs/json'
import { sha256 } from 'multiformats/hashes/sha2'
import { InvalidChainError } from '../errors.js'
import { parseFunctionCid } from '../store/cid.js'
import { FUNCTION_NAME_PATTERN } from '../store/constants.js'

/** The YAML parser, loaded with the first YAML spec: ~7 MiB resident a daemon that is sent none never needs. */
let parseYaml: typeof import('yaml').parse | undefined
function yamlParse (): typeof import('yaml').parse {
  parseYaml ??= (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse
  return parseYaml
}

export interface ChainStep {
  /** Unique in its chain, `STEP_ID_PATTERN`. */
  id: string
  /** A function name, `publisher/name` or a function CID. */
  fn: string
  /** The steps whose output this step takes; empty: the step takes the chain's input. */
  after: string[]
  /** The step runs on the request's state, under key `<request key>:<step id>`. */
  state: boolean
}

export interface ChainSpec {
  description?: string
  steps: ChainStep[]
}

/** A chain runs every step as its own placed invocation: 64 bounds the work one request can fan out to. */
export const MAX_CHAIN_STEPS = 64
/** 64 steps with long `publisher/name` functions and full `after` lists fit well under this. */
export const MAX_CHAIN_SPEC_BYTES = 64 * 1024
export const MAX_DESCRIPTION_CHARS = 500
export const STEP_ID_PATTERN = /^[a-z0-9-]{1,32}$/

/** A 64 KiB hostile spec can hold thousands of faults: the message lists this many, then counts the rest. */
const MAX_REPORTED_PROBLEMS = 100
/** A sha2-256 CIDv1 is at least this long in any multibase: shorter text is no CID (no parse, no throw). */
const MIN_CID_LENGTH = 48
const TOP_FIELDS = new Set(['description', 'steps'])
const STEP_FIELDS = new Set(['id', 'fn', 'after', 'state'])

/** Parses JSON if the text is JSON, else YAML; throws `InvalidChainError` for anything but a valid spec. */
export function parseChainSpec (bytes: Uint8Array): ChainSpec {
  if (bytes.byteLength > MAX_CHAIN_SPEC_BYTES) {
    throw new InvalidChainError(`chain: the spec is ${bytes.byteLength} bytes; the limit is ${MAX_CHAIN_SPEC_BYTES}`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new InvalidChainError('chain: the spec is not UTF-8 text')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    try {
      // 'error': warnings would go to the console ('silent' would drop errors too); the alias cap stops alias bombs
      value = yamlParse()(text, { logLevel: 'error', maxAliasCount: 100 })
    } catch (err: any) {
      throw new InvalidChainError(`chain: neither JSON nor YAML: ${String(err?.message ?? err).split('\n')[0]?.replace(/:\s*$/, '').slice(0, 200)}`)
    }
  }
  return validateChainSpec(value)
}

/** Checks a parsed spec; returns it normalised (`after` [] and `state` false when absent). */
export function validateChainSpec (value: unknown): ChainSpec {
  const errors: string[] = []
  const doc = mapping(value, 'chain', TOP_FIELDS, '', errors)
  const spec: ChainSpec = { steps: [] }
  const description = field(doc, 'description')
  if (description !== undefined) {
    if (typeof description !== 'string') errors.push(`description: expected a string, got ${show(description)}`)
    else if (description.length > MAX_DESCRIPTION_CHARS) errors.push(`description: at most ${MAX_DESCRIPTION_CHARS} characters, got ${description.length}`)
    else spec.description = description
  }
  const rawSteps = field(doc, 'steps')
  if (!Array.isArray(rawSteps)) {
    if (doc != null) errors.push(`steps: expected a list of 1 to ${MAX_CHAIN_STEPS} steps, got ${show(rawSteps)}`)
  } else {
    if (rawSteps.length < 1 || rawSteps.length > MAX_CHAIN_STEPS) errors.push(`steps: expected 1 to ${MAX_CHAIN_STEPS} steps, got ${rawSteps.length}`)
    spec.steps = rawSteps.map((s, i) => step(s, `steps[${i}]`, errors))
    checkGraph(spec.steps, errors)
  }
  if (errors.length > 0) throw new InvalidChainError(report(errors))
  return spec
}

/** One JSON form per spec (fixed key order, no spaces), so equal specs hash to one CID. */
export function canonicalChainBytes (spec: ChainSpec): Uint8Array {
  const steps = spec.steps.map((s) => ({ id: s.id, fn: s.fn, after: [...s.after], state: s.state }))
  const doc = spec.description === undefined ? { steps } : { description: spec.description, steps }
  return new TextEncoder().encode(JSON.stringify(doc))
}

/** CIDv1, json codec, sha2-256: the codec alone tells a chain from a function (raw codec). */
export async function chainCidOf (bytes: Uint8Array): Promise<string> {
  return CID.createV1(json.code, await sha256.digest(bytes)).toString()
}

/** The canonical string of `text` if it is a chain CID (CIDv1, json, sha2-256), else undefined. */
export function parseChainCid (text: string): string | undefined {
  if (text.length < MIN_CID_LENGTH) return undefined
  try {
    const cid = CID.parse(text)
    if (cid.version !== 1 || cid.code !== json.code || cid.multihash.code !== sha256.code) return undefined
    return cid.toString()
  } catch {
    return undefined
  }
}

export function isChainCid (cid: string): boolean {
  return parseChainCid(cid) !== undefined
}

/** Steps ordered so each comes after its predecessors; ties keep the spec's order. */
export function topologicalOrder (spec: ChainSpec): ChainStep[] {
  const done = new Set<string>()
  const order: ChainStep[] = []
  while (order.length < spec.steps.length) {
    const next = spec.steps.find((s) => !done.has(s.id) && s.after.every((p) => done.has(p)))
    // only a spec built by hand gets here: validateChainSpec refuses cycles
    if (next == null) throw new InvalidChainError('steps: the chain has a cycle')
    done.add(next.id)
    order.push(next)
  }
  return order
}

/** Steps no other step comes after: the chain's output is theirs. */
export function sinks (spec: ChainSpec): ChainStep[] {
  const used = new Set(spec.steps.flatMap((s) => s.after))
  return spec.steps.filter((s) => !used.has(s.id))
}

/** Steps that list `id` in their `after`, in spec order. */
export function successors (spec: ChainSpec, id: string): ChainStep[] {
  return spec.steps.filter((s) => s.after.includes(id))
}

function step (value: unknown, path: string, errors: string[]): ChainStep {
  const r = mapping(value, path, STEP_FIELDS, path, errors)
  const id = field(r, 'id')
  if (r != null && (typeof id !== 'string' || !STEP_ID_PATTERN.test(id))) {
    errors.push(`${path}.id: expected 1-32 characters a-z, 0-9 and '-', got ${show(id)}`)
  }
  const fn = field(r, 'fn')
  const canonicalFn = r == null ? undefined : functionRef(fn, `${path}.fn`, errors)
  const after = field(r, 'after')
  if (after !== undefined && !Array.isArray(after)) errors.push(`${path}.after: expected a list of step ids, got ${show(after)}`)
  else if (Array.isArray(after) && after.length > MAX_CHAIN_STEPS) errors.push(`${path}.after: at most ${MAX_CHAIN_STEPS} entries, got ${after.length}`)
  const state = field(r, 'state')
  if (state !== undefined && typeof state !== 'boolean') errors.push(`${path}.state: expected true or false, got ${show(state)}`)
  return {
    id: typeof id === 'string' ? id : '',
    fn: canonicalFn ?? '',
    after: Array.isArray(after) ? [...after] : [],
    state: state === true
  }
}

/** Checks `fn`; returns it in canonical form (a CID's canonical string, the publisher's usual peer id). */
function functionRef (fn: unknown, path: string, errors: string[]): string | undefined {
  if (typeof fn === 'string') {
    // CIDs first: a base32 CID is also a well-formed name
    const cid = parseFunctionCid(fn)
    if (cid !== undefined) return cid
    if (isChainCid(fn)) {
      errors.push(`${path}: ${show(fn)} is a chain, not a function`)
      return undefined
    }
    if (FUNCTION_NAME_PATTERN.test(fn)) return fn
    const slash = fn.indexOf('/')
    if (slash > 0 && FUNCTION_NAME_PATTERN.test(fn.slice(slash + 1))) {
      try {
        return `${peerIdFromString(fn.slice(0, slash)).toString()}/${fn.slice(slash + 1)}`
      } catch {
        errors.push(`${path}: ${show(fn.slice(0, slash))} is not a peer id`)
        return undefined
      }
    }
  }
  errors.push(`${path}: expected a function name, publisher/name or function CID, got ${show(fn)}`)
  return undefined
}

/** `after` entries (known, not repeated, not the step itself) and cycles, over well-formed ids. */
function checkGraph (steps: ChainStep[], errors: string[]): void {
  const index = new Map<string, number>()
  steps.forEach((s, i) => {
    if (!STEP_ID_PATTERN.test(s.id)) return
    const first = index.get(s.id)
    if (first !== undefined) errors.push(`steps[${i}].id: duplicate id ${show(s.id)} (also steps[${first}])`)
    else index.set(s.id, i)
  })
  const edges: number[][] = steps.map(() => [])
  steps.forEach((s, i) => {
    const seen = new Map<string, number>()
    s.after.forEach((p, j) => {
      const path = `steps[${i}].after[${j}]`
      if (typeof p !== 'string') return errors.push(`${path}: expected a step id, got ${show(p)}`)
      const earlier = seen.get(p)
      if (earlier !== undefined) return errors.push(`${path}: duplicate ${show(p)} (also steps[${i}].after[${earlier}])`)
      seen.set(p, j)
      if (p === s.id) return errors.push(`${path}: a step cannot come after itself`)
      const from = index.get(p)
      if (from === undefined) return errors.push(`${path}: unknown step ${show(p)}`)
      edges[from]!.push(i)
    })
  })
  for (const cycle of cycles(edges)) errors.push(`steps: cycle ${cycle.map((i) => steps[i]!.id).join(' -> ')}`)
}

/**
 * One cycle per strongly connected component (Tarjan), each from its earliest step back to it
 * along the shortest path: every separate loop is named once, without listing every path.
 */
function cycles (edges: number[][]): number[][] {
  const order: number[] = new Array(edges.length).fill(-1)
  const low: number[] = new Array(edges.length).fill(0)
  const onStack = new Set<number>()
  const stack: number[] = []
  const found: number[][] = []
  let counter = 0
  // iterative, so a huge hand-built `steps` list cannot overflow the call stack
  for (let root = 0; root < edges.length; root++) {
    if (order[root] !== -1) continue
    const frames: Array<[number, number]> = [[root, 0]]
    order[root] = low[root] = counter++
    stack.push(root)
    onStack.add(root)
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!
      const [v, next] = frame
      const w = edges[v]![next]
      if (w !== undefined) {
        frame[1]++
        if (order[w] === -1) {
          order[w] = low[w] = counter++
          stack.push(w)
          onStack.add(w)
          frames.push([w, 0])
        } else if (onStack.has(w)) {
          low[v] = Math.min(low[v]!, order[w]!)
        }
        continue
      }
      frames.pop()
      const parent = frames[frames.length - 1]
      if (parent !== undefined) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!)
      if (low[v] !== order[v]) continue
      const component = new Set<number>()
      let u: number
      do {
        u = stack.pop()!
        onStack.delete(u)
        component.add(u)
      } while (u !== v)
      if (component.size > 1) found.push(loopThrough([...component].reduce((a, b) => Math.min(a, b)), component, edges))
    }
  }
  return found.sort((a, b) => a[0]! - b[0]!)
}

/** The shortest path from `start` back to itself inside its component (breadth first). */
function loopThrough (start: number, component: Set<number>, edges: number[][]): number[] {
  const parent = new Map<number, number>()
  const queue = [start]
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!
    for (const w of edges[v]!) {
      if (!component.has(w)) continue
      if (w === start) {
        const path = [start]
        for (let u = v; u !== start; u = parent.get(u)!) path.unshift(u)
        path.unshift(start)
        return path
      }
      if (!parent.has(w)) {
        parent.set(w, v)
        queue.push(w)
      }
    }
  }
  return [start, start]
}

function mapping (value: unknown, what: string, fields: Set<string>, prefix: string, errors: string[]): Record<string, unknown> | undefined {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${what}: expected a mapping, got ${show(value)}`)
    return undefined
  }
  for (const key of Object.keys(value)) {
    if (!fields.has(key)) errors.push(`${prefix === '' ? '' : `${prefix}.`}${key.slice(0, 40)}: unknown field`)
  }
  return value as Record<string, unknown>
}

/** Own fields only: `constructor` or `__proto__` never read through the prototype. */
function field (r: Record<string, unknown> | undefined, key: string): unknown {
  return r != null && Object.hasOwn(r, key) ? r[key] : undefined
}

function show (v: unknown): string {
  if (v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (v !== null && typeof v === 'object') return 'a mapping'
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 80 ? `${text.slice(0, 77)}..."` : text
}

function report (errors: string[]): string {
  if (errors.length <= MAX_REPORTED_PROBLEMS) return errors.join('; ')
  return [...errors.slice(0, MAX_REPORTED_PROBLEMS), `and ${errors.length - MAX_REPORTED_PROBLEMS} more problems`].join('; ')
}
