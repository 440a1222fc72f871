/**
 * Whether a testbed run's numbers can be trusted. Every daemon, its sandboxes and the load
 * generator share this host's cores, so a busy host stretches every latency and can invert a
 * ranking between policies (issue 17: the same seed gave the auction a 672 ms mean in one run
 * and 5690 ms in the next). Before the run it measures what other processes already use
 * (/proc/stat over a second, the load average, and how much CPU a spinning thread gets); during
 * the run it samples /proc/stat at intervals; its report says whether the host was saturated.
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

/** CPU time counters from /proc/stat, in clock ticks, summed over every core. */
export interface CpuCounters {
  /** Every state: user, nice, system, idle, iowait, irq, softirq, steal. */
  total: number
  /** idle + iowait: time no one wanted the CPU. */
  idle: number
  /** Time a hypervisor gave this VM's CPUs to someone else. */
  steal: number
  /** Threads runnable at the moment of reading (procs_running), the reader itself included. */
  running?: number
}

/**
 * The aggregate `cpu` line and `procs_running` of /proc/stat. Undefined when the text has no
 * usable `cpu` line (not Linux, or a kernel that prints something else).
 */
export function parseProcStat (text: string): CpuCounters | undefined {
  const cpu = /^cpu\s+([\d\s]+)$/m.exec(text)
  if (cpu == null) return undefined
  // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already in user
  const f = cpu[1]!.trim().split(/\s+/).map(Number)
  if (f.length < 4 || f.some((v) => !Number.isFinite(v))) return undefined
  const field = (i: number): number => f[i] ?? 0
  const total = [0, 1, 2, 3, 4, 5, 6, 7].reduce((sum, i) => sum + field(i), 0)
  const running = /^procs_running\s+(\d+)$/m.exec(text)
  return { total, idle: field(3) + field(4), steal: field(7), ...(running != null ? { running: Number(running[1]) } : {}) }
}

/** The share of the host's CPU time that was busy (and stolen) between two readings. */
export function busyBetween (a: CpuCounters, b: CpuCounters): { busy: number, steal: number } {
  const total = b.total - a.total
  if (total <= 0) return { busy: 0, steal: 0 }
  return { busy: Math.min(1, Math.max(0, 1 - (b.idle - a.idle) / total)), steal: Math.max(0, (b.steal - a.steal) / total) }
}

export interface HostCheckInit {
  /** Interval between samples during the run. @default 1000 */
  intervalMs?: number
  /** How long the host is watched before the run starts. @default 1000 */
  beforeMs?: number
  /** How long the spinning thread runs before the run starts. @default 250 */
  spinMs?: number
  /** A sample is saturated when less than this share of the host's CPU was idle. @default 0.1 */
  idleFloor?: number
  /** The run was saturated when at least this share of its samples were. @default 0.5 */
  saturatedShare?: number
  /**
   * Before the run nothing of ours is running yet: other processes using more than this share
   * of the host (or steal above `stealCeiling`) make the host contended. @default 0.25
   */
  externalCeiling?: number
  /** @default 0.05 */
  stealCeiling?: number
  /** A spinning thread getting less than this share of a core means it waited for one. @default 0.8 */
  spinFloor?: number
}

export interface HostCheckComponents {
  /** The text of /proc/stat; undefined where there is none. */
  readStat(): Promise<string | undefined>
  /** 1, 5 and 15 minute load averages. */
  loadavg(): number[]
  cores: number
}

/** What the scenario asks of the host, for the record next to what the host had. */
export interface HostNeed {
  daemons: number
  slots: number
  /** Processes that compete for the cores besides the daemons' sandboxes: daemons + the load generator. */
  processes: number
}

export interface HostBefore {
  /** Load averages (1, 5, 15 min) when the run started. */
  loadBefore: number[]
  /** Share of the host's CPU busy over `beforeMs` before anything of ours ran; undefined without /proc/stat. */
  busyBefore?: number
  stealBefore?: number
  /** CPU time a spinning thread got over its wall time (1: it had a core to itself). */
  spinShare: number
  /** Why the host was already contended, if it was. */
  contended?: string
}

