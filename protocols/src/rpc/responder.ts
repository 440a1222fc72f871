import { traverse, type LinkShaper } from '../links.js'
import { FRAMES_PER_TURN, MIN_UNSENT_ANSWER_BYTES } from './constants.js'
import { RpcCancelledError, RpcChannelClosedError } from './errors.js'
import { RpcFrame } from './pb/rpc.js'
import { FrameDecoder, lengthPrefixed, sendFrames, type ChannelMeter } from './wire.js'
import { Uint8ArrayList } from 'uint8arraylist'
import type { RpcHandler } from './index.js'
import type { PeerLimits } from '../limits/index.js'
import type { Logger, PeerId, Stream } from '@libp2p/interface'

export interface RpcResponderInit {
  maxFrameBytes: number
  maxInFlight: number
  timeoutMs: number
  shaper?: LinkShaper
  /** Told the bytes of every frame read and written (`../traffic.ts`); unset, nothing is counted. */
  meter?: ChannelMeter
  log: Logger
  /**
   * Per-peer buckets (`../limits`): a request beyond them is answered BUSY at once, its body
   * neither decoded nor handled. Unset, only `maxInFlight` bounds a peer.
   */
  limiter?: PeerLimits
  /** Read at each request: the handler may be set after the channel opened. */
  handler(): RpcHandler | undefined
}

/**
 * The responder's side of one channel: every request runs concurrently, bounded, each within
 * its deadline. Frames are taken off the stream as they arrive (`FrameDecoder`), so a burst is
 * work, never a buffer overflow. Time and memory per channel stay bounded:
 * - at most `FRAMES_PER_TURN` frames are served at once; the rest of a chunk waits, the stream
 *   paused, for the next turn of the event loop, so a chunk of many tiny frames cannot block
 *   the node, and a peer sending faster than they are served is slowed down by its window;
 * - answers made in one turn leave in one write (a flood of BUSY answers is one yamux frame,
 *   not one per request);
 * - beyond `maxInFlight` running requests, a request is answered BUSY at once and dropped;
 * - when answers stop leaving (the peer does not read them, or the link is full) and pile up
 *   past `maxUnsentBytes`, no more frames are served and the stream is paused until they fall
 *   back under it: yamux then grants the peer no more window, so it stops sending;
 * - a peer that sends past that anyway overruns the paused stream's `maxReadBufferLength`, and
 *   the stream resets: only this peer's channel closes.
 *
 * A CANCEL frame aborts the running request with its id (reason `RpcCancelledError`), which then
 * gets no answer. A CANCEL costs one map lookup: for an unknown or finished id it does nothing,
 * it never counts against `maxInFlight`, and it is served within FRAMES_PER_TURN like any frame.
 */
export class RpcResponder {
  private readonly decoder: FrameDecoder
  private readonly maxUnsentBytes: number
  private inflight = 0
  /** Answers wait to leave beyond `maxUnsentBytes`: nothing more is served until they do. */
  private held = false
  /** Frames received wait for a later turn of the event loop. */
  private backlog = false
  private remoteDone = false
  /** Answers made in this turn, written together at its end. */
  private outgoing?: Uint8ArrayList
  /** The requests running, aborted when the channel closes: nobody is left to answer. */
  private readonly running = new Set<AbortController>()
  /**
   * The same, by request id, for CANCEL frames. An id reused while its request runs (only a
   * broken or hostile requester does that) points to the latest; `running` still holds both.
   */
  private readonly byId = new Map<number, AbortController>()

