/**
 * Functions whose calls keep ending their sandbox process. Every such call costs the node a
 * process start (~100-250 ms of CPU and ~43 MiB for a while) for one cheap request; after a
 * second death a function is refused at once, for a time that doubles with every further death.
 * A legitimate function never ends its sandbox, so nothing honest pays for this.
 */

/** Deaths before a function is refused: one may be the OOM killer's choice, two are the function. */
const DEATHS_BEFORE_QUARANTINE = 2
const FIRST_QUARANTINE_MS = 60_000
const MAX_QUARANTINE_MS = 10 * 60_000
/** Functions remembered; CIDs cost nothing to make, so the table is bounded (oldest go first). */
const MAX_TRACKED = 1024

interface Record {
  deaths: number
  until: number
  /** The error the last death gave, so a refused call gets the same name (and HTTP status). */
  error: Error
}

export class Quarantine {
  private readonly records = new Map<string, Record>()

  /** The error to refuse `cid` with now, if it is in quarantine. */
  check (cid: string, now = Date.now()): Error | undefined {
    const record = this.records.get(cid)
    if (record == null || record.until <= now) return undefined
    const seconds = Math.ceil((record.until - now) / 1000)
    const err = new Error(`refused for ${seconds} s more: ${record.deaths} calls of this function ended their sandbox process (last: ${record.error.message})`)
    err.name = record.error.name
    return err
  }

  /** A call of `cid` ended its sandbox with `error`. */
  died (cid: string, error: Error, now = Date.now()): void {
    const deaths = (this.records.get(cid)?.deaths ?? 0) + 1
    const excess = deaths - DEATHS_BEFORE_QUARANTINE
    const until = excess < 0 ? 0 : now + Math.min(MAX_QUARANTINE_MS, FIRST_QUARANTINE_MS * 2 ** excess)
    this.records.delete(cid)
    this.records.set(cid, { deaths, until, error })
    if (this.records.size > MAX_TRACKED) this.records.delete(this.records.keys().next().value as string)
  }
}
