import { raceSignal } from 'race-signal'
import { RpcChannel } from './channel.js'
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT_MS, MAX_CHANNELS_PER_CONNECTION } from './constants.js'
import { RpcResponder } from './responder.js'
import { traverse, type LinkShaper } from '../links.js'
import type { RpcComponents, RpcHandler, RpcInit, Rpc as RpcInterface } from './index.js'
import type { AbortOptions, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

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
  private readonly channels = new Map<string, Promise<RpcChannel>>()
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
    for (const channel of this.channels.values()) void channel.then((c) => { c.close() }, () => {})
    this.channels.clear()
  }

  async request (peer: PeerId, body: Uint8Array, options: AbortOptions & { timeoutMs?: number } = {}): Promise<Uint8Array> {
    const started = performance.now()
    await traverse(this.shaper, peer, body.byteLength, options.signal)
    // an emulated link's delay is part of the request's time, not added to it
    const timeoutMs = Math.max(1, (options.timeoutMs ?? this.timeoutMs) - (performance.now() - started))
    const channel = await this.channel(peer, options)
    try {
      return await channel.request(body, timeoutMs, options)
    } catch (err: any) {
      // a channel that died under us is reopened once: the peer may simply have restarted
      if (err?.name !== 'RpcChannelClosedError' || options.signal?.aborted === true) throw err
      return (await this.channel(peer, options)).request(body, timeoutMs, options)
    }
  }

  private async channel (peer: PeerId, options: AbortOptions): Promise<RpcChannel> {
    const key = peer.toString()
    const existing = this.channels.get(key)
    if (existing != null) {
      const channel = await existing.catch(() => undefined)
      if (channel != null && !channel.isClosed) return channel
      if (this.channels.get(key) === existing) this.channels.delete(key)
    }
    let opening = this.channels.get(key)
    if (opening == null) {
      // the channel is shared by every caller to this peer: it opens under the service's own
      // bound, not the first caller's signal, and each caller waits for it under its own
      opening = (async () => {
        const stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal: AbortSignal.timeout(this.timeoutMs) })
        // the channel is meant to stay open between requests
        stream.inactivityTimeout = 0
        return new RpcChannel(stream, this.maxFrameBytes, this.log, () => {
          if (this.channels.get(key) === opening) this.channels.delete(key)
        })
      })()
      opening.catch(() => { if (this.channels.get(key) === opening) this.channels.delete(key) })
      this.channels.set(key, opening)
    }
    return raceSignal(opening, options.signal)
  }

  /** The responder's side of a channel a peer opened: see `responder.ts`. */
  private serve (stream: Stream, connection: Connection): void {
    // nothing keeps a reference: the responder lives as long as its stream's listeners
    new RpcResponder(stream, connection.remotePeer, {
      maxFrameBytes: this.maxFrameBytes,
      maxInFlight: this.maxInFlight,
      timeoutMs: this.timeoutMs,
      shaper: this.shaper,
      log: this.log,
      handler: () => this.handler
    })
  }
}
