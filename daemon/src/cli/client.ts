/**
 * The CLI's HTTP client for the gateway. A failed request becomes the daemon's named error
 * again (`{ error: { name, message } }` -> an Error with that name).
 */
import { reviveError } from '../errors.js'

/** The daemon did not answer at all (not running, wrong `--api`). */
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
  constructor (readonly baseUrl: string, private readonly timeoutMs = 60_000) {}

  async request (method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<ApiResponse> {
    let res: Response
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body as BodyInit | undefined,
        signal: AbortSignal.timeout(this.timeoutMs)
      })
    } catch (err: any) {
      const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message
      throw new DaemonUnreachableError(`cannot reach the daemon at ${this.baseUrl} (${String(cause)}); is \`faasmesh daemon\` running? Use --api to point elsewhere`)
    }
    const bytes = new Uint8Array(await res.arrayBuffer())
    if (!res.ok) {
      let wire: { name: string, message: string } = { name: 'HttpError', message: `HTTP ${res.status}` }
      try {
        const parsed = JSON.parse(new TextDecoder().decode(bytes))
        if (typeof parsed?.error?.name === 'string') wire = { name: parsed.error.name, message: String(parsed.error.message) }
      } catch {}
      throw reviveError(wire)
    }
    return { status: res.status, headers: res.headers, body: bytes }
  }

  async json<T> (method: string, path: string, body?: Uint8Array): Promise<T> {
    const res = await this.request(method, path, body)
    return JSON.parse(new TextDecoder().decode(res.body)) as T
  }
}
