/**
 * Chain workloads (papers.md B4, docs/testbed.md "Chain workloads"): seeded jobs, each a linear
 * chain of 2-6 stateful steps whose state, argument and processing sizes are drawn per step; the
 * chain specs they run; and the driver that sends them open loop for one state model and one
 * placement mode, one job at a time per state key, and turns each answer and its placement record
 * into a JSONL line with latency and traffic.
 */
import { seeded } from './rng.js'
import type { ChainWorkload, Draw, Placement } from './scenario.js'
import type { PolicyName } from '../../daemon/src/placement/policy-names.js'
import type { StateModel } from '../../daemon/src/state/index.js'

/** The reference machine's time per unit of fuel (daemon/src/executor/speed.ts): 0.3 ns. */
export const REFERENCE_MS_PER_FUEL = 0.3e-6

/** One step's plan entry, as state-step reads it: bytes of state to write, bytes of output, fuel to burn. */
export type StepPlan = [stateBytes: number, outBytes: number, workFuel: number]

export interface ChainJob {
  seq: number
  /** Index into the run's entry nodes. */
  entryIndex: number
  /** Index into the entry's state keys. */
  keyIndex: number
  length: number
  /** Size of the chain's input (its output is as large: the job's return size is its first argument's, as in StateSim). */
  inputBytes: number
  plan: StepPlan[]
}

/** A lognormal draw with `d.mean` as its mean, clamped to [min, max]. */
export function sample (d: Draw, random: () => number): number {
  if (d.sigma === 0 || d.mean === 0) return Math.min(d.max, Math.max(d.min, d.mean))
  const mu = Math.log(d.mean) - d.sigma * d.sigma / 2
  // Box-Muller; 1 - random() is in (0, 1]
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return Math.min(d.max, Math.max(d.min, Math.exp(mu + d.sigma * z)))
}

/** A length from the workload's distribution. */
export function drawLength (length: ChainWorkload['length'], random: () => number): number {
  const span = length.max - length.min + 1
  if (length.weights == null) return length.min + Math.min(span - 1, Math.floor(random() * span))
  const total = length.weights.reduce((a, b) => a + b, 0)
  let r = random() * total
  for (let i = 0; i < span; i++) {
    r -= length.weights[i]!
    if (r < 0) return length.min + i
  }
  return length.max
}

/** One job's plan: `length` steps, step i writing its state and passing on argument i + 1; the last returns argument 0's size. */
export function drawPlan (workload: ChainWorkload, length: number, random: () => number): { inputBytes: number, plan: StepPlan[] } {
  const args = Array.from({ length }, () => Math.round(sample(workload.argBytes, random)))
  const plan = args.map((_, i): StepPlan => [
    Math.round(sample(workload.stateBytes, random)),
    i + 1 < length ? args[i + 1]! : args[0]!,
    Math.round(sample(workload.workMs, random) / REFERENCE_MS_PER_FUEL)
  ])
  return { inputBytes: args[0]!, plan }
}

/**
 * The jobs of a run, the same for every model and placement (paired comparisons): the stream
 * of draws is seeded by the scenario's seed, independent of the arrival times' stream.
 */
export function chainJobs (workload: ChainWorkload, count: number, entries: number, seed: number): ChainJob[] {
  const random = seeded((seed ^ 0x5eed5) >>> 0)
  return Array.from({ length: count }, (_, seq) => {
    const length = drawLength(workload.length, random)
    const entryIndex = Math.floor(random() * entries)
    const keyIndex = Math.floor(random() * workload.keysPerEntry)
    return { seq, entryIndex, keyIndex, length, ...drawPlan(workload, length, random) }
  })
}

/** The name a chain of `length` steps is deployed under. */
export function chainName (fn: string, length: number): string {
  return `${fn}-chain-${length}`
}

/** A linear chain of `length` stateful steps `s1` ... `sN` of `fn`. */
export function chainSpec (fn: string, length: number): { description: string, steps: Array<{ id: string, fn: string, after?: string[], state: boolean }> } {
  return {
    description: `testbed: ${length} stateful steps of ${fn} in a row`,
    steps: Array.from({ length }, (_, i) => ({ id: `s${i + 1}`, fn, ...(i > 0 ? { after: [`s${i}`] } : {}), state: true }))
  }
}

/** The chain's input: state-step's header line (step 0 next), padded to `inputBytes`. */
export function chainInput (plan: StepPlan[], inputBytes: number): Uint8Array<ArrayBuffer> {
  const header = new TextEncoder().encode(`${JSON.stringify({ i: 0, plan })}\n`)
  const out = new Uint8Array(Math.max(inputBytes, header.byteLength)).fill(0x2e)
  out.set(header)
  return out
}

/** One job as it ran: a line of `chains.jsonl`. */
export interface ChainJobRecord {
  /** `<model>/<placement>@<rate>/s` (with `:<policy>` when the scenario lists several). */
  run: string
  model: StateModel
  placement: Placement
  policy: PolicyName
  rate: number
  seq: number
  /** Arrival, ms from the start of the run. */
  at: number
  /** Waiting for the previous job on the same state key, before this one was sent. */
  waitMs: number
  entry: string
  key: string
  chain: string
  length: number
  /** Over every step: state written, inputs (the chain's and each step's predecessor's output), processing on the reference machine. */
  stateBytes: number
  argBytes: number
  workMs: number
  status: number
  /** `ok`, the named error the mesh answered, or `lost`. */
  outcome: string
  /** The error's message, when the mesh answered one (a ChainStepError names the step and its own error). */
  error?: string
  /** From sending the request to the whole answer. */
  totalMs: number
  placementId?: string
  /** The node that ran each step, in order. */
  executors?: string[]
  /** Per step, ms in the executor. */
  runMs?: number[]
  /** Bytes the chain moved between nodes (and to the database), by kind, from its placement record. */
  traffic?: { invoke: number, chainData: number, state: number }
  /** The sum of `traffic`. */
  trafficBytes?: number
  /** Bytes x links crossed, where the topology says which links (see docs/testbed.md). */
  trafficHopBytes?: number
}
