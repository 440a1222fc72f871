import { ChainDataUnavailableError, StateUnavailableError } from '../errors.js'
import { runTimings, type ExecutorTimings, type Timings } from './timings.js'
import type { ChainDataStore, Gathered, StepInput } from '../chains/data.js'
import type { RunTimeEstimates } from './estimates.js'
import type { Executor } from '../executor/index.js'
import type { Resolver } from '../resolver/index.js'
import type { StateCall, StateOutcome, Transactions } from '../state/index.js'
import type { AbortOptions } from '@libp2p/interface'

export interface LocalRun {
  output: Uint8Array
  /** A chain step: bytes of its input this node fetched from the nodes that produced them. */
  inputBytesMoved?: number
  durationMs: number
  fuelUsed: number
  cold: boolean
  fetched: boolean
  /** A stateful run: what became of its state. */
  state?: StateOutcome
  /** Where the time went on this node (code fetch, compile, queue, run; `./timings.ts`). */
  timings?: Timings
  /** What the function logged (bounded by the executor). */
  logs?: string[]
}

/** A run before its code fetch's phases join the executor's. */
type Ran = Omit<LocalRun, 'timings'> & { timings?: ExecutorTimings }

export interface LocalRunOptions extends AbortOptions {
  /** Runs the invocation as a transaction on this state key. */
  state?: StateCall
  /** A chain step: its input is gathered from these (and the `input` argument ignored). */
  inputs?: StepInput[]
  /** A chain step whose output the next steps fetch from here: kept under this id. */
  keepAs?: string
  /** The remote peer the run is for (fair queueing for a slot); unset: this node's own caller. */
  source?: string
}

export interface LocalRunnerComponents {
  resolver: Pick<Resolver, 'resolve'>
  executor: Pick<Executor, 'invoke'>
  estimates: RunTimeEstimates
  /** Stateful runs; without it, a call with a state key fails with StateUnavailableError. */
  transactions?: Pick<Transactions, 'run'>
  /** Chain steps' inputs and kept outputs; without it, a step with inputs fails with ChainDataUnavailableError. */
  chainData?: Pick<ChainDataStore, 'gather' | 'keep'>
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
      // the code and a chain step's input come at once: both are on the way to running
      const [{ fetched, timings: fetch }, gathered] = await Promise.all([
        this.components.resolver.resolve(cid, options),
        options.inputs != null && options.inputs.length > 0 ? this.gather(options.inputs, options) : undefined
      ])
      const ran = await this.execute(cid, gathered?.input ?? input, fetched, options)
      const run = { ...ran, timings: runTimings(fetch, ran.timings) }
      if (options.keepAs != null) this.components.chainData?.keep(options.keepAs, run.output)
      return gathered == null ? run : { ...run, inputBytesMoved: gathered.moved }
    } finally {
      this.admitted--
      this.onChange()
    }
  }

  /** Runs the code; `timings` are the executor's phases only. */
  private async execute (cid: string, input: Uint8Array, fetched: boolean, options: LocalRunOptions): Promise<Ran> {
    if (options.state != null) return this.transaction(cid, input, fetched, options.state, options)
    const result = await this.components.executor.invoke(cid, input, { signal: options.signal, source: options.source })
    this.components.estimates.record(cid, result.runMs)
    return { output: result.output, durationMs: result.durationMs, fuelUsed: result.fuelUsed, cold: fetched || result.cold, fetched, timings: result.timings, logs: result.logs }
  }

  private async gather (inputs: StepInput[], options: AbortOptions): Promise<Gathered> {
    const data = this.components.chainData
    if (data == null) throw new ChainDataUnavailableError('this node keeps no chain data')
    return data.gather(inputs, options)
  }

  private async transaction (cid: string, input: Uint8Array, fetched: boolean, call: StateCall, options: AbortOptions & { source?: string }): Promise<Ran> {
    const { transactions, executor, estimates } = this.components
    if (transactions == null) throw new StateUnavailableError('this node keeps no state')
    const started = performance.now()
    // the last run's phases: a run repeated after a conflict ran again
    let timings: ExecutorTimings | undefined
    let logs: string[] | undefined
    const { run, output, state } = await transactions.run(call, async (guest, signal) => {
      const result = await executor.invoke(cid, input, { signal, state: guest, source: options.source })
      estimates.record(cid, result.runMs)
      timings = result.timings
      logs = result.logs
      return result
    }, options)
    // a replayed id ran nothing now: its output is the first run's
    return { output, durationMs: performance.now() - started, fuelUsed: run?.fuelUsed ?? 0, cold: fetched || (run?.cold ?? false), fetched, state, timings, logs }
  }
}
