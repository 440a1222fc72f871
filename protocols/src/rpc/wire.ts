import { InvalidMessageError, StreamStateError } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Stream } from '@libp2p/interface'

/**
 * Told the bytes of each frame a channel reads or writes, length prefix included; what libp2p
 * adds below the stream (noise, yamux) is not ours to count (see `../traffic.ts`). Reads are
 * counted in `FrameDecoder.next()` and writes in `sendFrames()`, the one place per direction
 * every rpc protocol goes through, requester and responder alike.
 */
export interface ChannelMeter {
  in(bytes: number): void
  out(bytes: number): void
}

/**
 * Splits what a stream delivers into varint length-prefixed frames, one at a time. A chunk can
 * hold any number of frames (a yamux data frame is as large as the window the peer was granted,
 * up to 16 MiB, and a frame can be a single byte): they are handed out by `next()` as the caller
 * serves them, never as one array per chunk, so a chunk of tiny frames costs no memory per frame
 * and the caller decides how many to serve before it yields (see `FRAMES_PER_TURN`). What stays
 * buffered is what the stream delivered and nobody served yet; the caller pauses the stream while
 * it has any, so that is at most one chunk plus one partial frame.
 */
export class FrameDecoder {
  private readonly buffer = new Uint8ArrayList()
  private readonly maxPrefixBytes: number

  /** `meter` is told the bytes of each frame handed out, prefix included. */
  constructor (private readonly maxFrameBytes: number, private readonly meter?: ChannelMeter) {
    this.maxPrefixBytes = varintLength(maxFrameBytes)
  }

  /** Bytes received and not yet handed out. */
  get bufferedBytes (): number {
    return this.buffer.byteLength
  }

  /** Appends what the stream delivered. */
  push (chunk: Uint8Array | Uint8ArrayList): void {
    this.buffer.append(chunk)
  }

  /**
   * The next complete frame, or undefined when none is buffered. Throws InvalidMessageError for
   * a frame above the cap or a length prefix longer than the cap needs: the peer broke the
   * protocol, and the caller closes that channel.
   */
  next (): Uint8Array | undefined {
    const buffer = this.buffer
    let length = 0
    let prefix = 0
    while (true) {
      if (prefix === this.maxPrefixBytes) throw new InvalidMessageError(`frame length prefix is longer than ${this.maxPrefixBytes} bytes`)
      if (prefix === buffer.byteLength) return undefined
      const byte = buffer.get(prefix)
      length += (byte & 0x7f) * 2 ** (7 * prefix)
      prefix++
      if (byte < 0x80) break
    }
    if (length > this.maxFrameBytes) throw new InvalidMessageError(`frame of ${length} bytes; the limit is ${this.maxFrameBytes}`)
    if (buffer.byteLength < prefix + length) return undefined
    // a view, not a copy, when the frame sits in one chunk (the usual case)
    const frame = buffer.subarray(prefix, prefix + length)
    buffer.consume(prefix + length)
    this.meter?.in(prefix + length)
    return frame
  }
}

/**
 * Writes length-prefixed `frames` to `stream` and counts them as sent; returns what
 * `stream.send` returns (false: wait for 'drain' before the next). What `stream.send` throws
 * (the stream is not writable) was not sent and is not counted.
 */
export function sendFrames (stream: Stream, frames: Uint8ArrayList, meter?: ChannelMeter): boolean {
  const more = stream.send(frames)
  meter?.out(frames.byteLength)
  return more
}

/** A frame with its varint length prefix, without copying the body. */
export function lengthPrefixed (frame: Uint8Array): Uint8ArrayList {
  const prefix = new Uint8Array(varintLength(frame.byteLength))
  let n = frame.byteLength
  for (let i = 0; i < prefix.length; i++) {
    prefix[i] = (n & 0x7f) | (i < prefix.length - 1 ? 0x80 : 0)
    n = Math.floor(n / 128)
  }
  return new Uint8ArrayList(prefix, frame)
}

function varintLength (n: number): number {
  let bytes = 1
  while (n >= 128) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

/**
 * Resolves once the stream can take more data. Rejects when the stream closes or `signal`
 * aborts. Listens for the 'drain' event itself: `stream.onDrain()` keeps returning the promise
 * of the first drain, already resolved, so awaiting it in a loop would spin.
 */
export async function drained (stream: Stream, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  if (stream.status !== 'open') throw new StreamStateError(`the stream is ${stream.status}`)
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      signal.removeEventListener('abort', onAbort)
      if (err == null) resolve()
      else reject(err)
    }
    const onDrain = (): void => { done() }
    const onClose = (): void => { done(new StreamStateError('the stream closed')) }
    const onAbort = (): void => { done(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason))) }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
    signal.addEventListener('abort', onAbort)
  })
}
