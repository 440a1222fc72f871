import { InvalidModuleError, reviveError } from '../errors.js'
import { WorkerChannel } from '../utils/worker-channel.js'
import type { SanitizedModule, SanitizeLimits } from './sanitize.js'
import type { SanitizerComponents, SanitizerInit, Sanitizer as SanitizerInterface } from './index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

type Request = { bytes: Uint8Array, limits: SanitizeLimits }
type Response = { ok: true, result: SanitizedModule } | { ok: false, error: { name: string, message: string } }

const WORKER_URL = new URL('./sanitize-worker.js', import.meta.url)

/** Names the sanitizer may legitimately raise; anything else means the module broke the tool. */
const EXPECTED_ERRORS = new Set(['InvalidModuleError', 'ForbiddenImportError', 'PayloadTooLargeError'])

export class Sanitizer implements SanitizerInterface {
  private channel?: WorkerChannel<Request, Response>
  private readonly log: Logger
  private readonly timeoutMs: number

  constructor (components: SanitizerComponents, init: SanitizerInit) {
    this.log = components.logger.forComponent('faasmesh:sanitizer')
    this.timeoutMs = init.timeoutMs ?? 30_000
  }

  async sanitize (bytes: Uint8Array, limits: SanitizeLimits, options: AbortOptions = {}): Promise<SanitizedModule> {
    if (this.channel == null || this.channel.isExited) {
      this.channel = new WorkerChannel({ url: WORKER_URL, resourceLimits: { maxOldGenerationSizeMb: 256 } })
    }
    const started = performance.now()
    let response: Response
    try {
      // a copy (Buffer#slice would share memory): the caller keeps its bytes to store them
      const copy = new Uint8Array(bytes)
      response = await this.channel.call({ bytes: copy, limits }, { ...options, timeoutMs: this.timeoutMs, transfer: [copy.buffer] })
    } catch (err: any) {
      if (options.signal?.aborted === true) throw err
      // a module that makes binaryen spin or crash is the module's fault, not the daemon's
      throw new InvalidModuleError(`module could not be sanitized: ${String(err?.message ?? err)}`)
    }
    if (!response.ok) {
      const err = reviveError(response.error)
      throw EXPECTED_ERRORS.has(err.name) ? err : new InvalidModuleError(`module could not be sanitized: ${err.message}`)
    }
    this.log('sanitized %d bytes in %d ms', bytes.byteLength, Math.round(performance.now() - started))
    return response.result
  }

  async stop (): Promise<void> {
    await this.channel?.terminate()
    this.channel = undefined
  }
}
