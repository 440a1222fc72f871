/**
 * The scenario format (docs/testbed.md): nodes, links, functions, workload, policies and
 * events, read from YAML or JSON, checked field by field (every problem named with its path),
 * defaults filled in, and the `quick` variant merged over the whole when asked for.
 */
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { POLICIES, type PolicyName } from '../../daemon/src/placement/policy-names.js'
import { STATE_MODELS, type StateModel } from '../../daemon/src/state/index.js'
import { LINK_CLASSES, type LinkClassName, type LinkSpec } from './link-classes.js'
import { parseSimSpec, type SimSpec } from './sim/spec.js'

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
  /** Emulated battery (power.*): absent, the daemon reads its host's power as usual. */
  power?: GroupPower
}

/** A group's nodes run on battery at this charge (energy-aware bidding, docs/placement.md). */
export interface GroupPower {
  /** 0-100. */
  batteryPercent: number
  /** Below it they decline other peers' calls for bids; absent: the daemon's default. */
  declineBelowPercent?: number
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
  /** Physical links this emulated link stands for (traffic is counted as bytes x hops). */
  hops?: number
}

/** A size or an amount drawn per job: lognormal with this (arithmetic) mean, clamped to [min, max]. */
export interface Draw {
  mean: number
  /** Spread of the underlying normal; 0 = always `mean`. */
  sigma: number
  min: number
  max: number
}

/** Where a chain's data goes: `network-aware` (x-faasmesh-locality: on) or `processing-only` (off). */
export const PLACEMENTS = ['network-aware', 'processing-only'] as const
export type Placement = typeof PLACEMENTS[number]

/**
 * A workload of stateful chains (papers.md B4): each job is a linear chain of `length` steps of
 * `function` (testbed's state-step protocol: the input says what each step stores and passes
 * on), every step stateful; one run per state model and placement.
 */
export interface ChainWorkload {
  /** The step function; it must be in `functions` and speak state-step's input format. */
  function: string
  /** Steps per chain, drawn per job: uniform over [min, max], or by `weights` (one per length). */
  length: { min: number, max: number, weights?: number[] }
  /** Bytes of state each step writes. */
  stateBytes: Draw
  /** Bytes of each step's input (the chain's input, or its predecessor's output); the chain's output is as large as its input. */
  argBytes: Draw
  /** Processing per step, in ms of the reference machine (fuel x 0.3 ns); a node's slowdown multiplies it. */
  workMs: Draw
  models: StateModel[]
  placements: Placement[]
  /** State keys per entry node and run: jobs on one key run one after another (an in-client state has one holder). */
  keysPerEntry: number
}

/** The external model's Redis server, reached by every node through its own emulated link. */
export interface RedisLink {
  /** One-way. */
  latencyMs: number
  /** 0 = unlimited. */
  bandwidthMbps: number
  /** Physical links between a node and the database (traffic is counted as bytes x hops). */
  hops: number
}

export interface WorkloadItem { function: string, input: string, weight: number }

export type Arrival = 'poisson' | 'constant' | 'bursts'

