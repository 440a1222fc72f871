/**
 * The in-client model's envelope (DESIGN.md section 10): the client owns its state and sends it
 * with every call in `x-faasmesh-state`, base64 of
 *
 *     "FMS" | format (1 byte, = 1) | sha-256 of the record, first 8 bytes | StateRecord (protobuf)
 *
 * The digest catches a state damaged on its way (a truncated header, a bit flipped in a file);
 * it is no signature: a client may write any state it likes into its own envelope, which is
 * why in-client state is the client's alone and never shared.
 */
import { createHash } from 'node:crypto'
import { MAX_INVOKE_CLIENT_STATE_BYTES } from '../../../protocols/src/invoke/index.js'
import { InvalidStateError, StateTooLargeError } from '../errors.js'
import { decodeRecord, encodeRecord, entriesOf } from './record.js'
import type { StateRecord } from './record.js'

const MAGIC = [0x46, 0x4d, 0x53] // "FMS"
const FORMAT = 1
const DIGEST_BYTES = 8
const HEADER_BYTES = MAGIC.length + 1 + DIGEST_BYTES

/** The largest envelope, binary: what the invoke protocol carries (a 64 KiB header). */
export const MAX_CLIENT_STATE_BYTES = MAX_INVOKE_CLIENT_STATE_BYTES
/** The largest base64 header: 4/3 of the envelope. */
export const MAX_CLIENT_STATE_HEADER_CHARS = Math.ceil(MAX_CLIENT_STATE_BYTES / 3) * 4
/** What an in-client state may hold (keys and values): the envelope's room less its framing. */
export const MAX_CLIENT_STATE_ENTRY_BYTES = MAX_CLIENT_STATE_BYTES - 4096

export interface ClientState {
  version: number
  entries: Map<string, Uint8Array>
}

function digestOf (body: Uint8Array): Uint8Array {
  return createHash('sha256').update(body).digest().subarray(0, DIGEST_BYTES)
}

export function encodeClientState (state: ClientState): Uint8Array {
  const record: StateRecord = { version: state.version, entries: [...state.entries].map(([key, value]) => ({ key, value: value as Uint8Array<ArrayBuffer> })), applied: [] }
  const body = encodeRecord(record)
  const envelope = new Uint8Array(HEADER_BYTES + body.byteLength)
  envelope.set(MAGIC, 0)
  envelope[MAGIC.length] = FORMAT
  envelope.set(digestOf(body), MAGIC.length + 1)
  envelope.set(body, HEADER_BYTES)
  if (envelope.byteLength > MAX_CLIENT_STATE_BYTES) {
    throw new StateTooLargeError(`the in-client state would be ${envelope.byteLength} bytes; at most ${MAX_CLIENT_STATE_BYTES} travel in a header`)
  }
  return envelope
}

/** Decodes an envelope; InvalidStateError for anything that is not one, StateTooLargeError above the cap. */
export function decodeClientState (envelope: Uint8Array): ClientState {
  if (envelope.byteLength === 0) return { version: 0, entries: new Map() }
  if (envelope.byteLength > MAX_CLIENT_STATE_BYTES) throw new StateTooLargeError(`the in-client state is ${envelope.byteLength} bytes; at most ${MAX_CLIENT_STATE_BYTES}`)
  if (envelope.byteLength < HEADER_BYTES || MAGIC.some((b, i) => envelope[i] !== b)) throw new InvalidStateError('the in-client state is not a faasmesh state (bad magic)')
  if (envelope[MAGIC.length] !== FORMAT) throw new InvalidStateError(`the in-client state has format ${envelope[MAGIC.length]}; this node reads format ${FORMAT}`)
  const body = envelope.subarray(HEADER_BYTES)
  const digest = digestOf(body)
  if (digest.some((b, i) => envelope[MAGIC.length + 1 + i] !== b)) throw new InvalidStateError('the in-client state is corrupt (its checksum does not match)')
  const record = decodeRecord(body, MAX_CLIENT_STATE_ENTRY_BYTES)
  return { version: record.version, entries: entriesOf(record) }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** The envelope an `x-faasmesh-state` header carries (strict base64, capped before decoding). */
export function clientStateFromHeader (header: string): Uint8Array {
  const text = header.trim()
  if (text.length > MAX_CLIENT_STATE_HEADER_CHARS) throw new StateTooLargeError(`x-faasmesh-state is ${text.length} characters; at most ${MAX_CLIENT_STATE_HEADER_CHARS}`)
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new InvalidStateError('x-faasmesh-state is not base64')
  const envelope = new Uint8Array(Buffer.from(text, 'base64'))
  // decoded here too, so a corrupt state is refused at the gateway before anything is placed
  if (envelope[0] === OPEN_BRACE) decodeChainClientState(envelope)
  else decodeClientState(envelope)
  return envelope
}

const OPEN_BRACE = 0x7b

/**
 * A chain's in-client state: one envelope per stateful step, as the JSON object
 * `{ "<step id>": "<base64 envelope>" }` (the header's base64 wraps it once more). Each
 * envelope is checked as a single invocation's would be.
 */
export function decodeChainClientState (bytes: Uint8Array): Map<string, Uint8Array> {
  const states = new Map<string, Uint8Array>()
  if (bytes.byteLength === 0) return states
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new InvalidStateError('the state of a chain is a JSON object of its steps\' states; this is not JSON')
  }
  if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidStateError('the state of a chain must be a JSON object { "<step id>": "<base64 state>" }')
  for (const [step, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' || !BASE64.test(value)) throw new InvalidStateError(`the state of step "${step.slice(0, 40)}" must be a base64 string`)
    const envelope = new Uint8Array(Buffer.from(value, 'base64'))
    decodeClientState(envelope)
    states.set(step, envelope)
  }
  return states
}

/** The chain's state as the client gets it back: the steps' new envelopes. */
export function encodeChainClientState (states: Map<string, Uint8Array>): Uint8Array {
  const out: Record<string, string> = {}
  for (const [step, envelope] of states) out[step] = Buffer.from(envelope).toString('base64')
  return new TextEncoder().encode(JSON.stringify(out))
}

export function clientStateToHeader (envelope: Uint8Array): string {
  return Buffer.from(envelope).toString('base64')
}
