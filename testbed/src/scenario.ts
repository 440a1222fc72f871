/**
 * The scenario format (docs/testbed.md): nodes, links, functions, workload, policies and
 * events, read from YAML or JSON, checked field by field (every problem named with its path),
 * defaults filled in, and the `quick` variant merged over the whole when asked for.
 */
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { POLICIES, type PolicyName } from '../../daemon/src/placement/policy-names.js'
import { LINK_CLASSES, type LinkClassName, type LinkSpec } from './link-classes.js'

export class InvalidScenarioError extends Error {
  static name = 'InvalidScenarioError'
  constructor (message: string) {
    super(message)
    this.name = 'InvalidScenarioError'
  }
}

export interface NodeGroup {
  /** Nodes are named `<group>-<i>`. */
  name: string
  count: number
  slots: number
  /** Emulated slowdown (executor.slowdown): 1 = this machine. */
  slowdown: number
  tags: Record<string, string>
}

export interface FunctionSpec {
  name: string
  /** Path of the .wasm, relative to the scenario file or the working directory. */
  wasm: string
  /** Node names or group names it is deployed on (every node can still fetch it). */
  deployOn: string[]
}

export interface LinkOverride extends Partial<LinkSpec> {
  /** Two node or group names: every link between the two sets, both ways. */
  between: [string, string]
  class?: LinkClassName
}

export interface WorkloadItem { function: string, input: string, weight: number }

export type Arrival = 'poisson' | 'constant' | 'bursts'

export interface Workload {
  mix: WorkloadItem[]
  arrival: Arrival
  /** Fractions of the mesh's measured capacity, one run per value per policy; or `rate`. */
  load: number[]
  /** Fixed arrival rates in req/s instead of `load`. */
  rate: number[]
  durationS: number
  /** Requests per run instead of a duration: the run lasts until this many have been sent. */
  count?: number
  /** Bursts: this many arrivals at once, `burstSize` every `durationS / bursts`. */
  burstSize: number
  /** Node or group names that receive the requests; all nodes by default. */
  entry: string[]
  /** A request without an answer after this long counts as lost. */
  timeoutS: number
  /** Sent as x-faasmesh-deadline-ms when set. */
  deadlineMs?: number
}

export type ScenarioEvent =
  | { at: number, kill: string }
  | { at: number, restart: string }
  | { at: number, partition: [string[], string[]] }
  | { at: number, heal: true }

