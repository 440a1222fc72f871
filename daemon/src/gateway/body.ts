import { AbortError, PayloadTooLargeError, RequestTimeoutError } from '../errors.js'
import type { IncomingMessage } from 'node:http'

export interface ReadBodyOptions {
  /** Aborts the read (the client went away). */
  signal?: AbortSignal
  /** Fails with RequestTimeoutError when no body bytes arrive for this long. */
  idleTimeoutMs: number
}

/**
 * Reads a request body of at most `maxBytes`. Refuses early on a larger Content-Length and stops
 * reading as soon as a body without one passes the cap, so an oversized upload costs at most
 * `maxBytes` of memory. The rest of the body stays unread, paused, for `discardBody`.
 */
export async function readBody (req: IncomingMessage, maxBytes: number, options: ReadBodyOptions): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > maxBytes) throw new PayloadTooLargeError(`body is ${declared} bytes; the limit is ${maxBytes}`)
  const { signal, idleTimeoutMs } = options
  signal?.throwIfAborted()
  return await new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let timer: NodeJS.Timeout | undefined
    const finish = (err?: Error): void => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      // what is left stays in the socket until the error path discards it
      req.pause()
      if (err != null) { reject(err); return }
      const body = Buffer.concat(chunks, size)
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
    }
    const arm = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => { finish(new RequestTimeoutError(`no body bytes for ${idleTimeoutMs} ms`)) }, idleTimeoutMs)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength
      if (size > maxBytes) { finish(new PayloadTooLargeError(`body is larger than the limit of ${maxBytes} bytes`)); return }
      chunks.push(chunk)
      arm()
    }
    const onEnd = (): void => { finish() }
    const onClose = (): void => { if (!req.complete) finish(new AbortError('the client closed the connection while sending the body')) }
    const onAbort = (): void => { finish(signal?.reason ?? new AbortError()) }
    // already read to its end by someone else: nothing will come ('end' does not fire twice)
    if (req.readableEnded) { finish(); return }
    signal?.addEventListener('abort', onAbort, { once: true })
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('close', onClose)
    arm()
    req.resume()
  })
}

export interface DiscardOptions {
  maxBytes: number
  timeoutMs: number
}

/**
 * Reads and throws away what is left of a request body, so that an error can be answered to a
 * client that is still sending: a server that answers and closes mid-body makes the client's next
 * write fail (EPIPE, ECONNRESET) before it reads the answer. Bounded in bytes and time; true when
 * the body ended within both.
 */
export async function discardBody (req: IncomingMessage, options: DiscardOptions): Promise<boolean> {
  if (req.complete) return true
  if (req.destroyed) return false
  return await new Promise<boolean>((resolve) => {
    let seen = 0
    const finish = (ended: boolean): void => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onClose)
      if (!ended) req.pause()
      resolve(ended)
    }
    const onData = (chunk: Buffer): void => {
      seen += chunk.byteLength
      if (seen > options.maxBytes) finish(false)
    }
    const onEnd = (): void => { finish(true) }
    const onClose = (): void => { finish(req.complete) }
    const timer = setTimeout(() => { finish(false) }, options.timeoutMs)
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('close', onClose)
    req.resume()
  })
}
