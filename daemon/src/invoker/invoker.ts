import { DeadlineExceededError, InvalidParametersError } from '../errors.js'
import { POLICIES, type InvocationOptions, type InvocationResult, type InvokerComponents, type InvokerInit, type PolicyName, type Invoker as InvokerInterface } from './index.js'

export class Invoker implements InvokerInterface {
  private readonly components: InvokerComponents
  private readonly defaultPolicy: PolicyName
  private readonly maxDeadlineMs: number

  constructor (components: InvokerComponents, init: InvokerInit) {
    this.components = components
    this.defaultPolicy = init.defaultPolicy ?? 'auction'
    this.maxDeadlineMs = init.maxDeadlineMs ?? 300_000
  }

  async invoke (nameOrCid: string, input: Uint8Array, options: InvocationOptions = {}): Promise<InvocationResult> {
    const policy = this.policyOf(options.policy)
    const deadline = this.deadlineSignal(options.deadlineMs)
    const signal = deadline == null ? options.signal : (options.signal == null ? deadline.signal : AbortSignal.any([options.signal, deadline.signal]))
    try {
      const placementStarted = performance.now()
      const { cid, fetched } = await this.components.resolver.resolve(nameOrCid, { signal })
      // placement across the mesh (the auction) is not wired yet: every policy runs it here
      const placementMs = performance.now() - placementStarted
      signal?.throwIfAborted()
      const result = await this.components.executor.invoke(cid, input, { signal })
      return {
        output: result.output,
        cid,
        executor: this.components.peerId.toString(),
        policy,
        durationMs: result.durationMs,
        placementMs,
        cold: fetched || result.cold,
        fetched,
        fuelUsed: result.fuelUsed
      }
    } finally {
      deadline?.clear()
    }
  }

  private policyOf (name: string | undefined): PolicyName {
    if (name == null || name === '') return this.defaultPolicy
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
