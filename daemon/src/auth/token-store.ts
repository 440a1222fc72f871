import crypto from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidParametersError, TokenFileError, TokenNotFoundError } from '../errors.js'
import { writeFileAtomic } from '../utils/atomic-write.js'
import { LOCK_TIMEOUT_MS, MAX_FILE_BYTES, MAX_TOKENS, NAME_PATTERN, STALE_LOCK_MS, TOKENS_FILE } from './constants.js'
import { withLockFile } from './lock-file.js'
import { isTokenScope } from './scopes.js'
import { formatTokenFile, parseTokenFile } from './token-file.js'
import { hashToken, newTokenId, newTokenText, tokenIdOf } from './token-text.js'
import type { CreatedToken, NewToken, TokenInfo, TokenRecord, TokenStoreComponents, TokenStoreInit, TokenStore as TokenStoreInterface } from './index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** What identifies one version of the file: a rename (every write of ours) changes the inode. */
interface FileKey { ino: bigint, size: bigint, mtimeNs: bigint, ctimeNs: bigint }

/** What a check compares a wrong-id token against, so an unknown id costs the same as a wrong secret. */
const NO_HASH = Buffer.alloc(32)

export class TokenStore implements TokenStoreInterface {
  readonly dataDir: string
  readonly path: string
  private readonly now: () => Date
  private readonly log?: Logger
  private key?: FileKey
  /** The file's records by id, as of `key`; or the reason it could not be read. */
  private current: Map<string, TokenRecord> | TokenFileError = new Map()

  constructor (components: TokenStoreComponents, init: TokenStoreInit) {
    this.dataDir = init.dataDir
    this.path = join(init.dataDir, TOKENS_FILE)
    this.now = init.now ?? (() => new Date())
    this.log = components.logger?.forComponent('faasmesh:auth')
  }

  verify (token: string): TokenInfo | undefined {
    const records = this.records()
    const id = tokenIdOf(token)
    if (id == null) return undefined
    const record = records.get(id)
    const expected = record == null ? NO_HASH : Buffer.from(record.sha256, 'hex')
    // the namespace's property, read at call time (not a bound import): a test can watch it
    const equal = crypto.timingSafeEqual(Buffer.from(hashToken(token), 'hex'), expected)
    return record != null && equal ? infoOf(record) : undefined
  }

  count (): number {
    return this.records().size
  }

  async list (options: AbortOptions = {}): Promise<TokenInfo[]> {
    options.signal?.throwIfAborted()
    return (await this.readFresh()).map(infoOf)
  }

  async create (init: NewToken, options: AbortOptions = {}): Promise<CreatedToken> {
    if (!isTokenScope(init.scope)) throw new InvalidParametersError(`scope must be invoke, deploy or admin, not ${JSON.stringify(init.scope)}`)
    const name = init.name ?? ''
    if (name !== '' && !NAME_PATTERN.test(name)) throw new InvalidParametersError(`token name ${JSON.stringify(name.slice(0, 80))}: use 1-64 of A-Z a-z 0-9 . _ : -`)
    if (/^[0-9a-f]{16}$/.test(name)) throw new InvalidParametersError(`token name ${name} looks like a token id; pick another`)
    return this.update(async (records) => {
      if (records.length >= MAX_TOKENS) throw new InvalidParametersError(`the store holds ${records.length} tokens already, the most it keeps; revoke some first`)
      if (name !== '' && records.some((r) => r.name === name)) throw new InvalidParametersError(`a token named ${name} exists already; revoke it first or pick another name`)
      let id = newTokenId()
      while (records.some((r) => r.id === id)) id = newTokenId()
      const token = newTokenText(id)
      const record: TokenRecord = { id, name, scope: init.scope, sha256: hashToken(token), created: this.now().toISOString() }
      return { records: [...records, record], result: { token, info: infoOf(record) } }
    }, options)
  }

  async revoke (idOrName: string, options: AbortOptions = {}): Promise<TokenInfo> {
    return this.update(async (records) => {
      const record = records.find((r) => r.id === idOrName) ?? records.find((r) => r.name !== '' && r.name === idOrName)
      if (record == null) throw new TokenNotFoundError(`no token with id or name ${JSON.stringify(idOrName.slice(0, 80))} in ${this.path}; see faasmesh token list`)
      return { records: records.filter((r) => r !== record), result: infoOf(record) }
    }, options)
  }

  /**
   * The records as of the file on disk now: one stat per call, a read only when the file changed
   * (another process created or revoked a token). A running gateway sees a revocation on its next request.
   */
  private records (): Map<string, TokenRecord> {
    let stats
    try {
      stats = statSync(this.path, { bigint: true, throwIfNoEntry: false })
    } catch (err: any) {
      throw new TokenFileError(`${this.path}: cannot read it (${String(err?.code ?? err?.message ?? err)})`)
    }
    if (stats == null) {
      this.key = undefined
      this.current = new Map()
      return this.current
    }
    const key: FileKey = { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs }
    if (this.key == null || !sameKey(this.key, key)) {
      this.key = key
      try {
        if (stats.size > BigInt(MAX_FILE_BYTES)) throw new TokenFileError(`${this.path}: ${stats.size} bytes, more than a tokens file holds (${MAX_FILE_BYTES})`)
        this.current = new Map(parseTokenFile(readFileSync(this.path, 'utf8'), this.path).map((r) => [r.id, r]))
        this.log?.('read %d token(s) from %s', this.current.size, this.path)
      } catch (err: any) {
        this.current = err?.name === 'TokenFileError' ? err : new TokenFileError(`${this.path}: cannot read it (${String(err?.code ?? err?.message ?? err)})`)
        this.log?.error('%s', (this.current as Error).message)
      }
    }
    if (this.current instanceof Error) throw this.current
    return this.current
  }

  private async readFresh (): Promise<TokenRecord[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err: any) {
      if (err?.code === 'ENOENT') return []
      throw new TokenFileError(`${this.path}: cannot read it (${String(err?.code ?? err?.message ?? err)})`)
    }
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new TokenFileError(`${this.path}: more than a tokens file holds (${MAX_FILE_BYTES} bytes)`)
    return parseTokenFile(text, this.path)
  }

  /** Read, change, write back, under the lock: the file is rewritten whole, atomically, mode 0600 from its creation. */
  private async update<T> (change: (records: TokenRecord[]) => Promise<{ records: TokenRecord[], result: T }>, options: AbortOptions): Promise<T> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 })
    return withLockFile(`${this.path}.lock`, LOCK_TIMEOUT_MS, STALE_LOCK_MS, async () => {
      const { records, result } = await change(await this.readFresh())
      options.signal?.throwIfAborted()
      // hashes only, but still nobody else's business: created 0600, never widened then narrowed
      await writeFileAtomic(this.path, formatTokenFile(records), 0o600)
      return result
    }, options)
  }
}

function infoOf ({ id, name, scope, created }: TokenRecord): TokenInfo {
  return { id, name, scope, created }
}

function sameKey (a: FileKey, b: FileKey): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs
}
