/**
 * The CLI's side of stateful functions (DESIGN.md section 10): the in-client state file of
 * `faasmesh invoke --state-file`, the state headers of an answer, and `faasmesh state get`'s view.
 */
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { InvalidStateError, StateTooLargeError } from '../errors.js'
import { MAX_CLIENT_STATE_HEADER_BYTES } from '../state/index.js'
import { bytes, table } from './format.js'
import { UsageError } from './io.js'

/** The new in-client state could not be saved: the state file still holds the one sent with the call. */
export class StateFileError extends Error {
  static name = 'StateFileError'
  constructor (message = 'Cannot write the state file') {
    super(message)
    this.name = 'StateFileError'
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** A state file may end with a newline (and a person's editor may add spaces); more than this is no state. */
const MAX_STATE_FILE_BYTES = MAX_CLIENT_STATE_HEADER_BYTES + 1024

/**
 * The in-client state kept in `file` (base64 of the envelope, as `x-faasmesh-state` carries it), or
 * undefined when there is no file yet (or an empty one): the first call starts a new state.
 */
export async function readStateFile (file: string): Promise<string | undefined> {
  let text: string
  try {
    const size = (await stat(file)).size
    if (size > MAX_STATE_FILE_BYTES) throw new StateTooLargeError(`${file} is ${bytes(size)}; an in-client state is at most ${bytes(MAX_CLIENT_STATE_HEADER_BYTES)} of base64`)
    text = (await readFile(file, 'latin1')).trim()
  } catch (err: any) {
    if (err?.code === 'ENOENT') return undefined
    if (err?.name === 'StateTooLargeError') throw err
    throw new UsageError(`cannot read ${file}: ${String(err?.message ?? err)}`)
  }
  if (text === '') return undefined
  if (text.length > MAX_CLIENT_STATE_HEADER_BYTES) throw new StateTooLargeError(`${file} holds ${text.length} characters; an in-client state is at most ${MAX_CLIENT_STATE_HEADER_BYTES}`)
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new InvalidStateError(`${file} does not hold an in-client state (base64 of its envelope)`)
  return text
}

/**
 * Replaces `file` with `state` atomically: a temporary file beside it (mode 0600: a state is
 * the client's own), flushed, then renamed over it. A reader sees the old state or the new one.
 */
export async function writeStateFile (file: string, state: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(`${state}\n`, 'latin1')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err: any) {
    await unlink(temp).catch(() => {})
    throw new StateFileError(`cannot save the new state to ${file} (${String(err?.code ?? err?.message ?? err)}); it still holds the state this call started from`)
  }
}

/** What the answer of a stateful invocation says about its state. */
export interface InvokeState {
  key: string
  model: string | null
  version: number | null
  /** State moved over the network for this call. */
  bytes: number | null
  /** in-client: the new state, base64, to send with the next call. */
  clientState?: string
}

export function invokeStateOf (key: string, headers: Headers): InvokeState {
  const number = (name: string): number | null => {
    const value = headers.get(name)
    return value == null || value === '' || !Number.isFinite(Number(value)) ? null : Number(value)
  }
  const clientState = headers.get('x-faasmesh-state')
  return {
    key,
    model: headers.get('x-faasmesh-state-model'),
    version: number('x-faasmesh-state-version'),
    bytes: number('x-faasmesh-state-bytes'),
    ...(clientState != null ? { clientState } : {})
  }
}

/** `faasmesh invoke -v`'s state line. */
export function describeInvokeState (state: InvokeState, file: string | undefined): string {
  return `  state      ${state.key} (${state.model ?? '?'}), version ${state.version ?? '?'}, ${state.bytes == null ? '?' : bytes(state.bytes)} moved` +
    (file != null ? `, saved to ${file}` : '')
}

/** What `GET /v1/state/:stateKey` answers. */
export interface StateView {
  model: string
  version: number
  home?: string
  /** Entry key -> value, base64. */
  entries: Record<string, string>
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
// control and format characters, private use, lone surrogates, line and paragraph separators:
// shown as text they would rewrite a terminal or break the table
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/u
/** A value shown in the table is cut after this many characters (`--json` has all of it). */
const MAX_SHOWN_CHARS = 60

/** A value as text when it is printable UTF-8, else as base64; says which. */
export function showValue (value: Uint8Array): { as: 'text' | 'base64', text: string } {
  try {
    const text = utf8.decode(value)
    if (!UNPRINTABLE.test(text)) return { as: 'text', text }
  } catch {}
  return { as: 'base64', text: Buffer.from(value).toString('base64') }
}

function cut (text: string): string {
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS - 1)}…` : text
}

/** `faasmesh state get`'s text: version, home, then one row per entry. */
export function describeStateView (stateKey: string, view: StateView): string {
  const lines = [`state ${stateKey} (${view.model})`, `  version  ${view.version}`]
  if (view.home != null) lines.push(`  home     ${view.home}`)
  const names = Object.keys(view.entries).sort()
  if (names.length === 0) {
    lines.push('  (no entries)')
    return lines.join('\n')
  }
  const rows = names.map((name) => {
    const value = Buffer.from(view.entries[name] ?? '', 'base64')
    const shown = showValue(value)
    // a key is a guest's string: quoted when it would not print as it is
    const key = UNPRINTABLE.test(name) ? JSON.stringify(name) : name
    return [`  ${key}`, bytes(value.byteLength), shown.as, cut(shown.text)]
  })
  lines.push('', table(['  KEY', 'SIZE', 'AS', 'VALUE'], rows))
  return lines.join('\n')
}
