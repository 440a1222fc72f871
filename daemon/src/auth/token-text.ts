/**
 * What a token looks like: `fm_<id>_<secret>`. The id (16 hex digits) is not secret: it names the
 * token in `faasmesh token list` and lets a check find its record at once, so only one hash is
 * compared per request. The secret is 32 random bytes in base64url. The store keeps the SHA-256
 * of the whole text, never the text.
 */
import { createHash, randomBytes } from 'node:crypto'
import { ID_BYTES, SECRET_BYTES, TOKEN_CHARS, TOKEN_PREFIX } from './constants.js'

const TOKEN = new RegExp(`^${TOKEN_PREFIX}_([0-9a-f]{${ID_BYTES * 2}})_[A-Za-z0-9_-]{${Math.ceil(SECRET_BYTES * 4 / 3)}}$`)

export function newTokenId (): string {
  return randomBytes(ID_BYTES).toString('hex')
}

export function newTokenText (id: string): string {
  return `${TOKEN_PREFIX}_${id}_${randomBytes(SECRET_BYTES).toString('base64url')}`
}

/** The id a token text names, or undefined for anything that is not a token of ours. */
export function tokenIdOf (text: string): string | undefined {
  if (text.length !== TOKEN_CHARS) return undefined
  return TOKEN.exec(text)?.[1]
}

/** SHA-256 of the token text, hex: what the store keeps. */
export function hashToken (text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
