import { isChainCid } from '../chains/spec.js'
import { DeadlineExceededError, FunctionNotFoundError, InvalidParametersError } from '../errors.js'
import { fingerprintOf, invocationTable, newInvocationId, type InvocationTable } from '../invocations/index.js'
import { stateTarget } from '../placement/index.js'
import { endSpan, spanContext } from '../telemetry/index.js'
import type { Context } from '@opentelemetry/api'
import { invokerMetrics, type InvokerMetrics } from './metrics.js'
import type { StateSpec } from '../placement/index.js'
import { POLICIES, type InvocationOptions, type InvocationResult, type InvokerComponents, type InvokerInit, type PolicyName, type Invoker as InvokerInterface } from './index.js'

export class Invoker implements InvokerInterface {
  private readonly components: InvokerComponents
  private readonly maxDeadlineMs: number
  private readonly table: InvocationTable<InvocationResult>
  private readonly metrics?: InvokerMetrics

  constructor (components: InvokerComponents, init: InvokerInit) {
    this.components = components
    this.maxDeadlineMs = init.maxDeadlineMs ?? 300_000
    // what an outcome weighs: its output, and the in-client state it returns
    this.table = invocationTable<InvocationResult>('entry', init.invocations, (result) => result.output.byteLength + (result.state?.clientState?.byteLength ?? 0), components.registry)
    if (components.registry != null) this.metrics = invokerMetrics(components.registry)
  }

  async invoke (nameOrCid: string, input: Uint8Array, options: InvocationOptions = {}): Promise<InvocationResult> {
    const policy = this.policyOf(options.policy)
    this.checkDeadline(options.deadlineMs)
    const id = options.invocationId ?? newInvocationId()
    // an id is bound to its function, input and state key: reused for another, it conflicts
    const fingerprint = fingerprintOf(stateTarget(nameOrCid, options.state), input)
    // each caller waits under its own deadline, whoever's run it waits for
    const deadline = this.deadlineSignal(options.deadlineMs)
    const signal = deadline == null ? options.signal : options.signal == null ? deadline.signal : AbortSignal.any([options.signal, deadline.signal])
    const started = performance.now()
    let outcome = 'ok'
    try {
      for (let round = 0; ; round++) {
        let started = false
        try {
          // the run belongs to the node: a caller who leaves ends it only when no repeat waits on it
          return await this.table.run(id, fingerprint, async (runSignal) => {
            started = true
            return this.traced(id, nameOrCid, policy, options.trace, async (trace) => this.run(id, nameOrCid, input, policy, options.deadlineMs, options.state, options.locality, runSignal, trace))
          }, { signal })
        } catch (err: any) {
          // the run it joined ran out of its first caller's time, not of this caller's: run it
          // again under its own (a run cut by its deadline left no effect, and the table forgot it)
          if (!started && round === 0 && err?.name === DeadlineExceededError.name && signal?.aborted !== true) continue
          throw err
        }
      }
    } catch (err: any) {
      const thrown = deadline?.signal.aborted === true ? deadline.signal.reason : err
      outcome = String(thrown?.name ?? 'Error')
      throw thrown
    } finally {
      deadline?.clear()
      this.metrics?.observe(nameOrCid, outcome, (performance.now() - started) / 1000)
    }
  }

  /** Runs `run` in a span of its own when tracing is on, handing it the span's context. */
  private async traced (invocationId: string, nameOrCid: string, policy: PolicyName, parent: Context | undefined, run: (trace: Context | undefined) => Promise<InvocationResult>): Promise<InvocationResult> {
    const tracing = this.components.tracing
    if (tracing?.enabled !== true) return run(parent)
    const span = tracing.tracer.startSpan('invoker', { attributes: { 'faasmesh.function': nameOrCid.slice(0, 200), 'faasmesh.invocation.id': invocationId, 'faasmesh.placement.policy': policy } }, parent)
    try {
      const result = await run(spanContext(span, parent))
      span.setAttributes({ 'faasmesh.function.cid': result.cid, 'faasmesh.executor': result.executor, 'faasmesh.placement.id': result.placementId })
      endSpan(span)
      return result
    } catch (err) {
      endSpan(span, err)
      throw err
    }
  }

