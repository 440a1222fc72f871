import { DeadlineExceededError, InvalidParametersError } from '../errors.js'
import { POLICIES, type InvocationOptions, type InvocationResult, type InvokerComponents, type InvokerInit, type PolicyName, type Invoker as InvokerInterface } from './index.js'

export class Invoker implements InvokerInterface {
  private readonly components: InvokerComponents
  private readonly maxDeadlineMs: number

  constructor (components: InvokerComponents, init: InvokerInit) {
    this.components = components
    this.maxDeadlineMs = init.maxDeadlineMs ?? 300_000
  }

  async invoke (nameOrCid: string, input: Uint8Array, options: InvocationOptions = {}): Promise<InvocationResult> {
    const policy = this.policyOf(options.policy)
    const started = performance.now()
    const deadline = this.deadlineSignal(options.deadlineMs)
    const signal = deadline == null ? options.signal : (options.signal == null ? deadline.signal : AbortSignal.any([options.signal, deadline.signal]))
    try {
      const cid = await this.components.resolver.lookup(nameOrCid, { signal })
      signal?.throwIfAborted()
      const lookupMs = performance.now() - started
      const placed = await this.components.placement.place(cid, input, {
        policy,
        signal,
        deadlineAt: options.deadlineMs == null ? undefined : started + options.deadlineMs
      })
      return {
        output: placed.output,
        cid,
        executor: placed.executor,
        policy,
        durationMs: placed.durationMs,
        placementMs: lookupMs + placed.placementMs,
        cold: placed.cold,
        fetched: placed.fetched,
        fuelUsed: placed.fuelUsed,
        bids: placed.bids,
        placementId: placed.id
      }
    } catch (err) {
      // whatever was in flight when the deadline passed, the caller hears about the deadline
      if (deadline?.signal.aborted === true) throw deadline.signal.reason
      throw err
    } finally {
      deadline?.clear()
    }
  }

  private policyOf (name: string | undefined): PolicyName {
    if (name == null || name === '') return this.components.placement.defaultPolicy
    if (!(POLICIES as readonly string[]).includes(name)) {
      throw new InvalidParametersError(`unknown placement policy "${name.slice(0, 40)}"; use one of ${POLICIES.join(', ')}`)
    }
    return name as PolicyName
  }

  private deadlineSignal (deadlineMs: number | undefined): { signal: AbortSignal, clear(): void } | undefined {
    if (deadlineMs == null) return undefined
    if (!Number.isSafeInteger(deadlineMs) || deadlineMs <= 0 || deadlineMs > this.maxDeadlineMs) {
      throw new InvalidParametersError(`deadline must be an integer from 1 to ${this.maxDeadlineMs} ms, got ${deadlineMs}`)
    }
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort(new DeadlineExceededError(`no answer within the ${deadlineMs} ms deadline`)) }, deadlineMs)
    return { signal: controller.signal, clear: () => { clearTimeout(timer) } }
  }
}
