/**
 * The tokens file: `{ "version": 1, "tokens": [ { id, name, scope, sha256, created } ] }`. Read
 * strictly: a file a person edited by hand into something else is refused with the reason, never
 * half-used (a record skipped could be a revocation lost, a record misread a scope widened).
 */
import { TokenFileError } from '../errors.js'
import { MAX_TOKENS, NAME_PATTERN } from './constants.js'
import { isTokenScope } from './scopes.js'
import type { TokenRecord } from './index.js'

const FILE_VERSION = 1
const ID = /^[0-9a-f]{16}$/
const SHA256 = /^[0-9a-f]{64}$/

export function parseTokenFile (text: string, path: string): TokenRecord[] {
  let json: any
  try {
    json = JSON.parse(text)
  } catch (err: any) {
    throw new TokenFileError(`${path}: not JSON (${String(err?.message ?? err)}); fix it or move it away (tokens in it stop working)`)
  }
  const fail = (what: string): never => { throw new TokenFileError(`${path}: ${what}; fix it or move it away (tokens in it stop working)`) }
  if (json == null || typeof json !== 'object' || Array.isArray(json)) fail('expected an object with "version" and "tokens"')
  if (json.version !== FILE_VERSION) fail(`unknown version ${JSON.stringify(json.version)?.slice(0, 20)} (this faasmesh reads version ${FILE_VERSION})`)
  if (!Array.isArray(json.tokens)) fail('"tokens" is not a list')
  if (json.tokens.length > MAX_TOKENS) fail(`${json.tokens.length} tokens, more than the ${MAX_TOKENS} a store holds`)
  const ids = new Set<string>()
  const names = new Set<string>()
  return (json.tokens as unknown[]).map((entry: any, i): TokenRecord => {
    const at = `tokens[${i}]`
    if (entry == null || typeof entry !== 'object') fail(`${at} is not an object`)
    const { id, name, scope, sha256, created } = entry
    if (typeof id !== 'string' || !ID.test(id)) fail(`${at}.id is not 16 hex digits`)
    if (ids.has(id)) fail(`${at}.id ${id} appears twice`)
    if (typeof name !== 'string' || (name !== '' && !NAME_PATTERN.test(name))) fail(`${at}.name is not a token name`)
    if (name !== '' && names.has(name)) fail(`${at}.name ${name} appears twice`)
    if (!isTokenScope(scope)) fail(`${at}.scope is not invoke, deploy or admin`)
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) fail(`${at}.sha256 is not 64 hex digits`)
    if (typeof created !== 'string' || Number.isNaN(Date.parse(created))) fail(`${at}.created is not a date`)
    ids.add(id)
    if (name !== '') names.add(name)
    return { id, name, scope, sha256, created }
  })
}

export function formatTokenFile (records: readonly TokenRecord[]): string {
  return `${JSON.stringify({ version: FILE_VERSION, tokens: records }, null, 2)}\n`
}
