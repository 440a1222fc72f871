import type { RunTimeEstimates } from './estimates.js'
import type { Executor } from '../executor/index.js'
import type { Resolver } from '../resolver/index.js'
import type { AbortOptions } from '@libp2p/interface'

export interface LocalRun {
  output: Uint8Array
  durationMs: number
  fuelUsed: number
  cold: boolean
  fetched: boolean
}

export interface LocalRunnerComponents {
  resolver: Pick<Resolver, 'resolve'>
  executor: Pick<Executor, 'invoke'>
  estimates: RunTimeEstimates
}

/**
 * Runs invocations on this node, whoever placed them here (this node's invoker or a remote
 * auctioneer): fetches the code if needed, runs it, learns its run time. It counts what it has
 * admitted, from admission to answer, so bids see a slot taken the moment it is promised,
 * before the executor has picked the call up.
 */
export class LocalRunner {
  private admitted = 0

  constructor (private readonly components: LocalRunnerComponents, private readonly onChange: () => void = () => {}) {}

  /** Invocations admitted here and not answered yet (running, compiling, fetching or queued). */
  get running (): number {
    return this.admitted
  }

  async run (cid: string, input: Uint8Array, options: AbortOptions = {}): Promise<LocalRun> {
    this.admitted++
    this.onChange()
    try {
      const { fetched } = await this.components.resolver.resolve(cid, options)
      const result = await this.components.executor.invoke(cid, input, options)
      this.components.estimates.record(cid, result.runMs)
      return { output: result.output, durationMs: result.durationMs, fuelUsed: result.fuelUsed, cold: fetched || result.cold, fetched }
    } finally {
      this.admitted--
      this.onChange()
    }
  }
}
