/**
 * The workload driver: a bounded, seeded, open-loop generator. Arrival times are drawn up
 * front (Poisson, constant or bursts) and each request is sent at its time whether or not the
 * earlier ones have answered, so queueing shows in the latencies. Every request ends in exactly
 * one record: `ok`, the named error the mesh answered, or `lost` when no answer came (in time,
 * or at all).
 */
import { seeded } from './rng.js'
import type { Arrival, WorkloadItem } from './scenario.js'
import type { PolicyName } from '../../daemon/src/placement/policy-names.js'
import { timeoutSignal } from '../../protocols/src/timeout-signal.js'

export interface InvocationRecord {
  /** `<policy>@<load or rate>`. */
  run: string
  policy: PolicyName
  load?: number
  rate: number
  seq: number
  /** Arrival time, ms from the start of the run. */
  at: number
  entry: string
  function: string
  /** Node that ran it, or '' when none did. */
  executor: string
  status: number
  /** `ok`, an error name (`NoCapacityError`...), or `lost`. */
  outcome: string
  totalMs: number
  placementMs?: number
  durationMs?: number
  cold?: boolean
  bids?: string
}

export interface DriveOptions {
  run: string
  policy: PolicyName
  load?: number
  rate: number
  durationS: number
  /** Send exactly this many instead of stopping at `durationS`. */
  count?: number
  arrival: Arrival
  burstSize: number
  mix: WorkloadItem[]
  seed: number
  timeoutS: number
  deadlineMs?: number
  /** Entry nodes to send to, by name, with their gateway URL (only the ones alive now). */
  entries(): Array<{ name: string, url: string, token?: string }>
  /** Node name of a peer id. */
  nodeOf(peerId: string): string
  onRecord(record: InvocationRecord): void
  onProgress(done: number, total: number): void
  signal: AbortSignal
}

/** Arrival offsets in ms at `rate` req/s: for `durationS`, or exactly `count` of them. */
export function arrivals (arrival: Arrival, rate: number, durationS: number, burstSize: number, random: () => number, count?: number): number[] {
  const end = count == null ? durationS * 1000 : Infinity
  const limit = count ?? Infinity
  const out: number[] = []
  if (arrival === 'constant') {
    for (let t = 0; t < end && out.length < limit; t += 1000 / rate) out.push(t)
  } else if (arrival === 'bursts') {
    for (let t = 0; t < end && out.length < limit; t += burstSize * 1000 / rate) for (let i = 0; i < burstSize && out.length < limit; i++) out.push(t)
  } else {
    for (let t = -Math.log(1 - random()) * 1000 / rate; t < end && out.length < limit; t += -Math.log(1 - random()) * 1000 / rate) out.push(t)
  }
  return out
}

function pick<T extends { weight: number }> (items: T[], random: () => number): T {
  const total = items.reduce((sum, i) => sum + i.weight, 0)
  let r = random() * total
  for (const item of items) {
    r -= item.weight
    if (r < 0) return item
  }
  return items[items.length - 1]!
}

export async function drive (options: DriveOptions): Promise<InvocationRecord[]> {
  const random = seeded(options.seed)
  const times = arrivals(options.arrival, options.rate, options.durationS, options.burstSize, random, options.count)
  const records: InvocationRecord[] = []
  const pending: Array<Promise<void>> = []
  const started = performance.now()
  let done = 0
  for (let seq = 0; seq < times.length; seq++) {
    if (options.signal.aborted) break
    const wait = started + times[seq]! - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    const item = pick(options.mix, random)
    const entries = options.entries()
    const entry = entries[Math.floor(random() * entries.length)]
    const base = { run: options.run, policy: options.policy, load: options.load, rate: options.rate, seq, at: performance.now() - started, function: item.function }
    if (entry == null) {
      const record = { ...base, entry: '', executor: '', status: 0, outcome: 'NoEntryNode', totalMs: 0 }
      records.push(record)
      options.onRecord(record)
      continue
    }
    pending.push(send(entry, item, options).then((result) => {
      const record = { ...base, entry: entry.name, ...result }
      records.push(record)
      options.onRecord(record)
      options.onProgress(++done, times.length)
    }))
  }
  await Promise.all(pending)
  return records
}

async function send (entry: { name: string, url: string, token?: string }, item: WorkloadItem, options: DriveOptions): Promise<Omit<InvocationRecord, 'run' | 'policy' | 'load' | 'rate' | 'seq' | 'at' | 'function' | 'entry'>> {
  const t0 = performance.now()
  // the entry's gateway token: invoke needs one only when the node's api.requireTokenFor says so
  const headers: Record<string, string> = { 'x-faasmesh-policy': options.policy, ...(entry.token != null ? { authorization: `Bearer ${entry.token}` } : {}) }
  if (options.deadlineMs != null) headers['x-faasmesh-deadline-ms'] = String(options.deadlineMs)
  try {
    const res = await fetch(`${entry.url}/v1/invoke/${encodeURIComponent(item.function)}`, {
      method: 'POST',
      body: item.input,
      headers,
      signal: AbortSignal.any([options.signal, timeoutSignal(options.timeoutS * 1000)])
    })
    const body = await res.text()
    const totalMs = performance.now() - t0
    if (res.status === 200) {
      return {
        executor: options.nodeOf(res.headers.get('x-faasmesh-executor') ?? ''),
        status: 200,
        outcome: 'ok',
        totalMs,
        placementMs: Number(res.headers.get('x-faasmesh-placement-ms')),
        durationMs: Number(res.headers.get('x-faasmesh-duration-ms')),
        cold: res.headers.get('x-faasmesh-cold') === 'true',
        bids: res.headers.get('x-faasmesh-bids') ?? undefined
      }
    }
    let name = `HTTP${res.status}`
    try { name = JSON.parse(body).error.name ?? name } catch {}
    return { executor: '', status: res.status, outcome: name, totalMs }
  } catch (err: any) {
    // no answer at all (nothing in time, or the connection died): lost, unless the run was cancelled
    return { executor: '', status: 0, outcome: options.signal.aborted ? 'cancelled' : 'lost', totalMs: performance.now() - t0 }
  }
}