  constructor (private readonly stream: Stream, private readonly peer: PeerId, private readonly init: RpcResponderInit) {
    this.decoder = new FrameDecoder(init.maxFrameBytes, init.meter)
    this.maxUnsentBytes = Math.max(MIN_UNSENT_ANSWER_BYTES, 2 * init.maxFrameBytes)
    stream.inactivityTimeout = 0
    // while paused, room for a frame that was already on its way, whatever the muxer's default
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, 2 * (init.maxFrameBytes + 16))
    stream.addEventListener('message', (evt) => {
      this.decoder.push(evt.data)
      this.serve()
    })
    // the stream sends what it can after 'drain', in a microtask queued before this one
    stream.addEventListener('drain', () => { queueMicrotask(() => { this.release() }) })
    stream.addEventListener('remoteCloseWrite', () => {
      this.remoteDone = true
      this.closeWhenIdle()
    })
    // without this, a peer that resets its channel and opens another keeps the first one's
    // requests running to their deadlines: maxInFlight per channel would bound nothing
    stream.addEventListener('close', () => {
      for (const request of this.running) request.abort(new RpcChannelClosedError('the requester closed the channel'))
    })
  }

  /** Serves the frames received so far: at most FRAMES_PER_TURN now, the rest on a later turn. */
  private serve (): void {
    // a turn is already scheduled: it serves these too, in order
    if (this.backlog) return
    // an event listener must not throw: a bad frame ends this channel, nothing else
    try {
      for (let served = 0; !this.held && this.stream.writeStatus === 'writable'; served++) {
        if (served === FRAMES_PER_TURN) {
          if (this.decoder.bufferedBytes > 0) this.later()
          return
        }
        const bytes = this.decoder.next()
        if (bytes == null) break
        this.onRequest(RpcFrame.decode(bytes), bytes.byteLength)
      }
    } catch (err: any) {
      this.init.log('closing channel from %p: %s', this.peer, err?.message ?? err)
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
      return
    }
    this.closeWhenIdle()
  }

  /** The rest of what arrived is served on the next turn; the stream stays paused until then. */
  private later (): void {
    this.backlog = true
    this.syncPause()
    setImmediate(() => {
      this.backlog = false
      this.serve()
      this.syncPause()
    })
  }

  /** The stream is paused while answers are held or frames wait for a later turn, and only then. */
  private syncPause (): void {
    const pause = this.held || this.backlog
    try {
      // resuming hands out what arrived meanwhile at once ('message', then serve())
      if (pause && this.stream.readStatus === 'readable') this.stream.pause()
      else if (!pause && this.stream.readStatus === 'paused') this.stream.resume()
    } catch (err: any) {
      // called from timers and microtasks: nothing may escape
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private onRequest (frame: RpcFrame, bytes: number): void {
    if (frame.status === RpcFrame.Status.CANCEL) {
      this.byId.get(frame.id)?.abort(new RpcCancelledError())
      return
    }
    // over this peer's share: BUSY before its body is decoded or anything runs for it
    if (this.inflight >= this.init.maxInFlight || this.init.limiter?.admit(this.peer, bytes) === false) {
      this.reply({ id: frame.id, status: RpcFrame.Status.BUSY, body: new Uint8Array(0), deadlineMs: 0 })
      return
    }
    this.inflight++
    void this.run(frame)
  }

  private async run (frame: RpcFrame): Promise<void> {
    const deadline = Math.min(frame.deadlineMs > 0 ? frame.deadlineMs : this.init.timeoutMs, this.init.timeoutMs)
    const request = new AbortController()
    const signal = request.signal
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      request.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
    }, deadline)
    this.running.add(request)
    this.byId.set(frame.id, request)
    try {
      const handler = this.init.handler()
      if (handler == null) throw new Error('no handler')
      const body = await handler(frame.body, { peer: this.peer, signal })
      // a handler that finished without heeding its signal: a cancelled request still gets no answer
      signal.throwIfAborted()
      await traverse(this.init.shaper, this.peer, body.byteLength, signal)
      this.init.limiter?.charge(this.peer, body.byteLength)
      this.reply({ id: frame.id, status: RpcFrame.Status.OK, body: body as Uint8Array<ArrayBuffer>, deadlineMs: 0 })
    } catch (err: any) {
      // aborted otherwise: cancelled, or the channel closed; nobody reads an answer
      if (signal.aborted && !timedOut) return
      const status = timedOut ? RpcFrame.Status.TIMEOUT : RpcFrame.Status.ERROR
      if (status === RpcFrame.Status.ERROR) this.init.log('handler failed for %p: %s', this.peer, err?.message ?? err)
      this.reply({ id: frame.id, status, body: new Uint8Array(0), deadlineMs: 0 })
    } finally {
      clearTimeout(timer)
      this.running.delete(request)
      if (this.byId.get(frame.id) === request) this.byId.delete(frame.id)
      this.inflight--
      this.closeWhenIdle()
    }
  }

  /** Queues an answer; the answers of one turn are written together, in a microtask. */
  private reply (frame: RpcFrame): void {
    if (this.stream.writeStatus !== 'writable') return
    if (this.outgoing == null) {
      this.outgoing = new Uint8ArrayList()
      queueMicrotask(() => { this.flush() })
    }
    this.outgoing.append(lengthPrefixed(RpcFrame.encode(frame)))
  }

  /** Writes the queued answers; when too many wait to leave, holds the channel until they do. */
  private flush (): void {
    const outgoing = this.outgoing
    this.outgoing = undefined
    if (outgoing == null || this.stream.writeStatus !== 'writable') return
    try {
      if (!sendFrames(this.stream, outgoing, this.init.meter) && this.stream.writeBufferLength > this.maxUnsentBytes) this.hold()
    } catch (err: any) {
      this.init.log('could not answer %p: %s', this.peer, err?.message ?? err)
    }
  }

  private hold (): void {
    if (this.held) return
    this.held = true
    this.syncPause()
    this.init.log.trace('answers to %p are not leaving: paused the channel', this.peer)
  }

  /**
   * After a 'drain': serves again once the answers waiting are back under the bound. Not on any
   * drain: a peer granting its window a few bytes at a time would otherwise get a turn of
   * answers queued for every few bytes it reads.
   */
  private release (): void {
    if (!this.held || this.stream.writeBufferLength > this.maxUnsentBytes) return
    this.held = false
    // a scheduled turn serves and resumes
    if (this.backlog) return
    this.serve()
    this.syncPause()
  }

  /** The requester closed its side: serve what arrived, finish what runs, answer it, then close ours. */
  private closeWhenIdle (): void {
    if (!this.remoteDone || this.inflight > 0 || this.backlog || this.held || this.stream.writeStatus !== 'writable') return
    this.flush()
    this.stream.close().catch((err: any) => { this.stream.abort(err instanceof Error ? err : new Error(String(err))) })
  }
}
