/**
 * @packageDocumentation
 *
 * In-edge state, `/faasmesh/state/1.0.0` (DESIGN.md section 10): one `StateRequest` (READ,
 * COMMIT, REPLICATE, FETCH, DELETE of a state key in one space) -> one `StateResponse` with a
 * status enum, on the multiplexed channel (`../rpc`). Mechanism only: the daemon decides who is
 * primary, what a commit does and what to keep, through `setHandler`, and turns statuses back
 * into its named errors. Semantics: DESIGN.md section 10 and daemon/src/state/state-handler.ts.
 *
 * - Frames are capped by the protocol (`MAX_STATE_FRAME_BYTES`, ./constants.ts), on every node
 *   whatever its `state.maxBytes`. A request above the cap is refused before sending
 *   (`InvalidParametersError`) and the channel is kept; an answer above it is answered TOO_LARGE.
 * - A request that does not decode (garbage, an unknown op or space, more than
 *   `MAX_STATE_WRITES` writes or `MAX_STATE_ENTRIES` entries) is answered INVALID: the handler
 *   never sees it, and the channel goes on serving.
 * - Re-sent once on a fresh channel after the channel died under it only when that cannot apply
 *   it twice: READ and FETCH (no effect), REPLICATE (a replica keeps the higher version), COMMIT
 *   and DELETE with an invocation id (a key applies an id at most once). Never one without an id.
 * - DELETE answers OK with the new version when it emptied the key, and OK with version 0 when
 *   there was nothing to delete (FUNCTION space: version 1 when the home removed something).
 */
import { InvalidParametersError } from '@libp2p/interface'
import { PROTOCOL_PREFIX } from '../constants.js'
import { describe, RpcProtocolError } from '../rpc/errors.js'
import { RpcService } from '../rpc/service.js'
import { DEFAULT_STATE_TIMEOUT_MS, MAX_STATE_APPLIED_IDS, MAX_STATE_BODY_BYTES, MAX_STATE_ENTRIES, MAX_STATE_FRAME_BYTES, MAX_STATE_MESSAGE_CHARS, MAX_STATE_WRITES } from './constants.js'
import { StateRequest, StateResponse } from './pb/state.js'
import type { LinkShaper } from '../links.js'
import type { TrafficMeter } from '../traffic.js'
import type { PeerLimitsInit } from '../limits/index.js'
import type { RpcComponents } from '../rpc/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

export { AppliedId, StateEntry, StateRecord, StateRequest, StateResponse, StateWrite } from './pb/state.js'
export * from './constants.js'

export const STATE_PROTOCOL = `${PROTOCOL_PREFIX}/state/1.0.0`

export interface StateInit {
  /**
   * Longest a request may take (the primary's read repair and replication included), and the
   * default wait. @default 10000
   */
  timeoutMs?: number
  /** Testbeds only: emulated links to peers. */
  shaper?: LinkShaper
  /** Told the bytes of every frame sent and received, as `state` (see `../traffic.ts`). @default none */
  traffic?: TrafficMeter
  /** Per remote peer request and byte buckets; beyond them BUSY (see `../limits`). @default none */
  limits?: PeerLimitsInit
}

export interface StateRequestOptions extends AbortOptions {
  /** This request's whole time, a retry included. @default the service's `timeoutMs` */
  timeoutMs?: number
  /**
   * Told the bytes that crossed the network for this request: the request's body once it was
   * sent (even when no answer came), the answer's body when it came.
   */
  onBytes?(bytes: number): void
}

/** Answers one request from a peer; a throw is answered ERROR (the requester sees `RpcRemoteError`). */
export interface StateHandler {
  (request: StateRequest, context: { peer: PeerId, signal: AbortSignal }): Promise<StateResponse>
}

export interface StateService {
  readonly protocol: string
  /**
   * Sends `request` to `peer`. Fails with the rpc's named errors (`RpcUnreachableError`: it never
   * left; `RpcTimeoutError` / `RpcChannelClosedError` with `sent`; `RpcBusyError`;
   * `RpcRemoteError`; `RpcProtocolError` for an undecodable answer), or `InvalidParametersError`
   * above the frame cap (refused before sending, the channel kept).
   */
  request(peer: PeerId, request: StateRequest, options?: StateRequestOptions): Promise<StateResponse>
  setHandler(handler: StateHandler): void
}