  private async run (invocationId: string, nameOrCid: string, input: Uint8Array, policy: PolicyName, deadlineMs: number | undefined, state: StateSpec | undefined, locality: boolean | undefined, abandoned: AbortSignal, trace: Context | undefined): Promise<InvocationResult> {
    const started = performance.now()
    const deadline = this.deadlineSignal(deadlineMs)
    const signal = deadline == null ? abandoned : AbortSignal.any([abandoned, deadline.signal])
    try {
      const cid = await this.components.resolver.lookup(nameOrCid, { signal })
      signal?.throwIfAborted()
      const lookupMs = performance.now() - started
      const deadlineAt = deadlineMs == null ? undefined : started + deadlineMs
      if (isChainCid(cid)) return await this.runChain(invocationId, nameOrCid, cid, input, policy, deadlineAt, state, locality, signal, started)
      const placed = await this.components.placement.place(cid, input, {
        policy,
        signal,
        invocationId,
        // the record keeps the lookup as a phase of its own, and counts its total from here
        timings: { lookup: lookupMs },
        startedAt: started,
        ...(trace != null ? { trace } : {}),
        deadlineAt,
        ...(state != null ? { state } : {}),
        // the record shows what the caller asked for, not only the CID it came to
        ...(nameOrCid !== cid ? { name: nameOrCid } : {})
      })
      return {
        invocationId,
        output: placed.output,
        cid,
        executor: placed.executor,
        policy,
        durationMs: placed.durationMs,
        placementMs: placed.placementMs,
        timings: placed.timings ?? { lookup: lookupMs },
        totalMs: performance.now() - started,
        cold: placed.cold,
        fetched: placed.fetched,
        fuelUsed: placed.fuelUsed,
        bids: placed.bids,
        placementId: placed.id,
        ...(placed.state != null ? { state: placed.state } : {})
      }
    } catch (err) {
      // whatever was in flight when the deadline passed, the caller hears about the deadline
      if (deadline?.signal.aborted === true) throw deadline.signal.reason
      throw err
    } finally {
      deadline?.clear()
    }
  }

  private async runChain (invocationId: string, nameOrCid: string, cid: string, input: Uint8Array, policy: PolicyName, deadlineAt: number | undefined, state: StateSpec | undefined, locality: boolean | undefined, signal: AbortSignal, started: number): Promise<InvocationResult> {
    const lookupMs = performance.now() - started
    const chains = this.components.chains
    if (chains == null) throw new FunctionNotFoundError(`"${nameOrCid.slice(0, 100)}" is a chain, and this node runs no chains`)
    const ran = await chains.run(cid, input, {
      policy,
      signal,
      invocationId,
      ...(deadlineAt != null ? { deadlineAt } : {}),
      ...(state != null ? { state } : {}),
      ...(locality != null ? { locality } : {}),
      ...(nameOrCid !== cid ? { name: nameOrCid } : {})
    })
    const { traffic } = ran.record.chain
    return {
      invocationId,
      output: ran.output,
      cid,
      executor: ran.executor,
      policy,
      durationMs: ran.durationMs,
      placementMs: ran.placementMs,
      timings: { lookup: lookupMs },
      totalMs: performance.now() - started,
      cold: ran.cold,
      fetched: ran.fetched,
      fuelUsed: ran.fuelUsed,
      bids: ran.bids,
      placementId: ran.record.id,
      chain: { steps: ran.record.chain.steps.length, bytesMoved: traffic.invoke + traffic.chainData + traffic.state },
      ...(state != null ? { state: { model: state.model, version: 0, bytes: ran.stateBytes, ...(ran.clientState != null ? { clientState: ran.clientState } : {}) } } : {})
    }
  }

  private policyOf (name: string | undefined): PolicyName {
    if (name == null || name === '') return this.components.placement.defaultPolicy
    if (!(POLICIES as readonly string[]).includes(name)) {
      throw new InvalidParametersError(`unknown placement policy "${name.slice(0, 40)}"; use one of ${POLICIES.join(', ')}`)
    }
    return name as PolicyName
  }

  private checkDeadline (deadlineMs: number | undefined): void {
    if (deadlineMs == null) return
    if (!Number.isSafeInteger(deadlineMs) || deadlineMs <= 0 || deadlineMs > this.maxDeadlineMs) {
      throw new InvalidParametersError(`deadline must be an integer from 1 to ${this.maxDeadlineMs} ms, got ${deadlineMs}`)
    }
  }

  private deadlineSignal (deadlineMs: number | undefined): { signal: AbortSignal, clear(): void } | undefined {
    if (deadlineMs == null) return undefined
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort(new DeadlineExceededError(`no answer within the ${deadlineMs} ms deadline`)) }, deadlineMs)
    return { signal: controller.signal, clear: () => { clearTimeout(timer) } }
  }
}
