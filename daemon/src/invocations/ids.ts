import { createHash, randomBytes } from 'node:crypto'
import { InvalidParametersError } from '../errors.js'
import { INVOCATION_ID_PATTERN } from './constants.js'

/** A fresh id for an invocation whose client chose none: 128 random bits, unguessable. */
export function newInvocationId (): string {
  return randomBytes(16).toString('base64url')
}

/** The id a client chose, checked; InvalidParametersError names what is wrong. */
export function parseInvocationId (text: string): string {
  if (!INVOCATION_ID_PATTERN.test(text)) {
    throw new InvalidParametersError(`invocation id must be 1-64 characters of A-Z a-z 0-9 . _ : -, got "${text.slice(0, 80)}"`)
  }
  return text
}

/**
 * What makes two requests with one id the same invocation: the function and the input. A
 * repeat that differs in either is another invocation under a reused id (InvocationConflictError).
 */
export function fingerprintOf (target: string, input: Uint8Array): string {
  return createHash('sha256').update(target).update('\0').update(input).digest('base64url')
}
