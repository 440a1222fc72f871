/**
 * @packageDocumentation
 *
 * Multiplexed request/response over one long-lived stream per peer and protocol: the transport
 * under the auction and invoke protocols (issue: auction placement), where opening a stream per
 * request (2-4 ms here) would dominate a ~1 ms placement. Frames are varint length-prefixed
 * `RpcFrame`s (id, status, body, deadline), size-capped and taken off the stream as they arrive
 * (a burst is never an overflow); the responder runs requests concurrently up to a bound,
 * answers BUSY beyond it and stops reading a peer whose answers pile up; a dead channel is
 * reopened once.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({ services: { bids: rpc({ protocol: '/faasmesh/auction/1.0.0' }) } })
 * node.services.bids.setHandler(async (body, { peer, signal }) => answer(body))
 * const reply = await node.services.bids.request(peerId, body, { timeoutMs: 500 })
 * ```
 */
import { Rpc as RpcClass } from './rpc.js'
import type { LinkShaper } from '../links.js'
import type { AbortOptions, ComponentLogger, PeerId } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export { RpcBusyError, RpcChannelClosedError, RpcRemoteError, RpcTimeoutError } from './errors.js'
export { RpcFrame } from './pb/rpc.js'

export interface RpcHandler {
  (body: Uint8Array, context: { peer: PeerId, signal: AbortSignal }): Promise<Uint8Array>
}

export interface RpcInit {
  /** The protocol id the channel runs on. */
  protocol: string
  /** Default request timeout, and the most a requester's deadline can ask. @default 10000 */
  timeoutMs?: number
  /** Larger frames close the channel they arrive on (only that one). @default 65536 */
  maxFrameBytes?: number
  /** Requests running at once per channel on the responder. @default 256 */
  maxInFlight?: number
  /** Testbeds only: emulated links to peers (see `../links.ts`). */
  shaper?: LinkShaper
}

export interface RpcComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

export interface Rpc {
  readonly protocol: string
  /** Answers requests from peers. */
  setHandler(handler: RpcHandler): void
  /**
   * Sends `body` to `peer` over the shared channel and waits for the answer. Throws
   * `RpcTimeoutError`, `RpcRemoteError`, `RpcBusyError` or `RpcChannelClosedError`.
   */
  request(peer: PeerId, body: Uint8Array, options?: AbortOptions & { timeoutMs?: number }): Promise<Uint8Array>
}

export function rpc (init: RpcInit): (components: RpcComponents) => Rpc {
  return (components) => new RpcClass(components, init)
}
