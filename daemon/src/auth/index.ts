/**
 * @packageDocumentation
 *
 * Gateway tokens (DESIGN.md section 12): a store of bearer tokens in `<dataDir>/tokens.json`
 * (mode 0600) that keeps only each token's id, name, scope, SHA-256 and creation time, never the
 * token. A token reads `fm_<id>_<secret>`: the id finds its record at once, and the hashes are
 * compared in constant time. The CLI creates and revokes tokens in the file directly, whether the
 * daemon runs or not; a running gateway checks the file's identity (one `stat`) on each check and
 * re-reads it when it changed, so new and revoked tokens count at once.
 *
 * @example
 * ```ts
 * const tokens = tokenStore({ dataDir })({ logger })
 * const { token } = await tokens.create({ scope: 'deploy', name: 'ci' })
 * tokens.verify(token) // { id, name: 'ci', scope: 'deploy', created }
 * ```
 */
import { TokenStore as TokenStoreClass } from './token-store.js'
import type { TokenScope } from '../config/index.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'

export { TOKENS_FILE } from './constants.js'
export { TOKEN_SCOPES, isTokenScope, scopeCovers } from './scopes.js'

/** One line of the tokens file. */
export interface TokenRecord {
  /** 16 hex digits, also inside the token text. */
  id: string
  /** Chosen by whoever created it, unique in the store; '' for none. */
  name: string
  scope: TokenScope
  /** SHA-256 of the token text, hex. */
  sha256: string
  /** ISO 8601. */
  created: string
}

/** What may be shown of a token: everything but its hash. */
export type TokenInfo = Omit<TokenRecord, 'sha256'>

export interface NewToken {
  scope: TokenScope
  /** 1-64 of `A-Z a-z 0-9 . _ : -`. @default '' */
  name?: string
}

export interface CreatedToken {
  /** The token text: shown once, kept nowhere. */
  token: string
  info: TokenInfo
}

export interface TokenStoreInit {
  /** The node's data dir; the store is `<dataDir>/tokens.json`. */
  dataDir: string
  /** Creation times. @default () => new Date() */
  now?: () => Date
}

export interface TokenStoreComponents {
  logger?: ComponentLogger
}

export interface TokenStore {
  readonly dataDir: string
  /** `<dataDir>/tokens.json`. */
  readonly path: string
  create(token: NewToken, options?: AbortOptions): Promise<CreatedToken>
  list(options?: AbortOptions): Promise<TokenInfo[]>
  /** Removes the token with that id, or else that name. Throws TokenNotFoundError. */
  revoke(idOrName: string, options?: AbortOptions): Promise<TokenInfo>
  /**
   * The token's record when the text is a token this store holds, else undefined (garbage,
   * unknown, revoked, a character off). Throws TokenFileError when the file is unreadable.
   */
  verify(token: string): TokenInfo | undefined
  /** Tokens held now. Throws TokenFileError when the file is unreadable. */
  count(): number
}

export function tokenStore (init: TokenStoreInit): (components?: TokenStoreComponents) => TokenStore {
  return (components = {}) => new TokenStoreClass(components, init)
}
