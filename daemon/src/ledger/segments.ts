import { appendFile, open, readdir, readFile, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import type { LedgerEntry } from './entry.js'

/** `receipts-0000000042.jsonl`: the number orders the segments, oldest first. */
const SEGMENT = /^receipts-(\d{10})\.jsonl$/

interface Segment {
  seq: number
  path: string
  /** Complete lines in it. */
  entries: number
}

/**
 * The receipts on disk: append-only JSONL segments of at most `segmentEntries` lines each. A new
 * segment starts when the current one is full; whole segments, oldest first, are deleted once
 * the total would pass `maxEntries`, so the bound always holds and at least
 * `maxEntries - segmentEntries` of the newest stay. Each batch is one append: a crash can tear
 * only the last line of the last segment, which `open` cuts off (so the next append starts on a
 * line of its own), never anything before it.
 */
export class Segments {
  private segments: Segment[] = []
  private total = 0

  constructor (private readonly dir: string, private readonly maxEntries: number, private readonly segmentEntries: number) {}

  get count (): number {
    return this.total
  }

  async open (): Promise<{ torn: number }> {
    let torn = 0
    const found: Segment[] = []
    for (const name of await readdir(this.dir)) {
      const m = SEGMENT.exec(name)
      if (m == null) continue
      const path = join(this.dir, name)
      const text = await readFile(path, 'utf8')
      const end = text.lastIndexOf('\n') + 1
      if (end < text.length) {
        // a batch cut short by a crash: its last line is incomplete
        await truncate(path, Buffer.byteLength(text.slice(0, end)))
        torn++
      }
      found.push({ seq: Number(m[1]), path, entries: countLines(text.slice(0, end)) })
    }
    this.segments = found.sort((a, b) => a.seq - b.seq)
    this.total = this.segments.reduce((n, s) => n + s.entries, 0)
    await this.dropOldest()
    return { torn }
  }

  /** Appends entries in order: one write per segment they land in. */
  async append (entries: LedgerEntry[]): Promise<void> {
    let i = 0
    while (i < entries.length) {
      let current = this.segments.at(-1)
      if (current == null || current.entries >= this.segmentEntries) {
        current = { seq: (current?.seq ?? 0) + 1, path: '', entries: 0 }
        current.path = join(this.dir, `receipts-${String(current.seq).padStart(10, '0')}.jsonl`)
        // created empty first: a crash before the write leaves an empty segment, which is harmless
        await (await open(current.path, 'a', 0o644)).close()
        this.segments.push(current)
      }
      const room = this.segmentEntries - current.entries
      const chunk = entries.slice(i, i + room)
      await appendFile(current.path, chunk.map((e) => JSON.stringify(e) + '\n').join(''))
      current.entries += chunk.length
      this.total += chunk.length
      i += chunk.length
      await this.dropOldest()
    }
  }

  /** Entries newest first, a segment at a time; unreadable lines (never written by this code) are skipped. */
  async * newest (): AsyncGenerator<LedgerEntry> {
    for (const segment of [...this.segments].reverse()) {
      let text: string
      try {
        text = await readFile(segment.path, 'utf8')
      } catch (err: any) {
        // dropped meanwhile by an append
        if (err?.code === 'ENOENT') continue
        throw err
      }
      const lines = text.split('\n')
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!
        if (line === '') continue
        try {
          yield JSON.parse(line) as LedgerEntry
        } catch {}
      }
    }
  }

  private async dropOldest (): Promise<void> {
    while (this.total > this.maxEntries && this.segments.length > 1) {
      const oldest = this.segments.shift()!
      this.total -= oldest.entries
      await rm(oldest.path, { force: true })
    }
  }
}

function countLines (text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}
