import { InvalidParametersError } from '@libp2p/interface'
import { FRAMES_PER_TURN } from './constants.js'
import { RpcBusyError, RpcChannelClosedError, RpcRemoteError, RpcTimeoutError } from './errors.js'
import { RpcFrame } from './pb/rpc.js'
import { drained, FrameDecoder, lengthPrefixed } from './wire.js'
import type { AbortOptions, Logger, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A request's state, as its write sees it. */
interface InFlight {
  settled: boolean
  /** Made only when the write has to wait for the stream to drain: the common path skips it. */
  waiting?: AbortController
}

interface Pending {
  /** Ends the request with its answer or an error; later calls do nothing. */
  settle(outcome: Uint8Array | Error): void
}

/**
 * The requester's side of one long-lived stream: requests go out as frames with fresh ids,
 * responses come back in any order and are matched by id. Opening a stream costs 2-4 ms here,
 * a frame on an open one ~0.3 ms (shared/research/libp2p-v3.md section 5).
 *
 * Answers are taken as they arrive (`FrameDecoder`): however many callers wait on the channel
 * and however many answers one chunk carries, nothing accumulates but what the stream delivered.
 * At most `FRAMES_PER_TURN` are taken at once, the rest on a later turn with the stream paused,
 * so a responder sending a chunk of millions of tiny frames cannot block this node.
 */
export class RpcChannel {
  private readonly decoder: FrameDecoder
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closed = false
  /** Answers received wait for a later turn of the event loop. */
  private backlog = false
  /** The responder closed its side: the channel closes once what it sent is taken. */
  private remoteDone = false

  constructor (private readonly stream: Stream, private readonly maxFrameBytes: number, private readonly log: Logger, private readonly onClose: () => void) {
    this.decoder = new FrameDecoder(maxFrameBytes)
    stream.addEventListener('message', (evt) => {
      this.decoder.push(evt.data)
      this.take()
    })
    stream.addEventListener('close', (evt) => {
      this.close(new RpcChannelClosedError(`channel closed: ${evt.error?.message ?? 'the stream ended'}`))
    })
    // the responder will not answer any more
    stream.addEventListener('remoteCloseWrite', () => {
      this.remoteDone = true
      if (!this.backlog) this.close(new RpcChannelClosedError('the peer closed the channel'))
    })
  }

  get isClosed (): boolean {
    return this.closed
  }

  async request (body: Uint8Array, timeoutMs: number, options: AbortOptions = {}): Promise<Uint8Array> {
    if (this.closed) throw new RpcChannelClosedError()
    const id = this.nextId++
    const frame = RpcFrame.encode({ id, status: RpcFrame.Status.OK, body: body as Uint8Array<ArrayBuffer>, deadlineMs: timeoutMs })
    // the responder would close the whole channel for it: refuse here, and keep the channel
    if (frame.byteLength > this.maxFrameBytes) throw new InvalidParametersError(`request frame is ${frame.byteLength} bytes; the limit is ${this.maxFrameBytes}`)
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>()
    // the answer can fail (timeout, channel closed) while the write below still waits, before
    // anything awaits it: an unobserved rejection there would take the whole process down
    promise.catch(() => {})
    const request: InFlight = { settled: false }
    const settle = (outcome: Uint8Array | Error): void => {
      if (request.settled) return
      request.settled = true
      this.pending.delete(id)
      // a write still waiting for the stream to drain gives up
      request.waiting?.abort(outcome instanceof Error ? outcome : new RpcChannelClosedError('answered before it was sent'))
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    this.pending.set(id, { settle })
    const timer = setTimeout(() => { settle(new RpcTimeoutError(`no answer within ${timeoutMs} ms`)) }, timeoutMs)
    const onAbort = (): void => { settle(options.signal?.reason instanceof Error ? options.signal.reason : new RpcTimeoutError('aborted')) }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    if (options.signal?.aborted === true) onAbort()
    try {
      await this.send(lengthPrefixed(frame), request)
      return await promise
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  close (err: Error = new RpcChannelClosedError()): void {
    if (this.closed) return
    this.closed = true
    for (const p of [...this.pending.values()]) p.settle(err)
    this.pending.clear()
    this.stream.abort(err)
    this.onClose()
  }

  /**
   * Sends a frame once the stream can take it, so concurrent callers queue here, each under its
   * own deadline, rather than pile their frames into the stream's unbounded write buffer. A
   * request settled meanwhile is not sent; a stream that fails under a write closes the channel.
   */
  private async send (frame: Uint8ArrayList, request: InFlight): Promise<void> {
    try {
      while (this.stream.writableNeedsDrain && !request.settled) {
        request.waiting ??= new AbortController()
        await drained(this.stream, request.waiting.signal)
      }
      if (request.settled) return
      this.stream.send(frame)
    } catch (err: any) {
      if (request.settled) return
      this.log('rpc channel write failed: %s', err?.message ?? err)
      this.close(new RpcChannelClosedError(`channel closed: ${String(err?.message ?? err)}`))
    }
  }

  /** Takes the answers received so far: at most FRAMES_PER_TURN now, the rest on a later turn. */
  private take (): void {
    // a turn is already scheduled: it takes these too, in order
    if (this.backlog || this.closed) return
    // an event listener must not throw: a bad frame ends this channel, nothing else
    try {
      for (let taken = 0; ; taken++) {
        if (taken === FRAMES_PER_TURN) {
          if (this.decoder.bufferedBytes > 0) this.later()
          return
        }
        const bytes = this.decoder.next()
        if (bytes == null) return
        this.onAnswer(RpcFrame.decode(bytes))
      }
    } catch (err: any) {
      this.log('rpc channel closed: %s', err?.message ?? err)
      this.close(new RpcChannelClosedError(`channel closed: ${String(err?.message ?? err)}`))
    }
  }

  /** The rest of what arrived is taken on the next turn; the stream stays paused until then. */
  private later (): void {
    this.backlog = true
    if (this.stream.readStatus === 'readable') this.stream.pause()
    setImmediate(() => {
      this.backlog = false
      this.take()
      if (this.closed || this.backlog) return
      try {
        // resuming hands out what arrived meanwhile at once ('message', then take())
        if (this.stream.readStatus === 'paused') this.stream.resume()
      } catch (err: any) {
        this.close(new RpcChannelClosedError(`channel closed: ${String(err?.message ?? err)}`))
        return
      }
      if (this.remoteDone && !this.backlog) this.close(new RpcChannelClosedError('the peer closed the channel'))
    })
  }

  private onAnswer (frame: RpcFrame): void {
    const pending = this.pending.get(frame.id)
    if (pending == null) return // answered after its requester gave up
    if (frame.status === RpcFrame.Status.OK) pending.settle(frame.body)
    else if (frame.status === RpcFrame.Status.TIMEOUT) pending.settle(new RpcTimeoutError('the remote handler ran out of time'))
    else if (frame.status === RpcFrame.Status.BUSY) pending.settle(new RpcBusyError())
    else pending.settle(new RpcRemoteError(`the remote answered ${RpcFrame.Status[frame.status] ?? frame.status}`))
  }
}
