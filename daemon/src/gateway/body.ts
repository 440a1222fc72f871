import { PayloadTooLargeError } from '../errors.js'
import type { IncomingMessage } from 'node:http'

/**
 * Reads a request body of at most `maxBytes`. Refuses early on a larger Content-Length and stops
 * reading as soon as a body without one passes the cap, so an oversized upload costs at most
 * `maxBytes` of memory.
 */
export async function readBody (req: IncomingMessage, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > maxBytes) throw new PayloadTooLargeError(`body is ${declared} bytes; the limit is ${maxBytes}`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    signal?.throwIfAborted()
    size += (chunk as Buffer).byteLength
    if (size > maxBytes) throw new PayloadTooLargeError(`body is larger than the limit of ${maxBytes} bytes`)
    chunks.push(chunk as Buffer)
  }
  const body = Buffer.concat(chunks, size)
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
}
