import { RpcChannel } from './channel.js'
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT_MS, MAX_CHANNELS_PER_CONNECTION, MAX_OPEN_MS, MIN_RETRY_MS } from './constants.js'
import { describe, RpcTimeoutError, RpcUnreachableError } from './errors.js'
import { RpcResponder } from './responder.js'
import { traverse, type LinkShaper } from '../links.js'
import { protocolName } from '../traffic.js'
import { peerLimiter, type PeerLimits } from '../limits/index.js'
import type { ChannelMeter } from './wire.js'
import type { RpcComponents, RpcHandler, RpcInit, Rpc as RpcInterface, RpcRequestOptions } from './index.js'
import type { AbortOptions, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

/** A channel to one peer: opening, then open. */
interface ChannelEntry {
  opening: Promise<RpcChannel>
  /** Set once open: callers take it without awaiting anything. */
  channel?: RpcChannel
}

/**
 * Request/response over one long-lived stream per peer, multiplexed by request id. Mechanism
 * only: what a request means is the protocol's that uses it (auction, invoke).
 */
export class Rpc implements RpcInterface, Startable {
  readonly protocol: string
  private readonly components: RpcComponents
  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly maxFrameBytes: number
  private readonly maxInFlight: number
  private readonly shaper?: LinkShaper
  private readonly meter?: ChannelMeter
  private readonly limiter?: PeerLimits
  private readonly channels = new Map<string, ChannelEntry>()
  private handler?: RpcHandler
  private started = false

  constructor (components: RpcComponents, init: RpcInit) {
    this.components = components
    this.protocol = init.protocol
    this.log = components.logger.forComponent(`faasmesh:rpc:${init.protocol}`)
    this.timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.maxFrameBytes = init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.maxInFlight = init.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT
    this.shaper = init.shaper
    // counted and reported under the protocol's short name, like its traffic
    if (init.limits != null) this.limiter = peerLimiter(protocolName(init.protocol), init.limits)
    const traffic = init.traffic
    if (traffic != null) {
      // counted under the protocol's short name: `/faasmesh/auction/1.0.0` -> `auction`
      const name = protocolName(init.protocol)
      this.meter = {
        in: (bytes) => { traffic.add(name, 'in', bytes) },
        out: (bytes) => { traffic.add(name, 'out', bytes) }
      }
    }
  }

  setHandler (handler: RpcHandler): void {
    this.handler = handler
  }

  async start (): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(this.protocol, (stream, connection) => {
      this.serve(stream, connection)
    }, { maxInboundStreams: MAX_CHANNELS_PER_CONNECTION })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.components.registrar.unhandle(this.protocol)
    for (const entry of this.channels.values()) void entry.opening.then((c) => { c.close() }, () => {})
    this.channels.clear()
  }

  /**
   * Sends `body` to `peer` and waits for the answer, `timeoutMs` in all: opening the channel,
   * the link, the answer and a retry all come out of that one budget.
   */
  async request (peer: PeerId, body: Uint8Array, options: RpcRequestOptions = {}): Promise<Uint8Array> {
    const deadline = performance.now() + (options.timeoutMs ?? this.timeoutMs)
    // an emulated link's delay is part of the request's time, not added to it
    await traverse(this.shaper, peer, body.byteLength, options.signal)
    try {
      return await this.attempt(peer, body, deadline, options)
    } catch (err: any) {
      if (!this.mayRetry(err, deadline, options)) throw err
      this.log('%s to %p, sending again on a fresh channel', err.name, peer)
      try {
        return await this.attempt(peer, body, deadline, options)
      } catch (retryErr: any) {
        // the first one was sent: whatever befell the retry, the peer may have run the request,
        // and the caller must not hear "never sent"
        throw err?.sent === true && retryErr?.sent !== true ? err : retryErr
      }
    }
  }

  /**
   * A request is sent again, once, only when that cannot run it twice: it never left (the channel
   * could not be opened, or closed before the write), or its caller said it is idempotent and the
   * channel died under it (the peer may simply have restarted). Never after a timeout, an answer,
   * or the caller's abort, and only with time left.
   */
  private mayRetry (err: any, deadline: number, options: RpcRequestOptions): boolean {
    if (options.signal?.aborted === true || deadline - performance.now() < MIN_RETRY_MS) return false
    if (err?.name === 'RpcUnreachableError') return true
    return err?.name === 'RpcChannelClosedError' && options.idempotent === true
  }

  private async attempt (peer: PeerId, body: Uint8Array, deadline: number, options: AbortOptions): Promise<Uint8Array> {
    const channel = await this.channel(peer, deadline, options)
    const timeoutMs = Math.max(1, Math.floor(deadline - performance.now()))
    return channel.request(body, timeoutMs, options)
  }

  /**
   * The channel to `peer`, opened if needed. The open is shared by every caller to this peer: it
   * runs under the service's own bound (no caller's signal may end it for the others), and each
   * caller waits for it no longer than its own deadline and signal.
   */
  private async channel (peer: PeerId, deadline: number, options: AbortOptions): Promise<RpcChannel> {
    const key = peer.toString()
    let entry = this.channels.get(key)
    // a closed channel leaves the map as it closes; this is only the belt to those braces
    if (entry?.channel?.isClosed === true) {
      this.channels.delete(key)
      entry = undefined
    }
    if (entry?.channel != null) return entry.channel
    entry ??= this.open(peer, key)
    return waitFor(entry.opening, deadline, options.signal)
  }

  private open (peer: PeerId, key: string): ChannelEntry {
    const forget = (): void => { if (this.channels.get(key) === entry) this.channels.delete(key) }
    const entry: ChannelEntry = { opening: this.connect(peer, forget) }
    entry.opening.then((channel) => { entry.channel = channel }, forget)
    this.channels.set(key, entry)
    return entry
  }

  /** Opens a stream to `peer` under the service's own bound; `onClose` runs when its channel closes. */
  private async connect (peer: PeerId, onClose: () => void): Promise<RpcChannel> {
    let stream: Stream
    try {
      stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal: AbortSignal.timeout(Math.min(this.timeoutMs, MAX_OPEN_MS)) })
    } catch (err: any) {
      // whatever libp2p threw (dial, negotiation, timeout), the caller learns one thing by name:
      // the request never left
      throw new RpcUnreachableError(`could not open a channel to ${peer.toString()}: ${describe(err)}`, { cause: err })
    }
    // the channel is meant to stay open between requests
    stream.inactivityTimeout = 0
    return new RpcChannel(stream, this.maxFrameBytes, this.log, onClose, this.meter)
  }

  /** The responder's side of a channel a peer opened: see `responder.ts`. */
  private serve (stream: Stream, connection: Connection): void {
    // nothing keeps a reference: the responder lives as long as its stream's listeners
    new RpcResponder(stream, connection.remotePeer, {
      maxFrameBytes: this.maxFrameBytes,
      maxInFlight: this.maxInFlight,
      timeoutMs: this.timeoutMs,
      shaper: this.shaper,
      meter: this.meter,
      limiter: this.limiter,
      log: this.log,
      handler: () => this.handler
    })
  }
}

/**
 * `opening`, waited for until `deadline` (a `performance.now()` time) or `signal`, whichever
 * comes first; the opening itself goes on for the other callers.
 */
async function waitFor (opening: Promise<RpcChannel>, deadline: number, signal?: AbortSignal): Promise<RpcChannel> {
  const { promise, resolve, reject } = Promise.withResolvers<RpcChannel>()
  const onAbort = (): void => { reject(signal?.reason instanceof Error ? signal.reason : new RpcTimeoutError('aborted', { sent: false })) }
  const timer = setTimeout(() => {
    reject(new RpcTimeoutError('the channel did not open within the request\'s time', { sent: false }))
  }, Math.max(0, deadline - performance.now()))
  signal?.addEventListener('abort', onAbort, { once: true })
  if (signal?.aborted === true) onAbort()
  opening.then(resolve, reject)
  try {
    return await promise
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}
