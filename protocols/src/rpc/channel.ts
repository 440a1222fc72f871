import { InvalidParametersError } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { FRAMES_PER_TURN, MAX_QUEUED_CANCELS } from './constants.js'
import { describe, RpcBusyError, RpcChannelClosedError, RpcRemoteError, RpcTimeoutError, RpcUnreachableError } from './errors.js'
import { RpcFrame } from './pb/rpc.js'
import { drained, FrameDecoder, lengthPrefixed, sendFrames, type ChannelMeter } from './wire.js'
import type { AbortOptions, Logger, Stream } from '@libp2p/interface'

const EMPTY = new Uint8Array(0)

/** A request's state, as its write sees it. */
interface InFlight {
  settled: boolean
  /** Its frame was handed to the stream: the responder may run it, and a CANCEL means something. */
  sent: boolean
  /** Made only when the write has to wait for the stream to drain: the common path skips it. */
  waiting?: AbortController
}

interface Pending {
  /** Ends the request with its answer or an error; later calls do nothing. */
  settle(outcome: Uint8Array | Error): void
  /** The channel closed under it: a named error that says whether it was sent. */
  closed(reason: string, cause?: Error): void
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
 *
 * A request that was sent and then given up (its caller's signal, or its time) is cancelled on
 * the wire: a CANCEL frame tells the responder to stop its handler, so work nobody waits for does
 * not hold a slot there until its deadline.
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
  /** Ids to cancel, written together at the end of the turn or once the stream drains. */
  private cancels: number[] = []
  /** A flush of `cancels` is scheduled (a microtask, or the next 'drain'). */
  private cancelScheduled = false

  /** `meter`, when set, is told the bytes of every frame read and written (`../traffic.ts`). */
  constructor (private readonly stream: Stream, private readonly maxFrameBytes: number, private readonly log: Logger, private readonly onClose: () => void, private readonly meter?: ChannelMeter) {
    this.decoder = new FrameDecoder(maxFrameBytes, meter)
    stream.addEventListener('message', (evt) => {
      this.decoder.push(evt.data)
      this.take()
    })
    stream.addEventListener('close', (evt) => {
      this.close(evt.error != null ? `channel closed: ${describe(evt.error)}` : 'channel closed: the stream ended', evt.error)
    })
    // the responder will not answer any more
    stream.addEventListener('remoteCloseWrite', () => {
      this.remoteDone = true
      if (!this.backlog) this.close('the peer closed the channel')
    })
  }

  get isClosed (): boolean {
    return this.closed
  }

  /**
   * Sends `body` and waits for the answer, at most `timeoutMs` (also the deadline the responder
   * gets). Fails with `InvalidParametersError` (the frame is above the cap: refused before
   * sending, the channel kept), `RpcUnreachableError` (the channel closed before the request was
   * written), `RpcTimeoutError`, `RpcChannelClosedError`, `RpcBusyError`, `RpcRemoteError`, or
   * the caller's abort reason.
   */
  async request (body: Uint8Array, timeoutMs: number, options: AbortOptions = {}): Promise<Uint8Array> {
    if (this.closed) throw new RpcUnreachableError('the channel closed before the request was sent')
    const id = this.nextId++
    const frame = RpcFrame.encode({ id, status: RpcFrame.Status.OK, body: body as Uint8Array<ArrayBuffer>, deadlineMs: timeoutMs })
    // the responder would close the whole channel for it: refuse here, and keep the channel
    if (frame.byteLength > this.maxFrameBytes) throw new InvalidParametersError(`request frame is ${frame.byteLength} bytes; the limit is ${this.maxFrameBytes}`)
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>()
    // the answer can fail (timeout, channel closed) while the write below still waits, before
    // anything awaits it: an unobserved rejection there would take the whole process down
    promise.catch(() => {})
    const request: InFlight = { settled: false, sent: false }
    const settle = (outcome: Uint8Array | Error): void => {
      if (request.settled) return
      request.settled = true
      this.pending.delete(id)
      // a write still waiting for the stream to drain gives up
      request.waiting?.abort(outcome instanceof Error ? outcome : new RpcChannelClosedError('answered before it was sent'))
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    // the requester gives up: once sent, the responder is told so that it stops working for nobody
    const giveUp = (err: Error): void => {
      if (request.settled) return
      settle(err)
      if (request.sent) this.cancel(id)
    }
    this.pending.set(id, {
      settle,
      closed: (reason, cause) => {
        settle(request.sent
          ? new RpcChannelClosedError(reason, { sent: true })
          : new RpcUnreachableError(`the channel closed before the request was sent (${reason})`, { cause }))
      }
    })
    const timer = setTimeout(() => {
      giveUp(request.sent
        ? new RpcTimeoutError(`no answer within ${timeoutMs} ms`, { sent: true })
        : new RpcTimeoutError(`not sent within ${timeoutMs} ms: the stream did not drain`, { sent: false }))
    }, timeoutMs)
    const onAbort = (): void => { giveUp(options.signal?.reason instanceof Error ? options.signal.reason : new RpcTimeoutError('aborted', { sent: request.sent })) }
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

  /** Closes the channel; requests still waiting fail by name (see `Pending.closed`). */
  close (reason = 'the channel closed', cause?: Error): void {
    if (this.closed) return
    this.closed = true
    this.cancels = []
    for (const p of [...this.pending.values()]) p.closed(reason, cause)
    this.pending.clear()
    this.stream.abort(cause ?? new RpcChannelClosedError(reason))
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
      sendFrames(this.stream, frame, this.meter)
      request.sent = true
    } catch (err: any) {
      if (request.settled) return
      this.log('rpc channel write failed: %s', err?.message ?? err)
      this.close(`channel closed: ${describe(err)}`, err instanceof Error ? err : undefined)
    }
  }

  /**
   * Queues a CANCEL for request `id`. Best effort and never throws: nothing on a closed channel,
   * and at most MAX_QUEUED_CANCELS held while the stream needs to drain. The cancels of one turn
   * (a placement that gives up on all its bidders at once) leave in one write.
   */
  private cancel (id: number): void {
    if (this.closed || this.cancels.length >= MAX_QUEUED_CANCELS) return
    this.cancels.push(id)
    if (this.cancelScheduled) return
    this.cancelScheduled = true
    queueMicrotask(() => { this.flushCancels() })
  }

  private flushCancels (): void {
    this.cancelScheduled = false
    if (this.closed || this.cancels.length === 0) return
    if (this.stream.writeStatus !== 'writable') {
      this.cancels = []
      return
    }
    // behind the requests' own frames, never into an unbounded write buffer: wait for the drain
    if (this.stream.writableNeedsDrain) {
      this.cancelScheduled = true
      this.stream.addEventListener('drain', () => { this.flushCancels() }, { once: true })
      return
    }
    const frames = new Uint8ArrayList()
    for (const id of this.cancels) frames.append(lengthPrefixed(RpcFrame.encode({ id, status: RpcFrame.Status.CANCEL, body: EMPTY, deadlineMs: 0 })))
    this.cancels = []
    try {
      sendFrames(this.stream, frames, this.meter)
    } catch (err: any) {
      // the stream is failing: its 'close' event closes the channel
      this.log('could not send cancellations: %s', err?.message ?? err)
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
      this.close(`channel closed: ${describe(err)}`, err instanceof Error ? err : undefined)
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
        this.close(`channel closed: ${describe(err)}`, err instanceof Error ? err : undefined)
        return
      }
      if (this.remoteDone && !this.backlog) this.close('the peer closed the channel')
    })
  }

  private onAnswer (frame: RpcFrame): void {
    // a requester's frame, the wrong way round: it answers nothing
    if (frame.status === RpcFrame.Status.CANCEL) return
    const pending = this.pending.get(frame.id)
    if (pending == null) return // answered after its requester gave up
    if (frame.status === RpcFrame.Status.OK) pending.settle(frame.body)
    else if (frame.status === RpcFrame.Status.TIMEOUT) pending.settle(new RpcTimeoutError('the remote handler ran out of time'))
    else if (frame.status === RpcFrame.Status.BUSY) pending.settle(new RpcBusyError())
    else pending.settle(new RpcRemoteError(`the remote answered ${RpcFrame.Status[frame.status] ?? frame.status}`))
  }
}