export interface Scenario {
  name: string
  description: string
  seed: number
  nodes: NodeGroup[]
  functions: FunctionSpec[]
  links: { default: LinkClassName, overrides: LinkOverride[] }
  workload: Workload
  policies: PolicyName[]
  /** Seconds from the start of each run. */
  events: ScenarioEvent[]
  /** Where the scenario file is: relative wasm paths start there. */
  baseDir: string
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Reads, merges `quick` over it when asked, validates and fills in defaults. */
export async function loadScenario (file: string, options: { quick?: boolean } = {}): Promise<Scenario> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new InvalidScenarioError(`cannot read ${file}: ${err?.message ?? err}`)
  }
  let raw: unknown
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err: any) {
    throw new InvalidScenarioError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${err?.message ?? err}`)
  }
  return parseScenario(raw, { quick: options.quick, baseDir: dirname(resolve(file)) })
}

export function parseScenario (raw: unknown, options: { quick?: boolean, baseDir?: string } = {}): Scenario {
  const errors: string[] = []
  const doc = record(raw, '', errors)
  const merged = options.quick === true && doc.quick != null ? deepMerge(doc, record(doc.quick, 'quick', errors)) : doc
  const nodes = list(merged.nodes, 'nodes', errors).map((g, i) => nodeGroup(g, `nodes[${i}]`, errors))
  const groupNames = new Set(nodes.map((g) => g.name))
  if (groupNames.size !== nodes.length) errors.push('nodes: group names must be unique')
  const nodeNames = new Set(nodes.flatMap((g) => Array.from({ length: g.count }, (_, i) => `${g.name}-${i}`)))
  if (nodeNames.size === 0) errors.push('nodes: at least one node')
  if (nodeNames.size > 64) errors.push(`nodes: at most 64 nodes on one machine, got ${nodeNames.size}`)
  const known = (ref: unknown, path: string): string => {
    if (typeof ref !== 'string' || (!groupNames.has(ref) && !nodeNames.has(ref))) errors.push(`${path}: ${JSON.stringify(ref)} names no node or group`)
    return String(ref)
  }

  const functions = list(merged.functions, 'functions', errors).map((f, i) => {
    const r = record(f, `functions[${i}]`, errors)
    return {
      name: str(r.name, `functions[${i}].name`, errors, (v) => /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/.test(v)),
      wasm: str(r.wasm, `functions[${i}].wasm`, errors),
      deployOn: list(r.deployOn ?? [nodes[0]?.name ?? ''], `functions[${i}].deployOn`, errors).map((n, j) => known(n, `functions[${i}].deployOn[${j}]`))
    }
  })
  if (functions.length === 0) errors.push('functions: at least one function')

  const links = record(merged.links ?? {}, 'links', errors)
  const linkClass = (v: unknown, path: string): LinkClassName => {
    if (typeof v !== 'string' || !(v in LINK_CLASSES)) errors.push(`${path}: expected one of ${Object.keys(LINK_CLASSES).join(', ')}, got ${JSON.stringify(v)}`)
    return v as LinkClassName
  }
  const overrides = list(links.overrides ?? [], 'links.overrides', errors).map((o, i): LinkOverride => {
    const r = record(o, `links.overrides[${i}]`, errors)
    const between = list(r.between, `links.overrides[${i}].between`, errors)
    if (between.length !== 2) errors.push(`links.overrides[${i}].between: expected two node or group names`)
    const spec: LinkOverride = { between: [known(between[0], `links.overrides[${i}].between[0]`), known(between[1], `links.overrides[${i}].between[1]`)] }
    if (r.class != null) spec.class = linkClass(r.class, `links.overrides[${i}].class`)
    for (const key of ['latencyMs', 'jitterMs', 'bandwidthMbps', 'lossPct'] as const) {
      if (r[key] != null) spec[key] = num(r[key], `links.overrides[${i}].${key}`, errors, 0, key === 'lossPct' ? 100 : 1e6)
    }
    return spec
  })

  const w = record(merged.workload, 'workload', errors)
  const mix = list(w.mix, 'workload.mix', errors).map((m, i) => {
    const r = record(m, `workload.mix[${i}]`, errors)
    const fn = str(r.function, `workload.mix[${i}].function`, errors)
    if (!functions.some((f) => f.name === fn)) errors.push(`workload.mix[${i}].function: ${JSON.stringify(fn)} is not in functions`)
    return { function: fn, input: r.input == null ? '' : String(r.input), weight: r.weight == null ? 1 : num(r.weight, `workload.mix[${i}].weight`, errors, 0, 1e6) }
  })
  if (mix.length === 0) errors.push('workload.mix: at least one function')
  const arrival = (w.arrival ?? 'poisson') as Arrival
  if (!['poisson', 'constant', 'bursts'].includes(arrival)) errors.push(`workload.arrival: expected poisson, constant or bursts, got ${JSON.stringify(w.arrival)}`)
  const load = w.load == null ? [] : list(w.load, 'workload.load', errors).map((v, i) => num(v, `workload.load[${i}]`, errors, 0.01, 2))
  const rate = w.rate == null ? [] : list(w.rate, 'workload.rate', errors).map((v, i) => num(v, `workload.rate[${i}]`, errors, 0.1, 5000))
  if (load.length + rate.length === 0) errors.push('workload: give load (fractions of capacity) or rate (req/s)')
  if (load.length > 0 && rate.length > 0) errors.push('workload: give load or rate, not both')
  const workload: Workload = {
    mix,
    arrival,
    load,
    rate,
    durationS: num(w.durationS ?? 10, 'workload.durationS', errors, 0.5, 3600),
    count: w.count == null ? undefined : num(w.count, 'workload.count', errors, 1, 1_000_000, true),
    burstSize: num(w.burstSize ?? 10, 'workload.burstSize', errors, 1, 10_000),
    entry: list(w.entry ?? [...groupNames], 'workload.entry', errors).map((n, i) => known(n, `workload.entry[${i}]`)),
    timeoutS: num(w.timeoutS ?? 60, 'workload.timeoutS', errors, 1, 600),
    deadlineMs: w.deadlineMs == null ? undefined : num(w.deadlineMs, 'workload.deadlineMs', errors, 1, 300_000)
  }

  const policies = list(merged.policies ?? ['auction'], 'policies', errors).map((p, i) => {
    if (typeof p !== 'string' || !(POLICIES as readonly string[]).includes(p)) errors.push(`policies[${i}]: expected one of ${POLICIES.join(', ')}, got ${JSON.stringify(p)}`)
    return p as PolicyName
  })

  const events = list(merged.events ?? [], 'events', errors).map((e, i) => scenarioEvent(e, `events[${i}]`, errors, known))

  const scenario: Scenario = {
    name: str(merged.name, 'name', errors, (v) => NAME.test(v)),
    description: merged.description == null ? '' : String(merged.description),
    seed: merged.seed == null ? 1 : num(merged.seed, 'seed', errors, 0, 2 ** 31),
    nodes,
    functions,
    links: { default: linkClass(links.default ?? 'lan', 'links.default'), overrides },
    workload,
    policies,
    events,
    baseDir: options.baseDir ?? process.cwd()
  }
  if (errors.length > 0) throw new InvalidScenarioError(errors.join('\n'))
  return scenario
}

/** Every node's name, in order: `<group>-<i>`. */
export function nodeNames (scenario: Scenario): string[] {
  return scenario.nodes.flatMap((g) => Array.from({ length: g.count }, (_, i) => `${g.name}-${i}`))
}

/** Node names a reference (a node or a group) stands for. */
export function expand (scenario: Scenario, ref: string): string[] {
  const group = scenario.nodes.find((g) => g.name === ref)
  return group == null ? [ref] : Array.from({ length: group.count }, (_, i) => `${group.name}-${i}`)
}

/** The group a node belongs to. */
export function groupOf (scenario: Scenario, node: string): NodeGroup {
  return scenario.nodes.find((g) => node.startsWith(`${g.name}-`) && Number.isInteger(Number(node.slice(g.name.length + 1))))!
}

export function wasmPath (scenario: Scenario, fn: FunctionSpec): string {
  if (isAbsolute(fn.wasm)) return fn.wasm
  // `build/...` is the repository's build output: relative to the working directory; the rest to the scenario file
  return fn.wasm.startsWith('build/') ? resolve(fn.wasm) : resolve(scenario.baseDir, fn.wasm)
}

function nodeGroup (raw: unknown, path: string, errors: string[]): NodeGroup {
  const r = record(raw, path, errors)
  const tags = record(r.tags ?? {}, `${path}.tags`, errors)
  return {
    name: str(r.name, `${path}.name`, errors, (v) => NAME.test(v)),
    count: num(r.count ?? 1, `${path}.count`, errors, 1, 64, true),
    slots: num(r.slots ?? 1, `${path}.slots`, errors, 1, 64, true),
    slowdown: num(r.slowdown ?? 1, `${path}.slowdown`, errors, 1, 1000),
    tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)]))
  }
}

function scenarioEvent (raw: unknown, path: string, errors: string[], known: (ref: unknown, path: string) => string): ScenarioEvent {
  const r = record(raw, path, errors)
  const at = num(r.at, `${path}.at`, errors, 0, 3600)
  if (r.kill != null) return { at, kill: known(r.kill, `${path}.kill`) }
  if (r.restart != null) return { at, restart: known(r.restart, `${path}.restart`) }
  if (r.partition != null) {
    const sides = list(r.partition, `${path}.partition`, errors)
    if (sides.length !== 2) errors.push(`${path}.partition: expected two lists of node or group names`)
    const side = (v: unknown, p: string): string[] => list(v, p, errors).map((n, i) => known(n, `${p}[${i}]`))
    return { at, partition: [side(sides[0], `${path}.partition[0]`), side(sides[1], `${path}.partition[1]`)] }
  }
  if (r.heal === true) return { at, heal: true }
  errors.push(`${path}: expected one of kill, restart, partition, heal`)
  return { at, heal: true }
}

function record (v: unknown, path: string, errors: string[]): Record<string, any> {
  if (v == null || typeof v !== 'object' || Array.isArray(v)) {
    errors.push(`${path === '' ? 'the scenario' : path}: expected a mapping`)
    return {}
  }
  return v as Record<string, any>
}

function list (v: unknown, path: string, errors: string[]): unknown[] {
  if (!Array.isArray(v)) {
    errors.push(`${path}: expected a list`)
    return []
  }
  return v
}

function str (v: unknown, path: string, errors: string[], ok: (v: string) => boolean = () => true): string {
  if (typeof v !== 'string' || !ok(v)) errors.push(`${path}: invalid value ${JSON.stringify(v)}`)
  return String(v)
}

function num (v: unknown, path: string, errors: string[], min: number, max: number, integer = false): number {
  const n = typeof v === 'number' ? v : NaN
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    errors.push(`${path}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
  return n
}

/** `over` wins; mappings merge key by key, lists and scalars are replaced. */
function deepMerge (base: Record<string, any>, over: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    out[k] = v != null && typeof v === 'object' && !Array.isArray(v) && base[k] != null && typeof base[k] === 'object' && !Array.isArray(base[k])
      ? deepMerge(base[k], v)
      : v
  }
  delete out.quick
  return out
}