export interface Workload {
  /** Single invocations; empty when the workload is `chains`. */
  mix: WorkloadItem[]
  /** Stateful chains instead of a mix. */
  chains?: ChainWorkload
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
  /** The external state model's database (chains with the `external` model). */
  redis?: RedisLink
  /** The simulator's settings (`testbed sim`); filled in with defaults when the scenario is loaded for it. */
  sim?: SimSpec
  /** Where the scenario file is: relative wasm paths start there. */
  baseDir: string
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Reads, merges `quick` over it when asked, validates and fills in defaults. */
export async function loadScenario (file: string, options: { quick?: boolean, sim?: boolean } = {}): Promise<Scenario> {
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
  return parseScenario(raw, { quick: options.quick, sim: options.sim, baseDir: dirname(resolve(file)) })
}

/** `sim`: for the simulator, where a mesh is not bounded by one machine (up to 1,000,000 nodes), and the `sim` section is filled in. */
export function parseScenario (raw: unknown, options: { quick?: boolean, baseDir?: string, sim?: boolean } = {}): Scenario {
  const errors: string[] = []
  const doc = record(raw, '', errors)
  const merged = options.quick === true && doc.quick != null ? deepMerge(doc, record(doc.quick, 'quick', errors)) : doc
  const maxNodes = options.sim === true ? MAX_SIM_NODES : 64
  const nodes = list(merged.nodes, 'nodes', errors).map((g, i) => nodeGroup(g, `nodes[${i}]`, errors, maxNodes))
  const groupNames = new Set(nodes.map((g) => g.name))
  if (groupNames.size !== nodes.length) errors.push('nodes: group names must be unique')
  const nodeNames = new Set(nodes.flatMap((g) => Array.from({ length: g.count }, (_, i) => `${g.name}-${i}`)))
  if (nodeNames.size === 0) errors.push('nodes: at least one node')
  if (nodeNames.size > maxNodes) errors.push(options.sim === true ? `nodes: at most ${maxNodes} nodes, got ${nodeNames.size}` : `nodes: at most 64 nodes on one machine, got ${nodeNames.size} (\`testbed sim\` runs larger meshes)`)
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
    if (r.hops != null) spec.hops = num(r.hops, `links.overrides[${i}].hops`, errors, 1, 64, true)
    return spec
  })

  const w = record(merged.workload, 'workload', errors)
  const chains = w.chains == null ? undefined : chainWorkload(w.chains, 'workload.chains', errors, functions.map((f) => f.name))
  if (chains != null && w.mix != null) errors.push('workload: give mix (single invocations) or chains, not both')
  const mix = chains != null ? [] : list(w.mix, 'workload.mix', errors).map((m, i) => {
    const r = record(m, `workload.mix[${i}]`, errors)
    const fn = str(r.function, `workload.mix[${i}].function`, errors)
    if (!functions.some((f) => f.name === fn)) errors.push(`workload.mix[${i}].function: ${JSON.stringify(fn)} is not in functions`)
    return { function: fn, input: r.input == null ? '' : String(r.input), weight: r.weight == null ? 1 : num(r.weight, `workload.mix[${i}].weight`, errors, 0, 1e6) }
  })
  if (chains == null && mix.length === 0) errors.push('workload.mix: at least one function')
  const arrival = (w.arrival ?? 'poisson') as Arrival
  if (!['poisson', 'constant', 'bursts'].includes(arrival)) errors.push(`workload.arrival: expected poisson, constant or bursts, got ${JSON.stringify(w.arrival)}`)
  const load = w.load == null ? [] : list(w.load, 'workload.load', errors).map((v, i) => num(v, `workload.load[${i}]`, errors, 0.01, 2))
  const rate = w.rate == null ? [] : list(w.rate, 'workload.rate', errors).map((v, i) => num(v, `workload.rate[${i}]`, errors, 0.1, 5000))
  if (load.length + rate.length === 0) errors.push('workload: give load (fractions of capacity) or rate (req/s)')
  if (load.length > 0 && rate.length > 0) errors.push('workload: give load or rate, not both')
  if (chains != null && load.length > 0) errors.push('workload.load: a chain workload takes rate (chains/s), not load')
  const workload: Workload = {
    mix,
    ...(chains != null ? { chains } : {}),
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

  let redis: RedisLink | undefined
  if (merged.redis != null || chains?.models.includes('external') === true) {
    const r = record(merged.redis ?? {}, 'redis', errors)
    for (const key of Object.keys(r)) if (!['latencyMs', 'bandwidthMbps', 'hops'].includes(key)) errors.push(`redis.${key}: unknown field (latencyMs, bandwidthMbps, hops)`)
    redis = {
      latencyMs: num(r.latencyMs ?? 60, 'redis.latencyMs', errors, 0, 10_000),
      bandwidthMbps: num(r.bandwidthMbps ?? 50, 'redis.bandwidthMbps', errors, 0, 1e6),
      hops: num(r.hops ?? 1, 'redis.hops', errors, 1, 64, true)
    }
  }

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
    ...(redis != null ? { redis } : {}),
    ...(options.sim === true || merged.sim != null ? { sim: parseSimSpec(merged.sim, { load, policies }, errors, { record, list, num }) } : {}),
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

/** The simulator's bound on a mesh: one process, virtual time. */
const MAX_SIM_NODES = 1_000_000

/** Longest chain a job may draw: each step is its own placed invocation, so this bounds one job's fan-out. */
export const MAX_CHAIN_LENGTH = 16

function chainWorkload (raw: unknown, path: string, errors: string[], functions: string[]): ChainWorkload {
  const r = record(raw, path, errors)
  const known = ['function', 'length', 'stateBytes', 'argBytes', 'workMs', 'models', 'placements', 'keysPerEntry']
  for (const key of Object.keys(r)) if (!known.includes(key)) errors.push(`${path}.${key}: unknown field (${known.join(', ')})`)
  const fn = str(r.function, `${path}.function`, errors)
  if (!functions.includes(fn)) errors.push(`${path}.function: ${JSON.stringify(fn)} is not in functions`)
  const l = record(r.length ?? { min: 2, max: 6 }, `${path}.length`, errors)
  const min = num(l.min ?? 2, `${path}.length.min`, errors, 1, MAX_CHAIN_LENGTH, true)
  const max = num(l.max ?? min, `${path}.length.max`, errors, 1, MAX_CHAIN_LENGTH, true)
  if (max < min) errors.push(`${path}.length: max (${max}) is below min (${min})`)
  const length: ChainWorkload['length'] = { min, max }
  if (l.weights != null) {
    length.weights = list(l.weights, `${path}.length.weights`, errors).map((v, i) => num(v, `${path}.length.weights[${i}]`, errors, 0, 1e6))
    if (max >= min && length.weights.length !== max - min + 1) errors.push(`${path}.length.weights: expected ${max - min + 1} weights, one per length from ${min} to ${max}`)
    else if (length.weights.every((v) => v === 0)) errors.push(`${path}.length.weights: at least one must be above 0`)
  }
  const models = list(r.models ?? [...STATE_MODELS], `${path}.models`, errors).map((m, i) => {
    if (typeof m !== 'string' || !(STATE_MODELS as readonly string[]).includes(m)) errors.push(`${path}.models[${i}]: expected one of ${STATE_MODELS.join(', ')}, got ${JSON.stringify(m)}`)
    return m as StateModel
  })
  if (models.length === 0) errors.push(`${path}.models: at least one state model`)
  const placements = list(r.placements ?? [...PLACEMENTS], `${path}.placements`, errors).map((p, i) => {
    if (typeof p !== 'string' || !(PLACEMENTS as readonly string[]).includes(p)) errors.push(`${path}.placements[${i}]: expected one of ${PLACEMENTS.join(', ')}, got ${JSON.stringify(p)}`)
    return p as Placement
  })
  if (placements.length === 0) errors.push(`${path}.placements: at least one placement`)
  for (const [name, values] of [['models', models], ['placements', placements]] as const) {
    if (new Set(values).size !== values.length) errors.push(`${path}.${name}: each at most once`)
  }
  return {
    function: fn,
    length,
    // 1 MiB is the daemon's input/output and state cap
    stateBytes: draw(r.stateBytes, `${path}.stateBytes`, errors, 0, 1 << 20),
    argBytes: draw(r.argBytes, `${path}.argBytes`, errors, 0, 1 << 20),
    workMs: draw(r.workMs ?? { mean: 0 }, `${path}.workMs`, errors, 0, 10_000),
    models,
    placements,
    keysPerEntry: num(r.keysPerEntry ?? 4, `${path}.keysPerEntry`, errors, 1, 1000, true)
  }
}

function draw (raw: unknown, path: string, errors: string[], lowest: number, highest: number): Draw {
  if (typeof raw === 'number') raw = { mean: raw }
  const r = record(raw, path, errors)
  for (const key of Object.keys(r)) if (!['mean', 'sigma', 'min', 'max'].includes(key)) errors.push(`${path}.${key}: unknown field (mean, sigma, min, max)`)
  const mean = num(r.mean, `${path}.mean`, errors, lowest, highest)
  const out: Draw = {
    mean,
    sigma: num(r.sigma ?? 0, `${path}.sigma`, errors, 0, 4),
    min: num(r.min ?? lowest, `${path}.min`, errors, lowest, highest),
    max: num(r.max ?? highest, `${path}.max`, errors, lowest, highest)
  }
  if (out.min > out.max) errors.push(`${path}: min (${out.min}) is above max (${out.max})`)
  else if (mean < out.min || mean > out.max) errors.push(`${path}.mean: ${mean} is outside [min, max] = [${out.min}, ${out.max}]`)
  return out
}

function nodeGroup (raw: unknown, path: string, errors: string[], maxNodes: number): NodeGroup {
  const r = record(raw, path, errors)
  const tags = record(r.tags ?? {}, `${path}.tags`, errors)
  return {
    name: str(r.name, `${path}.name`, errors, (v) => NAME.test(v)),
    count: num(r.count ?? 1, `${path}.count`, errors, 1, maxNodes, true),
    slots: num(r.slots ?? 1, `${path}.slots`, errors, 1, 64, true),
    slowdown: num(r.slowdown ?? 1, `${path}.slowdown`, errors, 1, 1000),
    tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])),
    ...(r.power != null ? { power: groupPower(r.power, `${path}.power`, errors) } : {})
  }
}

function groupPower (raw: unknown, path: string, errors: string[]): GroupPower {
  const before = errors.length
  const r = record(raw, path, errors)
  // not a mapping: one error, not one more per field it lacks
  if (errors.length > before) return { batteryPercent: 0 }
  for (const key of Object.keys(r)) if (!['batteryPercent', 'declineBelowPercent'].includes(key)) errors.push(`${path}.${key}: unknown field (batteryPercent, declineBelowPercent)`)
  const power: GroupPower = { batteryPercent: num(r.batteryPercent, `${path}.batteryPercent`, errors, 0, 100, true) }
  if (r.declineBelowPercent != null) power.declineBelowPercent = num(r.declineBelowPercent, `${path}.declineBelowPercent`, errors, 0, 100, true)
  return power
}

/** A group's power as the daemon's environment (config power.*). */
export function powerEnv (group: NodeGroup): Record<string, string> {
  if (group.power == null) return {}
  return {
    FAASMESH_POWER_BATTERY_PERCENT: String(group.power.batteryPercent),
    ...(group.power.declineBelowPercent != null ? { FAASMESH_POWER_DECLINE_BELOW_PERCENT: String(group.power.declineBelowPercent) } : {})
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
