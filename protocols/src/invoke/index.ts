/**
 * @packageDocumentation
 *
 * Remote invocation, `/faasmesh/invoke/1.0.0`: one `InvokeRequest` (CID, input, deadline, the
 * winning bid's reservation) -> one `InvokeResponse` with a status enum, output, duration, fuel
 * and cold flag, on the multiplexed channel (`../rpc`). Mechanism only: the daemon runs the
 * function through `setHandler` and turns statuses back into its named errors. Spec:
 * docs/protocols.md.
 */
import { PROTOCOL_PREFIX } from '../constants.js'
import { TypedRpc, type TypedHandler } from '../rpc/typed.js'
import { InvokeRequest, InvokeResponse } from './pb/invoke.js'
import type { LinkShaper } from '../links.js'
import type { RpcComponents } from '../rpc/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

export { InvokeRequest, InvokeResponse } from './pb/invoke.js'

export const INVOKE_PROTOCOL = `${PROTOCOL_PREFIX}/invoke/1.0.0`
/** Protobuf framing around the input or output bytes. */
const FRAME_OVERHEAD_BYTES = 256

export interface InvokeInit {
  /** Largest input or output carried; frames above it are refused. @default 1048576 */
  maxPayloadBytes?: number
  /** Longest a remote invocation may take, and the default wait. @default 60000 */
  timeoutMs?: number
  /** Testbeds only: emulated links to peers. */
  shaper?: LinkShaper
}

export type InvokeHandler = TypedHandler<InvokeRequest, InvokeResponse>

export interface Invoke {
  readonly protocol: string
  invoke(peer: PeerId, request: InvokeRequest, options?: AbortOptions & { timeoutMs?: number }): Promise<InvokeResponse>
  setHandler(handler: InvokeHandler): void
}

class InvokeService extends TypedRpc<InvokeRequest, InvokeResponse> implements Invoke {
  readonly [Symbol.toStringTag] = 'faasmesh:invoke'

  constructor (components: RpcComponents, init: InvokeInit) {
    const maxPayloadBytes = init.maxPayloadBytes ?? 1 << 20
    super(components, { protocol: INVOKE_PROTOCOL, maxFrameBytes: maxPayloadBytes + FRAME_OVERHEAD_BYTES, timeoutMs: init.timeoutMs ?? 60_000, shaper: init.shaper }, InvokeRequest, InvokeResponse)
  }

  async invoke (peer: PeerId, request: InvokeRequest, options: AbortOptions & { timeoutMs?: number } = {}): Promise<InvokeResponse> {
    return this.send(peer, request, options)
  }
}

export function invokeProtocol (init: InvokeInit = {}): (components: RpcComponents) => Invoke {
  return (components) => new InvokeService(components, init)
}
