/**
 * Runs a chain on the node that received it (its entry node), with no coordinator beyond it
 * (DESIGN.md section 11): every step starts as soon as its predecessors are done (independent
 * steps in parallel) and is placed like any invocation, by the request's policy. With locality
 * on, a step's output stays on the node that produced it and the next step's node fetches it
 * from there, and bids count where the input is; only the sinks' outputs come back here. With
 * it off, every output comes back here and goes out again as the next step's input.
 */
import { createHash, randomBytes } from 'node:crypto'
import { ChainStepError, DeadlineExceededError, InvalidChainError } from '../errors.js'
import { decodeChainClientState, encodeChainClientState } from '../state/client-state.js'
import { combineInputs } from './combine.js'
import { isChainCid, sinks, topologicalOrder } from './spec.js'
import type { StepInput } from './data.js'
import type { ChainSpec, ChainStep } from './spec.js'
import type { ChainRecord, ChainStepRecord, PlaceOptions, Placed, Placement, PlacementRecord, PolicyName, StateSpec } from '../placement/index.js'
import type { Resolver } from '../resolver/index.js'
import type { AbortOptions, ComponentLogger, Logger } from '@libp2p/interface'

export interface ChainRunnerComponents {
  /** This node's peer id. */
  self: string
  placement: Pick<Placement, 'place' | 'track' | 'settle'>
  resolver: Pick<Resolver, 'lookup' | 'resolve'>
  /** The spec of a chain this node holds (the resolver fetches it first when it does not). */
  spec(cid: string): Promise<ChainSpec | undefined>
  /**
   * Publisher trust in allowlist mode: every step's function must be code this node may run
   * (the resolver's lookup refuses it), checked before the first step starts. Without it, steps
   * are looked up as they start.
   */
  vetSteps?: boolean
  logger: ComponentLogger
}

export interface ChainRunOptions extends AbortOptions {
  policy: PolicyName
  /** The chain's invocation id: each step's id derives from it. */
  invocationId: string
  deadlineAt?: number
  /** The request's state: each `state: true` step runs on `<key>:<step id>`. */
  state?: StateSpec
  /** Each step's input from where its predecessors ran (default), or every step's data through this node. */
  locality?: boolean
  /** The name the chain was invoked by. */
  name?: string
}

/**
 * As for one invocation, over the chain: `executor` is the sink that answered (the last to
 * finish, with several); times, fuel and bids are the steps' added up; cold or fetched if any step was.
 */
export interface ChainResult extends Pick<Placed, 'output' | 'executor' | 'durationMs' | 'placementMs' | 'cold' | 'fetched' | 'fuelUsed' | 'bids'> {
  record: PlacementRecord & { chain: ChainRecord }
  /** In-client: the chain's new state (every stateful step's envelope), to hand back to the client. */
  clientState?: Uint8Array
  /** Shared models: state bytes moved by all steps. */
  stateBytes: number
}

/** What a finished step left for the steps after it. */
interface StepDone {
  step: ChainStep
  /** Its entry in the chain's record. */
  record: ChainStepRecord
  placed: Placed
  /** Where its output is: the node that ran it (locality on) or here. */
  holder: string
  /** Its output, when it came back here. */
  output?: Uint8Array
  bytes: number
}

export class ChainRunner {
  private readonly log: Logger

  constructor (private readonly components: ChainRunnerComponents) {
    this.log = components.logger.forComponent('faasmesh:chains')
  }

