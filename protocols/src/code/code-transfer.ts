import { lpStream } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'uint8arrays/equals'
import {
  CODE_PROTOCOL, DEFAULT_MAX_MODULE_BYTES, DEFAULT_TIMEOUT_MS, MAX_INBOUND_STREAMS, MAX_REQUEST_BYTES, PROTOCOL_NAME, RESPONSE_OVERHEAD_BYTES
} from './constants.js'
import { CodeBusyError, CodeIntegrityError, CodeNotFoundError, CodeTransferError } from './errors.js'
import { CodeRequest, CodeResponse } from './pb/code.js'
import { traverse, type LinkShaper } from '../links.js'
import { framedBytes, type TrafficMeter } from '../traffic.js'
import type { CodeLookup, CodeTransferComponents, CodeTransferInit, CodeTransfer as CodeTransferInterface } from './index.js'
import type { AbortOptions, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import { timeoutSignal } from '../timeout-signal.js'
import { peerLimiter, type PeerLimits } from '../limits/index.js'

const BUSY = CodeResponse.encode({ status: CodeResponse.Status.BUSY, data: new Uint8Array(0) })

/**
 * `/faasmesh/code/1.0.0`: one `CodeRequest` (a CID) -> one `CodeResponse` (status + bytes) per
 * stream. The server side answers from a lookup the daemon registers; the client side verifies
 * the bytes against the CID before handing them to anyone.
 */
export class CodeTransfer implements CodeTransferInterface, Startable {
  readonly protocol = CODE_PROTOCOL
  private readonly components: CodeTransferComponents
  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly maxModuleBytes: number
  private readonly shaper?: LinkShaper
  private readonly traffic?: TrafficMeter
  private readonly limiter?: PeerLimits
  private lookup?: CodeLookup
  private started = false

  constructor (components: CodeTransferComponents, init: CodeTransferInit) {
    this.components = components
    this.log = components.logger.forComponent('faasmesh:code')
    this.timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.maxModuleBytes = init.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES
    this.shaper = init.shaper
    this.traffic = init.traffic
    if (init.limits != null) this.limiter = peerLimiter(PROTOCOL_NAME, init.limits)
  }

  readonly [Symbol.toStringTag] = 'faasmesh:code'

  setLookup (lookup: CodeLookup): void {
    this.lookup = lookup
  }

  async start (): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(this.protocol, async (stream, connection) => {
      await this.serve(stream, connection)
    }, { maxInboundStreams: MAX_INBOUND_STREAMS })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    await this.components.registrar.unhandle(this.protocol)
    this.started = false
  }

  async fetch (peer: PeerId, cid: string, options: AbortOptions = {}): Promise<Uint8Array> {
    const wanted = CID.parse(cid)
    const signal = options.signal == null ? AbortSignal.timeout(this.timeoutMs) : AbortSignal.any([options.signal, timeoutSignal(this.timeoutMs)])
    await traverse(this.shaper, peer, wanted.bytes.byteLength, signal)
    const stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal })
    let response: CodeResponse
    try {
      const lp = lpStream(stream, { maxDataLength: this.maxModuleBytes + RESPONSE_OVERHEAD_BYTES, maxBufferSize: this.maxModuleBytes + RESPONSE_OVERHEAD_BYTES + 16 })
      const request = CodeRequest.encode({ cid: wanted.bytes as Uint8Array<ArrayBuffer> })
      await lp.write(request, { signal })
      this.count('out', request.byteLength)
      const answer = await lp.read({ signal })
      this.count('in', answer.byteLength)
      response = CodeResponse.decode(answer)
      // the answer is whole: waiting for the close to be acknowledged would add a round trip to every first call
      stream.close({ signal }).catch((err) => { stream.abort(err) })
    } catch (err: any) {
      stream.abort(err)
      // the length prefix or the buffered bytes gave it away: refuse without reading the rest
      if (err?.name === 'InvalidDataLengthError' || err?.name === 'StreamBufferError') throw new CodeTransferError(`${peer.toString()} sent more than ${this.maxModuleBytes} bytes`)
      throw err
    }
    if (response.status === CodeResponse.Status.BUSY) throw new CodeBusyError(`${peer.toString()} refused: this node asked more of it than its share`)
    if (response.status === CodeResponse.Status.NOT_FOUND) throw new CodeNotFoundError(`${peer.toString()} does not have ${cid}`)
    if (response.status !== CodeResponse.Status.OK) throw new CodeTransferError(`${peer.toString()} answered ${CodeResponse.Status[response.status] ?? response.status}`)
    // integrity before anything else: these bytes are only ever used if they are the CID's
    const digest = await sha256.digest(response.data)
    if (!equals(digest.digest, wanted.multihash.digest) || wanted.multihash.code !== sha256.code) {
      throw new CodeIntegrityError(`${peer.toString()} sent ${response.data.byteLength} bytes that do not hash to ${cid}`)
    }
    return response.data
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
    // over its share (`../limits`): refused before its request is even read
    if (this.limiter?.admit(connection.remotePeer, 0) === false) {
      await lp.write(BUSY, { signal })
      this.count('out', BUSY.byteLength)
      await stream.close({ signal })
      return
    }
    const received = await lp.read({ signal })
    this.count('in', received.byteLength)
    const request = CodeRequest.decode(received)
    let response: CodeResponse
    try {
      const cid = CID.decode(request.cid).toString()
      const bytes = await this.lookup?.(cid, { signal })
      if (bytes == null) response = { status: CodeResponse.Status.NOT_FOUND, data: new Uint8Array(0) }
      else if (bytes.byteLength > this.maxModuleBytes) response = { status: CodeResponse.Status.TOO_LARGE, data: new Uint8Array(0) }
      else response = { status: CodeResponse.Status.OK, data: bytes as Uint8Array<ArrayBuffer> }
    } catch (err) {
      this.log('lookup for %p failed - %e', connection.remotePeer, err)
      response = { status: CodeResponse.Status.ERROR, data: new Uint8Array(0) }
    }
    await traverse(this.shaper, connection.remotePeer, response.data.byteLength, signal)
    const answer = CodeResponse.encode(response)
    // a module served is what costs this node: it comes out of the peer's bytes
    this.limiter?.charge(connection.remotePeer, received.byteLength + answer.byteLength)
    await lp.write(answer, { signal })
    this.count('out', answer.byteLength)
    await stream.close({ signal })
  }

  /**
   * Counts one frame of `payloadBytes` (plus its length prefix; noise and yamux below it are not
   * ours to count) under `code`, when there is a meter: nothing is computed without one.
   */
  private count (direction: 'in' | 'out', payloadBytes: number): void {
    this.traffic?.add(PROTOCOL_NAME, direction, framedBytes(payloadBytes))
  }
}
