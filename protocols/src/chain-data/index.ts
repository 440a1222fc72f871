/**
 * @packageDocumentation
 *
 * Chain data, `/faasmesh/chain-data/1.0.0` (DESIGN.md section 11): a step's output stays on the
 * node that produced it, kept under the step's invocation id (its "ref"), and the node that runs
 * the next step fetches it from there: one `ChainDataRequest` (a ref) -> one `ChainDataResponse`
 * (a status enum and the bytes), on the multiplexed channel (`../rpc`), shaped like any other
 * traffic when a testbed emulates links. Mechanism only: the daemon decides what this node
 * serves, and for how long, through `setSource` (daemon/src/chains/outputs.ts keeps them).
 *
 * - Frames are capped by the protocol (`MAX_CHAIN_DATA_FRAME_BYTES`: one output of at most
 *   `MAX_CHAIN_DATA_BYTES` plus framing), on every node. An output above `MAX_CHAIN_DATA_BYTES`
 *   is answered TOO_LARGE, never sent.
 * - A ref must match `CHAIN_DATA_REF_PATTERN`: the requester refuses a bad one before sending
 *   (`InvalidParametersError`), the server answers INVALID to one (and to a request that does
 *   not decode) without asking its source, and the channel goes on serving.
 * - A fetch has no effect on the producer: it is re-sent once on a fresh channel when the
 *   channel died under it.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { PROTOCOL_PREFIX } from '../constants.js'
import { describe, RpcProtocolError } from '../rpc/errors.js'
import { RpcService } from '../rpc/service.js'
import { CHAIN_DATA_REF_PATTERN, DEFAULT_CHAIN_DATA_TIMEOUT_MS, MAX_CHAIN_DATA_BYTES, MAX_CHAIN_DATA_FRAME_BYTES, MAX_CHAIN_DATA_MESSAGE_CHARS } from './constants.js'
import { ChainDataNotFoundError, ChainDataTooLargeError } from './errors.js'
import { ChainDataRequest, ChainDataResponse } from './pb/chain-data.js'
import type { LinkShaper } from '../links.js'
import type { TrafficMeter } from '../traffic.js'
import type { PeerLimitsInit } from '../limits/index.js'
import type { RpcComponents } from '../rpc/index.js'
import type { AbortOptions, Logger, PeerId, Startable } from '@libp2p/interface'

export { ChainDataRequest, ChainDataResponse } from './pb/chain-data.js'
export { ChainDataNotFoundError, ChainDataTooLargeError } from './errors.js'
export * from './constants.js'

export const CHAIN_DATA_PROTOCOL = `${PROTOCOL_PREFIX}/chain-data/1.0.0`

export interface ChainDataInit {
  /** Longest a fetch may take (a retry included), and the default wait. @default 10000 */
  timeoutMs?: number
  /** Testbeds only: emulated links to peers. */
  shaper?: LinkShaper
  /** Told the bytes of every frame sent and received, as `chain-data` (see `../traffic.ts`). @default none */
  traffic?: TrafficMeter
  /** Per remote peer request and byte buckets; beyond them BUSY (see `../limits`). @default none */
  limits?: PeerLimitsInit
}

/** What the service uses: the rpc channel's components. */
export type ChainDataComponents = RpcComponents

export interface ChainDataFetchOptions extends AbortOptions {
  /** This fetch's whole time, a retry included. @default the service's `timeoutMs` */
  timeoutMs?: number
}

/**
 * The output this node holds under `ref`, or undefined when it holds none. Called only with a
 * ref that matches `CHAIN_DATA_REF_PATTERN`. A throw fails that fetch (the requester sees
 * `RpcRemoteError`).
 */
export interface ChainDataSource {
  (ref: string, context: { peer: PeerId }): Uint8Array | undefined
}

export interface ChainData extends Startable {
  readonly protocol: string
  /** What this node serves; until it is set, every ref is answered NOT_FOUND. */
  setSource(source: ChainDataSource): void
  /**
   * The output `peer` holds under `ref`. Fails with `InvalidParametersError` (a bad ref, refused
   * before sending), `ChainDataNotFoundError`, `ChainDataTooLargeError`, `RpcProtocolError` (an
   * answer that does not decode, is out of protocol, or refuses a ref as INVALID), or the rpc's
   * channel errors (`RpcUnreachableError`, `RpcTimeoutError`, `RpcChannelClosedError`,
   * `RpcBusyError`, `RpcRemoteError`) or the caller's abort reason.
   */
  fetch(peer: PeerId, ref: string, options?: ChainDataFetchOptions): Promise<Uint8Array>
}

/** A bodiless answer: a status and a short message. */
function answer (status: ChainDataResponse.Status, message: string): Uint8Array {
  return ChainDataResponse.encode({ status, data: new Uint8Array(0), message: message.slice(0, MAX_CHAIN_DATA_MESSAGE_CHARS) })
}