export interface HostSample {
  /** The run (policy@load) this sample fell in. */
  run: string
  busy: number
  steal: number
  /** Runnable threads besides the sampler. */
  running?: number
  saturated: boolean
}

/** The host's record in a run's results (`summary.json`, the table's first line). */
export interface HostReport extends HostBefore {
  cores: number
  need?: HostNeed
  /** Mean busy share of the host over every sample taken while a workload ran. */
  busyShareDuring?: number
  samples: number
  saturatedSamples: number
  /** Per run (policy@load): mean busy share, saturated samples, and whether they were the run's share that makes it saturated. */
  runs: Record<string, { busyShare: number, samples: number, saturatedSamples: number, saturated: boolean }>
  /** Contended before the start or saturated during most of the run: the latencies are the host's, not the mesh's. */
  saturated: boolean
  /** One sentence for a person: `ok`, or what was wrong. */
  verdict: string
}

export interface HostCheck {
  /** Watches the host before anything of ours starts (honours the signal). */
  before(options?: { signal?: AbortSignal }): Promise<HostBefore>
  /** Samples every `intervalMs` until `stop()`, attributing samples to `run`. */
  start(run: string): void
  stop(): void
  /** Takes one sample now (the interval calls this; tests call it with synthetic /proc/stat). */
  sample(): Promise<HostSample | undefined>
  report(need?: HostNeed): HostReport
}

class HostCheckClass implements HostCheck {
  private readonly intervalMs: number
  private readonly beforeMs: number
  private readonly spinMs: number
  private readonly idleFloor: number
  private readonly saturatedShare: number
  private readonly externalCeiling: number
  private readonly stealCeiling: number
  private readonly spinFloor: number
  private readonly samples: HostSample[] = []
  private last?: CpuCounters
  private run = ''
  private timer?: ReturnType<typeof setInterval>
  private pre: HostBefore

  constructor (private readonly components: HostCheckComponents, init: HostCheckInit) {
    this.intervalMs = init.intervalMs ?? 1000
    this.beforeMs = init.beforeMs ?? 1000
    this.spinMs = init.spinMs ?? 250
    this.idleFloor = init.idleFloor ?? 0.1
    this.saturatedShare = init.saturatedShare ?? 0.5
    this.externalCeiling = init.externalCeiling ?? 0.25
    this.stealCeiling = init.stealCeiling ?? 0.05
    this.spinFloor = init.spinFloor ?? 0.8
    this.pre = { loadBefore: components.loadavg(), spinShare: 1 }
  }

  async before (options: { signal?: AbortSignal } = {}): Promise<HostBefore> {
    const loadBefore = this.components.loadavg()
    const a = await this.read()
    await sleep(this.beforeMs, undefined, { signal: options.signal })
    const b = await this.read()
    const spinShare = spin(this.spinMs)
    const share = a != null && b != null ? busyBetween(a, b) : undefined
    const reasons: string[] = []
    if (share != null && share.busy > this.externalCeiling) reasons.push(`other processes used ${pct(share.busy)} of the CPU before the start`)
    if (share != null && share.steal > this.stealCeiling) reasons.push(`the hypervisor took ${pct(share.steal)} (steal)`)
    if (spinShare < this.spinFloor) reasons.push(`a spinning thread got ${pct(spinShare)} of a core`)
    this.pre = {
      loadBefore,
      ...(share != null ? { busyBefore: share.busy, stealBefore: share.steal } : {}),
      spinShare,
      ...(reasons.length > 0 ? { contended: reasons.join('; ') } : {})
    }
    return this.pre
  }

  start (run: string): void {
    this.run = run
    if (this.timer != null) return
    // the first tick only reads the baseline: a run's samples cover that run and nothing before it
    this.timer = setInterval(() => { void this.sample() }, this.intervalMs)
    // sampling never keeps the testbed alive
    this.timer.unref()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = undefined
    // the next start measures from its own first reading, not across the pause
    this.last = undefined
  }