/** Decode caps: more writes, entries or applied ids than any legal message holds fail the decode. */
const REQUEST_LIMITS = { writes: MAX_STATE_WRITES, record: { entries: MAX_STATE_ENTRIES, applied: MAX_STATE_APPLIED_IDS } }
const RESPONSE_LIMITS = { record: { entries: MAX_STATE_ENTRIES, applied: MAX_STATE_APPLIED_IDS } }

/** Whether running `request` twice on the responder does no harm (see the package notes). */
export function isIdempotent (request: StateRequest): boolean {
  switch (request.op) {
    case StateRequest.Op.READ:
    case StateRequest.Op.FETCH:
    case StateRequest.Op.REPLICATE:
    case StateRequest.Op.RELEASE:
      return true
    case StateRequest.Op.COMMIT:
    case StateRequest.Op.DELETE:
      return request.invocationId !== ''
    default:
      return false
  }
}

/** A bodiless answer: a status and a short message. */
export function stateAnswer (status: StateResponse.Status, message = '', version = 0): StateResponse {
  return { status, version, output: new Uint8Array(0), outputKept: false, message: message.slice(0, MAX_STATE_MESSAGE_CHARS) }
}

class StateServiceClass extends RpcService implements StateService {
  readonly [Symbol.toStringTag] = 'faasmesh:state'

  constructor (components: RpcComponents, init: StateInit) {
    super(components, { protocol: STATE_PROTOCOL, maxFrameBytes: MAX_STATE_FRAME_BYTES, timeoutMs: init.timeoutMs ?? DEFAULT_STATE_TIMEOUT_MS, shaper: init.shaper, traffic: init.traffic, limits: init.limits })
  }

  setHandler (handler: StateHandler): void {
    this.rpc.setHandler(async (body, context) => {
      let request: StateRequest
      try {
        request = StateRequest.decode(body, { limits: REQUEST_LIMITS })
      } catch (err: any) {
        // a hostile or broken peer: an answer it can read, and nothing reaches the handler
        return StateResponse.encode(stateAnswer(StateResponse.Status.INVALID, `undecodable state request: ${describe(err)}`))
      }
      const response = await handler(request, context)
      if (response.message.length > MAX_STATE_MESSAGE_CHARS) response.message = response.message.slice(0, MAX_STATE_MESSAGE_CHARS)
      const encoded = StateResponse.encode(response)
      // the requester's channel would reset over it: a short answer instead
      if (encoded.byteLength > MAX_STATE_BODY_BYTES) return StateResponse.encode(stateAnswer(StateResponse.Status.TOO_LARGE, `the answer is ${encoded.byteLength} bytes; the state protocol carries at most ${MAX_STATE_BODY_BYTES}`))
      return encoded
    })
  }

  async request (peer: PeerId, request: StateRequest, options: StateRequestOptions = {}): Promise<StateResponse> {
    const body = StateRequest.encode(request)
    if (body.byteLength > MAX_STATE_BODY_BYTES) throw new InvalidParametersError(`the state request is ${body.byteLength} bytes; the state protocol carries at most ${MAX_STATE_BODY_BYTES}`)
    let answer: Uint8Array
    try {
      answer = await this.rpc.request(peer, body, { signal: options.signal, timeoutMs: options.timeoutMs, idempotent: isIdempotent(request) })
    } catch (err: any) {
      // it left (a refusal or a failure came back, or the channel died after the write)
      if (err?.sent === true || err?.name === 'RpcRemoteError' || err?.name === 'RpcBusyError') options.onBytes?.(body.byteLength)
      throw err
    }
    options.onBytes?.(body.byteLength + answer.byteLength)
    try {
      return StateResponse.decode(answer, { limits: RESPONSE_LIMITS })
    } catch (err: any) {
      throw new RpcProtocolError(`undecodable answer from ${peer.toString()} on ${STATE_PROTOCOL}: ${describe(err)}`, { cause: err })
    }
  }
}

export function stateProtocol (init: StateInit = {}): (components: RpcComponents) => StateService {
  return (components) => new StateServiceClass(components, init)
}
