import { FunctionTable } from './function-table.js'
import { SecondSeries } from './series.js'
import type { FinishedInvocation, FunctionStats, InvocationStatsComponents, InvocationStatsInit, InvocationStats as InvocationStatsInterface, SeriesPoint } from './index.js'

export class InvocationStats implements InvocationStatsInterface {
  readonly windowSeconds: number
  private readonly now: () => number
  private readonly perSecond: SecondSeries
  private readonly perFunction: FunctionTable

  constructor (components: InvocationStatsComponents, init: InvocationStatsInit) {
    this.windowSeconds = Math.max(1, Math.floor(init.windowSeconds ?? 300))
    const samples = Math.max(1, Math.floor(init.samples ?? 256))
    this.now = components.now ?? Date.now
    this.perSecond = new SecondSeries(this.windowSeconds, samples)
    this.perFunction = new FunctionTable(Math.max(1, Math.floor(init.maxFunctions ?? 256)), samples)
  }

  record (done: FinishedInvocation): void {
    const at = this.now()
    const ok = done.outcome === 'ok'
    const name = done.name ?? done.chain?.name
    this.perSecond.add(at, ok, done.totalMs)
    this.perFunction.add({ cid: done.cid, ...(name != null ? { name } : {}), at, ok, ...(!ok && done.outcome != null ? { errorName: done.outcome } : {}), ...(done.totalMs != null ? { latencyMs: done.totalMs } : {}) })
  }

  series (): SeriesPoint[] {
    return this.perSecond.points(this.now())
  }

  functions (): FunctionStats[] {
    return this.perFunction.list()
  }
}