  async sample (): Promise<HostSample | undefined> {
    const now = await this.read()
    const prev = this.last
    this.last = now
    if (now == null || prev == null) return undefined
    const { busy, steal } = busyBetween(prev, now)
    const running = now.running != null ? Math.max(0, now.running - 1) : undefined
    const sample: HostSample = { run: this.run, busy, steal, ...(running != null ? { running } : {}), saturated: 1 - busy < this.idleFloor || (running != null && running > this.components.cores) }
    this.samples.push(sample)
    return sample
  }

  report (need?: HostNeed): HostReport {
    const runs: HostReport['runs'] = {}
    for (const s of this.samples) {
      const r = runs[s.run] ?? (runs[s.run] = { busyShare: 0, samples: 0, saturatedSamples: 0, saturated: false })
      r.busyShare += s.busy
      r.samples++
      if (s.saturated) r.saturatedSamples++
    }
    for (const r of Object.values(runs)) {
      r.busyShare /= r.samples
      r.saturated = this.mostlySaturated(r.saturatedSamples, r.samples)
    }
    const saturatedSamples = this.samples.filter((s) => s.saturated).length
    const during = this.mostlySaturated(saturatedSamples, this.samples.length)
    const busyShareDuring = this.samples.length > 0 ? this.samples.reduce((sum, s) => sum + s.busy, 0) / this.samples.length : undefined
    const reasons: string[] = []
    if (this.pre.contended != null) reasons.push(`busy before the start: ${this.pre.contended}`)
    if (during) reasons.push(`saturated during the run: under ${pct(this.idleFloor)} idle or more runnable threads than cores in ${saturatedSamples} of ${this.samples.length} samples`)
    return {
      cores: this.components.cores,
      ...(need != null ? { need } : {}),
      ...this.pre,
      ...(busyShareDuring != null ? { busyShareDuring } : {}),
      samples: this.samples.length,
      saturatedSamples,
      runs,
      saturated: reasons.length > 0,
      verdict: reasons.length > 0 ? reasons.join('; ') : 'ok'
    }
  }

  /** One rule for a run and for the whole: saturated in at least `saturatedShare` of its samples. */
  private mostlySaturated (saturatedSamples: number, samples: number): boolean {
    return samples > 0 && saturatedSamples >= this.saturatedShare * samples
  }

  private async read (): Promise<CpuCounters | undefined> {
    const text = await this.components.readStat()
    return text == null ? undefined : parseProcStat(text)
  }
}

/** Busy-loops for `ms` of wall time and returns the CPU time it got over that wall time. */
function spin (ms: number): number {
  const cpu = process.cpuUsage()
  const start = performance.now()
  let x = 0
  while (performance.now() - start < ms) x = (x + 1) % 1_000_003
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  return x < 0 || wall <= 0 ? 1 : Math.min(1, (used.user + used.system) / 1000 / wall)
}

const pct = (share: number): string => `${Math.round(share * 100)} %`

export function hostCheck (init: HostCheckInit = {}): (components: HostCheckComponents) => HostCheck {
  return (components) => new HostCheckClass(components, init)
}

/** This host: /proc/stat where there is one, os.loadavg, and the cores Node may use. */
export function hostComponents (): HostCheckComponents {
  return {
    readStat: async () => await readFile('/proc/stat', 'utf8').catch(() => undefined),
    loadavg: () => loadavg(),
    cores: availableParallelism()
  }
}

/** The line above a run's table: what the host had and whether the numbers can be trusted. */
export function hostLine (h: HostReport): string {
  const parts = [`host: ${h.cores} cores`, `load ${h.loadBefore.map((l) => l.toFixed(2)).join(' ')} before the start`]
  if (h.need != null) parts.push(`${h.need.daemons} daemons (${h.need.slots} slots) + load generator`)
  if (h.busyBefore != null) parts.push(`${pct(h.busyBefore)} busy before`)
  if (h.busyShareDuring != null) parts.push(`${pct(h.busyShareDuring)} busy during (${h.saturatedSamples} of ${h.samples} samples saturated)`)
  return `${parts.join(', ')}: ${h.saturated ? `SATURATED, ${h.verdict}; latencies include CPU contention, do not compare them with a quiet host's` : 'ok'}`
}
