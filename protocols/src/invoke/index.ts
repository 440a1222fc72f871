/**
 * @packageDocumentation
 *
 * Remote invocation, `/faasmesh/invoke/1.0.0`: one `InvokeRequest` (CID, input, deadline, the
 * winning bid's reservation, an invocation id) -> one `InvokeResponse` with a status enum,
 * output, duration, fuel and cold flag, on the multiplexed channel (`../rpc`). Mechanism only:
 * the daemon runs the function through `setHandler` and turns statuses back into its named
 * errors. Spec: docs/protocols.md.
 *
 * - A request with an `invocationId` is idempotent (the responder runs one id at most once and
 *   answers a repeat with the run's outcome, or CONFLICT when the id comes with another function
 *   or input): it is re-sent once on a fresh channel if the channel dies after sending it. One
 *   without an id is never re-sent once it may have reached the peer.
 * - The frame cap is the protocol's, `MAX_INVOKE_PAYLOAD_BYTES` plus framing, on every node
 *   whatever its executor limits, so two nodes never reset each other's channel over a payload
 *   one of them accepts. Larger inputs or outputs never travel here: the daemon runs such calls
 *   locally. A request above the cap is refused before sending (`InvalidParametersError`).
 * - A caller that gives up (its signal, or its time) cancels the run on the peer (rpc CANCEL):
 *   the handler's signal aborts with `RpcCancelledError`.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { PROTOCOL_PREFIX } from '../constants.js'
import { TypedRpc, type TypedHandler } from '../rpc/typed.js'
import { InvokeRequest, InvokeResponse } from './pb/invoke.js'
import type { LinkShaper } from '../links.js'
import type { TrafficMeter } from '../traffic.js'
import type { PeerLimitsInit } from '../limits/index.js'
import type { RpcComponents } from '../rpc/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

export { InvokeRequest, InvokeResponse, InvokeState, Timings } from './pb/invoke.js'

export const INVOKE_PROTOCOL = `${PROTOCOL_PREFIX}/invoke/1.0.0`
/**
 * The largest input or output this protocol carries. Fixed by the protocol, not by a node's
 * config: a cap derived from local limits made two nodes with different limits reset each
 * other's channel. 4 MiB keeps a channel's buffers (two frames each way) in the tens of MiB.
 */
export const MAX_INVOKE_PAYLOAD_BYTES = 4 * 1024 * 1024
/** An answer's `message` is cut to this many characters: at most 3 KiB of UTF-8. */
export const MAX_INVOKE_MESSAGE_CHARS = 1024
/**
 * The largest in-client state an invocation carries each way: what a 64 KiB base64 header
 * holds (DESIGN.md section 10). Fixed by the protocol, like the payload cap.
 */
export const MAX_INVOKE_CLIENT_STATE_BYTES = 48 * 1024
/**
 * An answer carries at most this many log lines of the function (the decoder refuses more), each
 * cut to MAX_INVOKE_LOG_LINE_CHARS characters: 64 lines of at most 3 KiB of UTF-8 is 192 KiB.
 */
export const MAX_INVOKE_LOG_LINES = 64
export const MAX_INVOKE_LOG_LINE_CHARS = 1024
/** Log lines at their largest: 3 bytes of UTF-8 per character, and a tag and length per line. */
const MAX_INVOKE_LOG_BYTES = MAX_INVOKE_LOG_LINES * (MAX_INVOKE_LOG_LINE_CHARS * 3 + 4)
/**
 * Everything around the payload: the rpc frame (id, status, deadline, lengths: < 40 B), the
 * CID (~40 B), a reservation (16 B), an invocation id (<= 64 B), a state key (<= 128 B) and
 * in-client state (<= MAX_INVOKE_CLIENT_STATE_BYTES), and on answers the executing node's
 * message (<= MAX_INVOKE_MESSAGE_CHARS, <= 3 KiB) and the function's logs (<= MAX_INVOKE_LOG_BYTES).
 */
const FRAME_OVERHEAD_BYTES = 4096 + MAX_INVOKE_CLIENT_STATE_BYTES + MAX_INVOKE_LOG_BYTES
/** The invoke channel's frame cap, the same on both sides of every channel. */
export const MAX_INVOKE_FRAME_BYTES = MAX_INVOKE_PAYLOAD_BYTES + FRAME_OVERHEAD_BYTES

