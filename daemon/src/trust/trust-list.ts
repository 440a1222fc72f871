/**
 * The trust list in the data dir: publishers a person added with `faasmesh trust add`, kept in
 * `<dataDir>/trust.json`. The CLI edits the file whether or not the daemon runs; a running
 * daemon sees an edit at its next check (a stat per check, the file read again only when its
 * inode, size or mtime changed). Writes go to a temporary file renamed over the old one, so a
 * reader never sees half a list.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidParametersError, TrustListError } from '../errors.js'
import { MAX_LABEL_LENGTH, MAX_LISTED_PUBLISHERS, TRUST_FILE, TRUST_FILE_VERSION } from './constants.js'
import type { ListedPublisher } from './index.js'

interface TrustFile {
  version: number
  publishers: ListedPublisher[]
}

export class TrustList {
  readonly file: string
  private cached?: { signature: string, publishers: ListedPublisher[] }
  // concurrent checks share one stat and one read
  private reading?: Promise<ListedPublisher[]>

  constructor (dataDir: string) {
    this.file = join(dataDir, TRUST_FILE)
  }

  /** The listed publishers; none when there is no file. Throws `TrustListError` for a file that is not a valid list. */
  async list (): Promise<ListedPublisher[]> {
    if (this.reading != null) return this.reading
    this.reading = this.read().finally(() => { this.reading = undefined })
    return this.reading
  }

  /** Adds a publisher, or changes its label. Throws `InvalidParametersError` for what is no peer id. */
  async add (peer: string, label?: string): Promise<ListedPublisher> {
    checkPeerId(peer)
    if (label != null && (label.length > MAX_LABEL_LENGTH || /[\p{Cc}]/u.test(label))) {
      throw new InvalidParametersError(`a label is at most ${MAX_LABEL_LENGTH} printable characters`)
    }
    const publishers = (await this.list()).filter((p) => p.peer !== peer)
    if (publishers.length >= MAX_LISTED_PUBLISHERS) throw new InvalidParametersError(`the trust list holds at most ${MAX_LISTED_PUBLISHERS} publishers`)
    const entry: ListedPublisher = { peer, ...(label != null && label !== '' ? { label } : {}), addedAt: new Date().toISOString() }
    await this.write([...publishers, entry])
    return entry
  }

  /** Removes a publisher; false when it was not listed. */
  async remove (peer: string): Promise<boolean> {
    const publishers = await this.list()
    const kept = publishers.filter((p) => p.peer !== peer)
    if (kept.length === publishers.length) return false
    await this.write(kept)
    return true
  }

  private async read (): Promise<ListedPublisher[]> {
    let signature: string
    try {
      const s = await stat(this.file, { bigint: true })
      signature = `${s.ino}:${s.size}:${s.mtimeNs}`
    } catch (err: any) {
      if (err?.code !== 'ENOENT') throw new TrustListError(`${this.file}: ${String(err?.message ?? err)}`)
      this.cached = undefined
      return []
    }
    if (this.cached?.signature === signature) return this.cached.publishers
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err: any) {
      if (err?.code === 'ENOENT') return []
      throw new TrustListError(`${this.file}: ${String(err?.message ?? err)}`)
    }
    const publishers = parse(this.file, text)
    this.cached = { signature, publishers }
    return publishers
  }

  private async write (publishers: ListedPublisher[]): Promise<void> {
    const body: TrustFile = { version: TRUST_FILE_VERSION, publishers }
    await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 })
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`
    await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, this.file)
  }
}

/** The publishers of a trust file's text. Throws `TrustListError` naming what is wrong. */
function parse (file: string, text: string): ListedPublisher[] {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (err: any) {
    throw new TrustListError(`${file}: not JSON (${String(err?.message ?? err)}); fix it or remove it and add the publishers again`)
  }
  const b = body as Partial<TrustFile> | null
  if (b == null || typeof b !== 'object' || b.version !== TRUST_FILE_VERSION || !Array.isArray(b.publishers)) {
    throw new TrustListError(`${file}: expected { "version": ${TRUST_FILE_VERSION}, "publishers": [...] }`)
  }
  if (b.publishers.length > MAX_LISTED_PUBLISHERS) throw new TrustListError(`${file}: more than ${MAX_LISTED_PUBLISHERS} publishers`)
  return b.publishers.map((p, i) => {
    if (p == null || typeof p !== 'object' || typeof p.peer !== 'string') throw new TrustListError(`${file}: publishers[${i}] has no peer id`)
    try {
      checkPeerId(p.peer)
    } catch {
      throw new TrustListError(`${file}: publishers[${i}].peer "${String(p.peer).slice(0, 80)}" is not a peer id`)
    }
    if (p.label != null && typeof p.label !== 'string') throw new TrustListError(`${file}: publishers[${i}].label is not text`)
    return { peer: p.peer, ...(p.label != null ? { label: p.label.slice(0, MAX_LABEL_LENGTH) } : {}), ...(typeof p.addedAt === 'string' ? { addedAt: p.addedAt } : {}) }
  })
}

function checkPeerId (peer: string): void {
  try {
    peerIdFromString(peer)
  } catch {
    throw new InvalidParametersError(`"${peer.slice(0, 80)}" is not a peer id`)
  }
}
