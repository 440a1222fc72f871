import { SELF } from '../../../daemon/src/placement/bidder.js'
import { EntryLostError } from './errors.js'
import type { Faults } from './faults.js'
import type { SimNode, Job } from './node.js'
import type { Plan } from '../../../daemon/src/placement/candidates.js'
import type { Clock } from '../../../daemon/src/utils/clock.js'

/** placement.ts: the runner-up's reservation is held for this share of what is left of it. */
const HOLD_SHARE = 0.5
/** An invocation request or answer on the wire, small input and output. */
export const INVOKE_MESSAGE_BYTES = 200

export interface AttemptComponents {
  clock: Clock
  node(name: string): SimNode | undefined
  delay(from: SimNode, to: SimNode, bytes: number): number | undefined
  sent(count: number): void
  faults: Pick<Faults, 'cut' | 'track'>
  cid: string
}

/** What an invocation's attempts came to. */
export interface Attempted {
  executor: SimNode
  /** Targets tried before the one that ran it. */
  passedOn: number
  /** Of those, targets that were down, cut off, or died or were cut off while holding it. */
  unreachable: number
}

/**
 * The attempt path of placement.ts (`attempt`, `runHere`, `runThere`), modelled: the plan's
 * targets in order, then this node; a remote target claims its reservation or admits on room
 * (else REFUSED, which passes the invocation on, and dishonours a peer that had reserved); the
 * runner-up's reservation is held for half its life, and whatever was not claimed goes back
 * through the Auctioneer at the end. A target that dies or is cut off while it holds the
 * invocation passes it on, as the daemon's RpcChannelClosedError does; the entry node's own
 * death loses it (EntryLostError). Not modelled: deadlines, the second auction round, a remote
 * invocation's timeout, receipts.
 */
export async function attempt (entry: SimNode, plan: Plan, job: Omit<Job, 'done'>, c: AttemptComponents): Promise<Attempted> {
  const targets = [...plan.targets]
  if (!targets.some((t) => t.candidate.self)) targets.push({ candidate: entry.candidate(true) })
  const holds = plan.held.map((held) => c.clock.setTimeout(() => { entry.auctioneer.release(held) }, Math.max(0, ((held.reservedUntil ?? 0) - c.clock.now()) * HOLD_SHARE)))
  let unreachable = 0
  try {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!
      if (!entry.up) throw new EntryLostError(`${entry.name} died while placing the invocation`)
      if (target.candidate.self) {
        if (target.reservation != null) entry.reservations.claim(target.reservation, SELF, c.cid)
        target.reservation = undefined
        await new Promise<void>((resolve, reject) => { entry.run({ ...job, done: resolve, lost: () => { reject(new EntryLostError(`${entry.name} died running the invocation`)) } }) })
        return { executor: entry, passedOn: i, unreachable }
      }
      const node = c.node(target.candidate.peer)!
      const token = target.reservation
      const reserved = token != null && (target.reservedUntil ?? 0) > c.clock.now()
      target.reservation = undefined
      const outcome = await invoke(entry, node, token, job, c)
      if (outcome === 'ok') {
        entry.reputation.reward(node.name)
        return { executor: node, passedOn: i, unreachable }
      }
      // not run there: the slot it reserved goes back with the rest
      target.reservation = token
      if (outcome === 'refused' && reserved) entry.reputation.penalise(node.name, 'dishonoured')
      if (outcome === 'unreachable') { unreachable++; entry.reputation.penalise(node.name, 'unreachable') }
    }
    throw new Error('unreachable: this node always takes what it is left with')
  } finally {
    for (const timer of holds) c.clock.clearTimeout(timer)
    for (const target of [...targets, ...plan.held]) entry.auctioneer.release(target)
  }
}

/**
 * The invoke protocol, modelled: the request crosses the link, is admitted on its reservation
 * or on room, runs, and its answer crosses back. The node's death or a partition between the
 * two ends it as `unreachable` at once (the connection closes), and the node drops the run.
 */
async function invoke (from: SimNode, to: SimNode, token: Uint8Array | undefined, job: Omit<Job, 'done'>, c: AttemptComponents): Promise<'ok' | 'refused' | 'unreachable'> {
  if (!to.up || c.faults.cut(from, to)) return 'unreachable'
  return new Promise((resolve) => {
    let settled = false
    let there: Job | undefined
    const settle = (outcome: 'ok' | 'refused' | 'unreachable'): void => {
      if (settled) return
      settled = true
      untrack()
      resolve(outcome)
    }
    const untrack = c.faults.track({
      from,
      to,
      cut: () => {
        if (there != null) to.drop(there)
        settle('unreachable')
      }
    })
    const answer = (outcome: 'ok' | 'refused'): void => {
      there = undefined
      c.sent(1)
      c.clock.setTimeout(() => { settle(outcome) }, c.delay(to, from, INVOKE_MESSAGE_BYTES) ?? 0)
    }
    c.sent(1)
    // the invoke rides a stream: a lost segment is sent again, so it arrives, a round trip late
    const delay = c.delay(from, to, INVOKE_MESSAGE_BYTES) ?? 3 * (c.delay(from, to, INVOKE_MESSAGE_BYTES) ?? 0)
    c.clock.setTimeout(() => {
      if (settled) return
      if (!to.up) { settle('unreachable'); return }
      const claimed = token != null && to.reservations.claim(token, from.name, c.cid)
      if (!claimed && !to.hasRoom()) { answer('refused'); return }
      there = { ...job, done: () => { answer('ok') }, lost: () => { there = undefined; settle('unreachable') } }
      to.run(there)
    }, delay)
  })
}
