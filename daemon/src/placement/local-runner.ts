import { StateUnavailableError } from '../errors.js'
import type { RunTimeEstimates } from './estimates.js'
import type { Executor } from '../executor/index.js'
import type { Resolver } from '../resolver/index.js'
import type { StateCall, StateOutcome, Transactions } from '../state/index.js'
import type { AbortOptions } from '@libp2p/interface'

export interface LocalRun {
  output: Uint8Array
  durationMs: number
  fuelUsed: number
  cold: boolean
  fetched: boolean
  /** A stateful run: what became of its state. */
  state?: StateOutcome
}

export interface LocalRunOptions extends AbortOptions {
  /** Runs the invocation as a transaction on this state key. */
  state?: StateCall
}

export interface LocalRunnerComponents {
  resolver: Pick<Resolver, 'resolve'>
  executor: Pick<Executor, 'invoke'>
  estimates: RunTimeEstimates
  /** Stateful runs; without it, a call with a state key fails with StateUnavailableError. */
  transactions?: Pick<Transactions, 'run'>
}

/**
 * Runs invocations on this node, whoever placed them here (this node's invoker or a remote
 * auctioneer): fetches the code if needed, runs it (as a transaction on its state key, when it
 * has one), learns its run time. It counts what it has admitted, from admission to answer, so
 * bids see a slot taken the moment it is promised, before the executor has picked the call up.
 */
export class LocalRunner {
  private admitted = 0

  constructor (private readonly components: LocalRunnerComponents, private readonly onChange: () => void = () => {}) {}

  /** Invocations admitted here and not answered yet (running, compiling, fetching or queued). */
  get running (): number {
    return this.admitted
  }

  async run (cid: string, input: Uint8Array, options: LocalRunOptions = {}): Promise<LocalRun> {
    this.admitted++
    this.onChange()
    try {
      const { fetched } = await this.components.resolver.resolve(cid, options)
      if (options.state != null) return await this.transaction(cid, input, fetched, options.state, options)
      const result = await this.components.executor.invoke(cid, input, { signal: options.signal })
      this.components.estimates.record(cid, result.runMs)
      return { output: result.output, durationMs: result.durationMs, fuelUsed: result.fuelUsed, cold: fetched || result.cold, fetched }
    } finally {
      this.admitted--
      this.onChange()
    }
  }

  private async transaction (cid: string, input: Uint8Array, fetched: boolean, call: StateCall, options: AbortOptions): Promise<LocalRun> {
    const { transactions, executor, estimates } = this.components
    if (transactions == null) throw new StateUnavailableError('this node keeps no state')
    const started = performance.now()
    const { run, output, state } = await transactions.run(call, async (guest, signal) => {
      const result = await executor.invoke(cid, input, { signal, state: guest })
      estimates.record(cid, result.runMs)
      return result
    }, options)
    // a replayed id ran nothing now: its output is the first run's
    return { output, durationMs: performance.now() - started, fuelUsed: run?.fuelUsed ?? 0, cold: fetched || (run?.cold ?? false), fetched, state }
  }
}
