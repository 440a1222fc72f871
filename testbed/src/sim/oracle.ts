import { EntryLostError } from './errors.js'
import type { Attempted } from './attempt.js'
import type { Job, SimNode } from './node.js'

/**
 * The `oracle` policy (simulator only, no daemon can run it): every node's exact queue and the
 * run time of every admitted invocation and of this one are known, and the invocation goes, at
 * once and with no link to cross, where it will finish earliest (Sparrow's "ideal scheduler",
 * papers.md section 2). Deciding and admitting in one event leaves no race between two
 * invocations for one idle slot, so it is a bound no real placement reaches. Ties go to the
 * entry node, then to the lowest index, so a run stays repeatable.
 */
export async function oracleRun (entry: SimNode, nodes: SimNode[], job: Omit<Job, 'done' | 'lost'>): Promise<Attempted> {
  let best = entry
  let bestAt = entry.finishAt(job.workMs)
  for (const node of nodes) {
    const at = node.finishAt(job.workMs)
    if (at < bestAt) { best = node; bestAt = at }
  }
  // every node full (bounded queues): it waits where it entered, as the attempt path's last resort does
  await new Promise<void>((resolve, reject) => { best.run({ ...job, done: resolve, lost: () => { reject(new EntryLostError(`${best.name} died running the invocation`)) } }) })
  return { executor: best, passedOn: 0, unreachable: 0 }
}