export interface InvokeInit {
  /** Longest a remote invocation may take, and the default wait. @default 60000 */
  timeoutMs?: number
  /** Testbeds only: emulated links to peers. */
  shaper?: LinkShaper
  /** Told the bytes of every frame sent and received, as `invoke` (see `../traffic.ts`). @default none */
  traffic?: TrafficMeter
  /** Per remote peer request and byte buckets; beyond them BUSY (see `../limits`). @default none */
  limits?: PeerLimitsInit
}

export type InvokeHandler = TypedHandler<InvokeRequest, InvokeResponse>

export interface Invoke {
  readonly protocol: string
  /**
   * Runs `request` on `peer`. Fails with the rpc's named errors (`RpcUnreachableError`: it never
   * left; `RpcTimeoutError` / `RpcChannelClosedError` with `sent`; `RpcBusyError`;
   * `RpcRemoteError`; `RpcProtocolError`), or `InvalidParametersError` above the frame cap.
   */
  invoke(peer: PeerId, request: InvokeRequest, options?: AbortOptions & { timeoutMs?: number }): Promise<InvokeResponse>
  setHandler(handler: InvokeHandler): void
}

class InvokeService extends TypedRpc<InvokeRequest, InvokeResponse> implements Invoke {
  readonly [Symbol.toStringTag] = 'faasmesh:invoke'

  constructor (components: RpcComponents, init: InvokeInit) {
    super(components, { protocol: INVOKE_PROTOCOL, maxFrameBytes: MAX_INVOKE_FRAME_BYTES, timeoutMs: init.timeoutMs ?? 60_000, shaper: init.shaper, traffic: init.traffic, limits: init.limits }, InvokeRequest, InvokeResponse)
  }

  /** Answers above the protocol's caps never travel: TOO_LARGE instead, and a shortened message and logs. */
  override setHandler (handler: InvokeHandler): void {
    super.setHandler(async (request, context) => {
      const response = boundLogs(await handler(request, context))
      if (response.clientState.byteLength > MAX_INVOKE_CLIENT_STATE_BYTES) {
        return { ...response, status: InvokeResponse.Status.STATE_TOO_LARGE, output: new Uint8Array(0), clientState: new Uint8Array(0), message: `the client state is ${response.clientState.byteLength} bytes; the invoke protocol carries at most ${MAX_INVOKE_CLIENT_STATE_BYTES}` }
      }
      if (response.output.byteLength > MAX_INVOKE_PAYLOAD_BYTES) {
        return { ...response, status: InvokeResponse.Status.TOO_LARGE, output: new Uint8Array(0), message: `the output is ${response.output.byteLength} bytes; the invoke protocol carries at most ${MAX_INVOKE_PAYLOAD_BYTES}` }
      }
      if (response.message.length > MAX_INVOKE_MESSAGE_CHARS) return { ...response, message: response.message.slice(0, MAX_INVOKE_MESSAGE_CHARS) }
      return response
    })
  }

  async invoke (peer: PeerId, request: InvokeRequest, options: AbortOptions & { timeoutMs?: number } = {}): Promise<InvokeResponse> {
    if (request.input.byteLength > MAX_INVOKE_PAYLOAD_BYTES) throw new InvalidParametersError(`the input is ${request.input.byteLength} bytes; the invoke protocol carries at most ${MAX_INVOKE_PAYLOAD_BYTES}`)
    if ((request.state?.clientState.byteLength ?? 0) > MAX_INVOKE_CLIENT_STATE_BYTES) throw new InvalidParametersError(`the client state is ${request.state?.clientState.byteLength} bytes; the invoke protocol carries at most ${MAX_INVOKE_CLIENT_STATE_BYTES}`)
    // the responder de-duplicates by invocation id: only then may a request reach it twice
    return this.send(peer, request, { ...options, idempotent: request.invocationId !== '' })
  }
}

/**
 * Log lines within the protocol's caps (the decoder refuses more lines, the frame cap longer
 * ones): for an answer about to be sent, and for what a caller keeps of a peer's answer.
 */
export function boundLogLines (logs: string[]): string[] {
  if (logs.length <= MAX_INVOKE_LOG_LINES && logs.every((line) => line.length <= MAX_INVOKE_LOG_LINE_CHARS)) return logs
  return logs.slice(0, MAX_INVOKE_LOG_LINES).map((line) => line.slice(0, MAX_INVOKE_LOG_LINE_CHARS))
}

function boundLogs (response: InvokeResponse): InvokeResponse {
  const logs = boundLogLines(response.logs ?? [])
  return logs === response.logs ? response : { ...response, logs }
}

export function invokeProtocol (init: InvokeInit = {}): (components: RpcComponents) => Invoke {
  return (components) => new InvokeService(components, init)
}
