/**
 * Request parsing for the lifecycle routes (`DELETE /v1/functions/:name`,
 * `POST /v1/functions/:name/rollback`): untrusted bodies become a number or a named error.
 */
import { InvalidParametersError } from '../errors.js'
import { parseFunctionCid } from '../store/index.js'

/** A rollback's body is this small: `{ "to": 123 }` with room for whitespace. */
export const MAX_ROLLBACK_BODY_BYTES = 1024

/**
 * The version a rollback asks for: `{ "to": N }`, or undefined for an empty body or `{}` (the
 * version before the current one). Anything else is InvalidParametersError.
 */
export function rollbackTarget (body: Uint8Array): number | undefined {
  const text = new TextDecoder().decode(body).trim()
  if (text === '') return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new InvalidParametersError('rollback: the body is not JSON; send {"to": <version>} or nothing')
  }
  if (json == null || typeof json !== 'object' || Array.isArray(json)) throw new InvalidParametersError('rollback: the body must be a JSON object such as {"to": 2}')
  const unknown = Object.keys(json).filter((k) => k !== 'to')
  if (unknown.length > 0) throw new InvalidParametersError(`rollback: unknown field "${unknown[0]!.slice(0, 40)}"; the body has only "to"`)
  const to = (json as { to?: unknown }).to
  if (to == null) return undefined
  if (typeof to !== 'number' || !Number.isSafeInteger(to) || to < 1) throw new InvalidParametersError(`rollback: "to" must be a version number (an integer from 1), got ${JSON.stringify(to).slice(0, 40)}`)
  return to
}

/** The function CIDs local chains call directly (their `fns` by CID): a delete keeps those modules. */
export function chainCids (chains: Array<{ fns: string[] }> | undefined): string[] {
  return (chains ?? []).flatMap((c) => c.fns.map((fn) => parseFunctionCid(fn)).filter((cid): cid is string => cid != null))
}
