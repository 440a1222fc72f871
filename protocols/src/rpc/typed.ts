import { describe, RpcProtocolError } from './errors.js'
import { RpcService } from './service.js'
import type { RpcComponents, RpcInit, RpcRequestOptions } from './index.js'
import type { PeerId } from '@libp2p/interface'

interface Codec<T> {
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

/** Answers one typed request from a peer. */
export interface TypedHandler<Req, Res> {
  (request: Req, context: { peer: PeerId, signal: AbortSignal }): Promise<Res>
}

/**
 * One protobuf request type -> one protobuf response type over the multiplexed channel: what
 * the auction and invoke protocols share. An undecodable request fails that request (the
 * requester sees RpcRemoteError), an undecodable answer fails it with RpcProtocolError; neither
 * touches the channel or the node.
 */
export class TypedRpc<Req, Res> extends RpcService {

  constructor (components: RpcComponents, init: RpcInit, private readonly requestCodec: Codec<Req>, private readonly responseCodec: Codec<Res>) {
    super(components, init)
  }

  setHandler (handler: TypedHandler<Req, Res>): void {
    this.rpc.setHandler(async (body, context) => this.responseCodec.encode(await handler(this.requestCodec.decode(body), context)))
  }

  async send (peer: PeerId, request: Req, options: RpcRequestOptions = {}): Promise<Res> {
    const answer = await this.rpc.request(peer, this.requestCodec.encode(request), options)
    try {
      return this.responseCodec.decode(answer)
    } catch (err: any) {
      // the codec's own error would say nothing a caller can branch on
      throw new RpcProtocolError(`undecodable answer from ${peer.toString()} on ${this.protocol}: ${describe(err)}`, { cause: err })
    }
  }
}
