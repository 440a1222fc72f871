/**
 * @packageDocumentation
 *
 * Multiplexed request/response over one long-lived stream per peer and protocol: the transport
 * under the auction and invoke protocols (issue: auction placement), where opening a stream per
 * request (2-4 ms here) would dominate a ~1 ms placement. Frames are varint length-prefixed
 * `RpcFrame`s (id, status, body, deadline), size-capped and taken off the stream as they arrive
 * (a burst is never an overflow); the responder runs requests concurrently up to a bound,
 * answers BUSY beyond it and stops reading a peer whose answers pile up.
 *
 * A request its requester gives up on (its caller's signal, or its time) after sending it is
 * cancelled on the wire with a CANCEL frame: the responder aborts that handler
 * (`RpcCancelledError`) and answers nothing. A request is re-sent on a fresh channel at most once,
 * within what is left of its time: when it never left, or when the channel died after it left and
 * the caller declared it `idempotent`. Every failure is a named error that tells whether the
 * request was sent (`RpcUnreachableError`, `sent` on `RpcTimeoutError` and
 * `RpcChannelClosedError`), so placement knows whether the peer may have run it.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({ services: { bids: rpc({ protocol: '/faasmesh/auction/1.0.0' }) } })
 * node.services.bids.setHandler(async (body, { peer, signal }) => answer(body))
 * const reply = await node.services.bids.request(peerId, body, { timeoutMs: 500, idempotent: true })
 * ```
 */
import { Rpc as RpcClass } from './rpc.js'
import type { LinkShaper } from '../links.js'
import type { TrafficMeter } from '../traffic.js'
import type { PeerLimitsInit } from '../limits/index.js'
import type { AbortOptions, ComponentLogger, PeerId } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export { RpcBusyError, RpcCancelledError, RpcChannelClosedError, RpcProtocolError, RpcRemoteError, RpcTimeoutError, RpcUnreachableError } from './errors.js'
export type { RpcSentOptions } from './errors.js'
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
  /**
   * Told the bytes of every frame this service writes and reads, both as requester and as
   * responder, under the protocol id's short name (`/faasmesh/state/1.0.0` -> `state`; see
   * `../traffic.ts`). @default none: nothing is counted
   */
  traffic?: TrafficMeter
  /**
   * Per remote peer buckets on the responder's side (`../limits`): a request beyond them is
   * answered BUSY unread. @default none: only `maxInFlight` per channel bounds a peer
   */
  limits?: PeerLimitsInit
}

export interface RpcComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

export interface RpcRequestOptions extends AbortOptions {
  /**
   * The request's whole time, from the call: opening the channel, waiting for the link, the
   * answer, and a retry. Also the deadline the responder gets. @default the service's `timeoutMs`
   */
  timeoutMs?: number
  /**
   * Running the request twice on the peer does no harm (the responder de-duplicates it, or it
   * has no effect): when the channel closes after the request was sent, it is sent once more on
   * a fresh channel. A request that never left is re-sent once either way. @default false
   */
  idempotent?: boolean
}

export interface Rpc {
  readonly protocol: string
  /** Answers requests from peers. */
  setHandler(handler: RpcHandler): void
  /**
   * Sends `body` to `peer` over the shared channel and waits for the answer. Throws (by name)
   * `RpcUnreachableError` (never sent: no channel could be opened), `RpcTimeoutError` and
   * `RpcChannelClosedError` (with `sent`: whether the peer may have seen it), `RpcBusyError`
   * (refused unrun), `RpcRemoteError`, `InvalidParametersError` (above the frame cap, refused
   * before sending), or the caller's abort reason. No libp2p error escapes raw.
   */
  request(peer: PeerId, body: Uint8Array, options?: RpcRequestOptions): Promise<Uint8Array>
}

export function rpc (init: RpcInit): (components: RpcComponents) => Rpc {
  return (components) => new RpcClass(components, init)
}