/** A ref for a message: hostile ones can be megabytes of anything. */
function quote (ref: string): string {
  return JSON.stringify(ref.slice(0, 80))
}

class ChainDataClass extends RpcService implements ChainData {
  readonly [Symbol.toStringTag] = 'faasmesh:chain-data'
  private readonly log: Logger
  private source?: ChainDataSource

  constructor (components: ChainDataComponents, init: ChainDataInit) {
    super(components, { protocol: CHAIN_DATA_PROTOCOL, maxFrameBytes: MAX_CHAIN_DATA_FRAME_BYTES, timeoutMs: init.timeoutMs ?? DEFAULT_CHAIN_DATA_TIMEOUT_MS, shaper: init.shaper, traffic: init.traffic, limits: init.limits })
    this.log = components.logger.forComponent('faasmesh:chain-data')
    this.rpc.setHandler(async (body, context) => this.serve(body, context.peer))
  }

  setSource (source: ChainDataSource): void {
    this.source = source
  }

  async fetch (peer: PeerId, ref: string, options: ChainDataFetchOptions = {}): Promise<Uint8Array> {
    if (!CHAIN_DATA_REF_PATTERN.test(ref)) throw new InvalidParametersError(`a chain-data ref is 1-64 characters of A-Z a-z 0-9 . _ : -, got ${quote(ref)}`)
    // a fetch has no effect on the producer: safe to send again after a lost channel
    const body = await this.rpc.request(peer, ChainDataRequest.encode({ ref }), { signal: options.signal, timeoutMs: options.timeoutMs, idempotent: true })
    let response: ChainDataResponse
    try {
      response = ChainDataResponse.decode(body)
    } catch (err: any) {
      throw new RpcProtocolError(`undecodable answer from ${peer.toString()} on ${CHAIN_DATA_PROTOCOL}: ${describe(err)}`, { cause: err })
    }
    switch (response.status) {
      case ChainDataResponse.Status.OK:
        // the frame cap leaves room for framing; the output itself may not use it
        if (response.data.byteLength > MAX_CHAIN_DATA_BYTES) throw new RpcProtocolError(`${peer.toString()} sent ${response.data.byteLength} bytes for ${quote(ref)}; the chain-data protocol carries at most ${MAX_CHAIN_DATA_BYTES}`)
        return response.data
      case ChainDataResponse.Status.NOT_FOUND:
        throw new ChainDataNotFoundError(`${peer.toString()} holds no output under ${quote(ref)}`)
      case ChainDataResponse.Status.TOO_LARGE:
        throw new ChainDataTooLargeError(`${peer.toString()} holds ${quote(ref)} but cannot send it: ${response.message}`)
      default:
        // INVALID for a ref checked here already, or a status this version does not know: the
        // peer speaks the protocol otherwise than this node
        throw new RpcProtocolError(`${peer.toString()} answered ${response.status} for ${quote(ref)} on ${CHAIN_DATA_PROTOCOL}: ${response.message}`)
    }
  }

  /** One request from `peer`: every outcome is an answer it can read; only a throwing source fails it. */
  private async serve (body: Uint8Array, peer: PeerId): Promise<Uint8Array> {
    let request: ChainDataRequest
    try {
      request = ChainDataRequest.decode(body)
    } catch (err: any) {
      this.log('undecodable request from %p: %s', peer, describe(err))
      return answer(ChainDataResponse.Status.INVALID, `undecodable chain-data request: ${describe(err)}`)
    }
    if (!CHAIN_DATA_REF_PATTERN.test(request.ref)) {
      this.log('bad ref from %p', peer)
      return answer(ChainDataResponse.Status.INVALID, `a chain-data ref is 1-64 characters of A-Z a-z 0-9 . _ : -, got ${quote(request.ref)}`)
    }
    const data = this.source?.(request.ref, { peer })
    if (data == null) return answer(ChainDataResponse.Status.NOT_FOUND, `no output under ${quote(request.ref)}`)
    // the requester's channel would reset over it: a short answer instead
    if (data.byteLength > MAX_CHAIN_DATA_BYTES) return answer(ChainDataResponse.Status.TOO_LARGE, `the output is ${data.byteLength} bytes; the chain-data protocol carries at most ${MAX_CHAIN_DATA_BYTES}`)
    // encoding copies it: where its buffer lives does not matter
    return ChainDataResponse.encode({ status: ChainDataResponse.Status.OK, data: data as Uint8Array<ArrayBuffer>, message: '' })
  }
}

export function chainData (init: ChainDataInit = {}): (components: ChainDataComponents) => ChainData {
  return (components) => new ChainDataClass(components, init)
}
