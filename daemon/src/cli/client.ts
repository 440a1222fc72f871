/**
 * The CLI's HTTP client for the gateway. A failed request becomes the daemon's named error
 * again (`{ error: { name, message } }` -> an Error with that name).
 *
 * It speaks `node:http` rather than the global `fetch`: undici refuses a response head above
 * 16 KiB, and an in-client state travels in a response header of up to 64 KiB.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { reviveError } from '../errors.js'

/**
 * The largest response head the client reads: the in-client state header (64 KiB of base64,
 * DESIGN.md section 10) and the other headers; the gateway accepts request heads of the same size.
 */
export const MAX_RESPONSE_HEADER_BYTES = 96 * 1024

/** The daemon did not answer at all (not running, wrong `--api`), or went away mid-answer. */
export class DaemonUnreachableError extends Error {
  static name = 'DaemonUnreachableError'
  constructor (message = 'Cannot reach the daemon') {
    super(message)
    this.name = 'DaemonUnreachableError'
  }
}

export interface ApiResponse {
  status: number
  headers: Headers
  body: Uint8Array
}

export class ApiClient {
  /** `token`: a gateway token, sent as `Authorization: Bearer` on every request. */
  constructor (readonly baseUrl: string, private readonly timeoutMs = 60_000, private readonly token?: string) {}

  async request (method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    if (this.token != null) headers = { ...headers, authorization: `Bearer ${this.token}` }
    let res: IncomingMessage
    try {
      res = await send(new URL(this.baseUrl + path), { method, headers, signal, maxHeaderSize: MAX_RESPONSE_HEADER_BYTES }, body)
    } catch (err: any) {
      const cause = signal.aborted ? `no answer within ${this.timeoutMs} ms` : err?.code ?? err?.message
      throw new DaemonUnreachableError(`cannot reach the daemon at ${this.baseUrl} (${String(cause)}); is \`faasmesh daemon\` running? Use --api to point elsewhere`)
    }
    const chunks: Buffer[] = []
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer)
    } catch (err: any) {
      // the timeout covers the whole exchange, the answer's body too
      if (signal.aborted) throw signal.reason
      throw new DaemonUnreachableError(`the daemon at ${this.baseUrl} closed the connection mid-answer (${String(err?.code ?? err?.message)})`)
    }
    const bytes = new Uint8Array(Buffer.concat(chunks))
    const status = res.statusCode ?? 0
    if (status < 200 || status > 299) {
      let wire: { name: string, message: string } = { name: 'HttpError', message: `HTTP ${status}` }
      try {
        const parsed = JSON.parse(new TextDecoder().decode(bytes))
        if (typeof parsed?.error?.name === 'string') wire = { name: parsed.error.name, message: String(parsed.error.message) }
      } catch {}
      throw reviveError(tokenHint(wire, status, this.token != null))
    }
    return { status, headers: headersOf(res.rawHeaders), body: bytes }
  }

  async json<T> (method: string, path: string, body?: Uint8Array): Promise<T> {
    const res = await this.request(method, path, body)
    return JSON.parse(new TextDecoder().decode(res.body)) as T
  }
}

/** A 401 or 403 about tokens says what to do about it. */
function tokenHint (wire: { name: string, message: string }, status: number, sent: boolean): { name: string, message: string } {
  if (status === 401 && wire.name === 'UnauthorizedError') {
    const hint = sent
      ? 'check the token given with --token or FAASMESH_TOKEN (faasmesh token list on the node shows the valid ones)'
      : 'pass a gateway token with --token or FAASMESH_TOKEN (on the node: faasmesh token create --scope deploy)'
    return { ...wire, message: `${wire.message}\nhint: ${hint}` }
  }
  if (status === 403 && wire.name === 'ForbiddenError' && sent && /has scope/.test(wire.message)) {
    return { ...wire, message: `${wire.message}\nhint: use a token with a wider scope (on the node: faasmesh token create --scope deploy|admin)` }
  }
  return wire
}

/** Sends one request and resolves with the answer's head; `options.signal` aborts it (and the body that follows). */
async function send (url: URL, options: RequestOptions, body: Uint8Array | undefined): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, options, resolve)
    req.once('error', reject)
    // ending with the body sets content-length (0 without one), as fetch did
    req.end(body)
  })
}

/** The answer's headers as a fetch `Headers` (case-insensitive `get`), in the order they came. */
function headersOf (raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!)
    } catch {
      // a name or value `Headers` refuses: no caller reads such a header
    }
  }
  return headers
}