  async run (cid: string, input: Uint8Array, options: ChainRunOptions): Promise<ChainResult> {
    const started = performance.now()
    const spec = await this.specOf(cid, options)
    // a chain is code too: no step runs unless every step's function may (the lookups are cached for the steps)
    if (this.components.vetSteps === true) await Promise.all([...new Set(spec.steps.map((s) => s.fn))].map(async (fn) => this.components.resolver.lookup(fn, { signal: options.signal })))
    const locality = options.locality ?? true
    const record: PlacementRecord & { chain: ChainRecord } = {
      id: randomBytes(6).toString('hex'),
      cid,
      policy: options.policy,
      at: Date.now(),
      asked: 0,
      bids: [],
      attempts: [],
      chain: {
        ...(options.name != null ? { name: options.name } : {}),
        locality,
        steps: spec.steps.map((s) => ({ id: s.id, fn: s.fn, invocationId: stepInvocationId(options.invocationId, s.id), bytesIn: 0, bytesOut: 0, inputFrom: [], outcome: 'pending' })),
        traffic: { invoke: 0, chainData: 0, state: 0 }
      }
    }
    if (options.state != null) record.state = { model: options.state.model, key: options.state.key }
    this.components.placement.track(record)
    const clientStates = options.state?.model === 'in-client' ? decodeChainClientState(options.state.clientState ?? new Uint8Array(0)) : undefined
    // the first failure stops the steps not yet started; those under way end with it
    const failed = new AbortController()
    const signal = options.signal == null ? failed.signal : AbortSignal.any([options.signal, failed.signal])
    const finalSinks = new Set(sinks(spec).map((s) => s.id))
    const done = new Map<string, Promise<StepDone>>()
    const records = new Map(record.chain.steps.map((r) => [r.id, r]))
    let firstError: Error | undefined
    // each step is started after its predecessors, and waits for them
    const order = topologicalOrder(spec)
    for (const step of order) {
      const before = step.after.map((id) => done.get(id)!)
      const run = (async () => {
        const preds = await Promise.all(before)
        signal.throwIfAborted()
        return this.step(step, preds, input, started, records.get(step.id)!, {
          ...options, signal, locality, sink: finalSinks.has(step.id), clientState: clientStates?.get(step.id)
        }, record)
      })()
      run.catch((err: any) => {
        if (firstError == null && !failed.signal.aborted) {
          firstError = err
          failed.abort(err)
        }
      })
      done.set(step.id, run)
    }
    try {
      const results = await Promise.allSettled([...done.values()])
      for (const r of record.chain.steps) if (r.outcome === 'pending') r.outcome = 'not run'
      if (firstError != null || results.some((r) => r.status === 'rejected')) {
        const err = firstError ?? (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason
        throw this.chainError(err, options)
      }
      const sinkResults = [...finalSinks].map((id) => (results[order.findIndex((s) => s.id === id)] as PromiseFulfilledResult<StepDone>).value)
      const output = sinkResults.length === 1
        ? sinkResults[0]!.output!
        : combineInputs(sinkResults.map((d) => ({ step: d.step.id, bytes: d.output! })))
      const all = results.map((r) => (r as PromiseFulfilledResult<StepDone>).value)
      const last = sinkResults.reduce((a, b) => (a.record.endMs ?? 0) >= (b.record.endMs ?? 0) ? a : b)
      const runMs = all.reduce((sum, d) => sum + d.placed.durationMs, 0)
      Object.assign(record, { executor: last.placed.executor, outcome: 'ok' })
      this.log('chain %s: %d steps in %d ms, %d bytes moved', options.name ?? cid, spec.steps.length, Math.round(performance.now() - started), record.chain.traffic.invoke + record.chain.traffic.chainData + record.chain.traffic.state)
      return {
        output,
        record,
        executor: last.placed.executor,
        durationMs: runMs,
        placementMs: all.reduce((sum, d) => sum + d.placed.placementMs, 0),
        cold: all.some((d) => d.placed.cold),
        fetched: all.some((d) => d.placed.fetched),
        fuelUsed: all.reduce((sum, d) => sum + d.placed.fuelUsed, 0),
        bids: { received: all.reduce((sum, d) => sum + d.placed.bids.received, 0), asked: all.reduce((sum, d) => sum + d.placed.bids.asked, 0) },
        ...(clientStates != null ? { clientState: encodeChainClientState(new Map(all.filter((d) => (d.placed.state?.clientState?.byteLength ?? 0) > 0).map((d) => [d.step.id, d.placed.state!.clientState!]))) } : {}),
        stateBytes: record.chain.traffic.state
      }
    } catch (err: any) {
      record.outcome = String(err?.name ?? 'Error')
      throw err
    } finally {
      record.totalMs = performance.now() - started
      this.components.placement.settle(record)
    }
  }

  private async step (step: ChainStep, preds: StepDone[], chainInput: Uint8Array, chainStarted: number, r: ChainStepRecord, options: ChainRunOptions & { signal: AbortSignal, locality: boolean, sink: boolean, clientState?: Uint8Array }, record: PlacementRecord & { chain: ChainRecord }): Promise<StepDone> {
    const { self } = this.components
    r.startMs = performance.now() - chainStarted
    try {
      const cid = await this.components.resolver.lookup(step.fn, { signal: options.signal })
      if (isChainCid(cid)) throw new InvalidChainError(`step "${step.id}": "${step.fn}" is a chain; a step runs a function`)
      r.cid = cid
      let input: Uint8Array = new Uint8Array(0)
      let inputs: StepInput[] | undefined
      if (preds.length === 0) {
        input = chainInput
        r.inputFrom = [self]
      } else if (options.locality) {
        inputs = preds.map((p) => ({ peer: p.holder, ref: p.record.invocationId, step: p.step.id, bytes: p.bytes }))
        r.inputFrom = [...new Set(inputs.map((i) => i.peer))]
      } else {
        input = combineInputs(preds.map((p) => ({ step: p.step.id, bytes: p.output! })))
        r.inputFrom = [self]
      }
      // with locality, an inner step's output stays where it ran; a sink's comes back as the answer
      const keepOutput = options.locality && !options.sink
      const state = step.state && options.state != null
        ? { model: options.state.model, key: `${options.state.key}:${step.id}`, ...(options.state.model === 'in-client' ? { clientState: options.clientState ?? new Uint8Array(0) } : {}) }
        : undefined
      const placeOptions: PlaceOptions = {
        policy: options.policy,
        signal: options.signal,
        invocationId: r.invocationId,
        ...(options.deadlineAt != null ? { deadlineAt: options.deadlineAt } : {}),
        ...(state != null ? { state } : {}),
        ...(inputs != null ? { inputs } : {}),
        keepOutput
      }
      const placed = await this.components.placement.place(cid, input, placeOptions)
      const remote = placed.executor !== self
      // what crossed the network for this step: its inline input and output to and from another
      // node, and what the executor fetched of its input from the producers
      const inline = remote ? input.byteLength : 0
      const back = remote ? placed.output.byteLength : 0
      const fetched = placed.inputBytesMoved ?? 0
      Object.assign(r, {
        executor: placed.executor,
        placementId: placed.id,
        placementMs: placed.placementMs,
        runMs: placed.durationMs,
        cold: placed.cold,
        bytesIn: inline + fetched,
        bytesOut: back,
        endMs: performance.now() - chainStarted,
        outcome: 'ok'
      })
      record.chain.traffic.invoke += inline + back
      record.chain.traffic.chainData += fetched
      record.chain.traffic.state += placed.state?.bytes ?? 0
      return {
        step,
        record: r,
        placed,
        holder: keepOutput ? placed.executor : self,
        ...(keepOutput ? {} : { output: placed.output }),
        bytes: keepOutput ? placed.outputBytes ?? 0 : placed.output.byteLength
      }
    } catch (err: any) {
      r.endMs = performance.now() - chainStarted
      // a step cut short by another's failure did not fail itself
      r.outcome = options.signal.aborted && options.signal.reason !== err ? 'not run' : String(err?.name ?? 'Error')
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { chainStep: step.id })
    }
  }

  /** The chain's error: the deadline as it is, anything else named with its step. */
  private chainError (err: any, options: ChainRunOptions): Error {
    if (options.signal?.aborted === true && options.signal.reason instanceof Error) return options.signal.reason
    if (err?.name === DeadlineExceededError.name) return err
    const step = String(err?.chainStep ?? '')
    const inner = String(err?.name ?? 'Error')
    return new ChainStepError(`step "${step}" failed with ${inner}: ${String(err?.message ?? err).slice(0, 400)}`, step, inner)
  }

  private async specOf (cid: string, options: AbortOptions): Promise<ChainSpec> {
    let spec = await this.components.spec(cid)
    if (spec == null) {
      // held elsewhere: fetched from a provider and verified against its CID, like code
      await this.components.resolver.resolve(cid, options)
      spec = await this.components.spec(cid)
    }
    if (spec == null) throw new InvalidChainError(`chain ${cid} could not be loaded`)
    return spec
  }
}

/** A step's invocation id: derived from the chain's, so a retried chain runs no step twice. */
export function stepInvocationId (chainId: string, stepId: string): string {
  return createHash('sha256').update(chainId).update('\0').update(stepId).digest('base64url').slice(0, 32)
}

