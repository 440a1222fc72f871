import { lpStream } from '@libp2p/utils'
import {
  DEFAULT_NAMES_TIMEOUT_MS, FUNCTION_NAME_PATTERN, MAX_NAME_INBOUND_STREAMS, MAX_NAME_REQUEST_BYTES, MAX_NAME_RESPONSE_BYTES, MAX_PUBLISHER_CHARS,
  MAX_RECORD_BYTES, NAMES_PROTOCOL, NAMES_PROTOCOL_NAME
} from './constants.js'
import { NameExchangeBusyError, NameExchangeError } from './errors.js'
import { NameRequest, NameResponse } from './pb/name-exchange.js'
import { NameRecord } from './pb/name-record.js'
import { nameKey, verifyNameRecord } from './record.js'
import { traverse, type LinkShaper } from '../links.js'
import { framedBytes, type TrafficMeter } from '../traffic.js'
import { timeoutSignal } from '../timeout-signal.js'
import { peerLimiter, type PeerLimits } from '../limits/index.js'
import type { NameExchangeComponents, NameExchangeHandler, NameExchangeInit, NameExchange as NameExchangeInterface, SignedNameRecord } from './index.js'
import type { AbortOptions, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

const EMPTY = new Uint8Array(0)
const BUSY = NameResponse.encode({ status: NameResponse.Status.BUSY, record: EMPTY })

/**
 * `/faasmesh/names/1.0.0`: one `NameRequest` -> one `NameResponse` per stream. A QUERY asks a
 * peer for the record it holds for `publisher/name` (its own binding when it is the publisher);
 * an ANNOUNCE hands a peer the sender's own fresh record. Every record crossing the wire is
 * verified against its key on arrival, both ways; what to serve and what to keep is the
 * daemon's (`setHandler`).
 */
export class NameExchange implements NameExchangeInterface, Startable {
  readonly protocol = NAMES_PROTOCOL
  private readonly components: NameExchangeComponents
  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly shaper?: LinkShaper
  private readonly traffic?: TrafficMeter
  private readonly limiter?: PeerLimits
  private handler?: NameExchangeHandler
  private started = false

  constructor (components: NameExchangeComponents, init: NameExchangeInit) {
    this.components = components
    this.log = components.logger.forComponent('faasmesh:names')
    this.timeoutMs = init.timeoutMs ?? DEFAULT_NAMES_TIMEOUT_MS
    this.shaper = init.shaper
    this.traffic = init.traffic
    if (init.limits != null) this.limiter = peerLimiter(NAMES_PROTOCOL_NAME, init.limits)
  }

  readonly [Symbol.toStringTag] = 'faasmesh:names'

  setHandler (handler: NameExchangeHandler): void {
    this.handler = handler
  }

  async start (): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(this.protocol, async (stream, connection) => {
      await this.serve(stream, connection)
    }, { maxInboundStreams: MAX_NAME_INBOUND_STREAMS })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    await this.components.registrar.unhandle(this.protocol)
    this.started = false
  }

  async query (peer: PeerId, publisher: string, name: string, options: AbortOptions = {}): Promise<SignedNameRecord | undefined> {
    const response = await this.exchange(peer, { kind: NameRequest.Kind.QUERY, publisher, name, record: EMPTY }, options)
    if (response.status === NameResponse.Status.NOT_FOUND) return undefined
    if (response.status !== NameResponse.Status.OK) throw new NameExchangeError(`${peer.toString()} answered the query ${response.status}`)
    // a peer answers for a key, never chooses it: the record must be the one asked for
    const record = await verifyNameRecord(nameKey(publisher, name), response.record)
    return { ...record, bytes: response.record }
  }

  async announce (peer: PeerId, record: Uint8Array, options: AbortOptions = {}): Promise<void> {
    const response = await this.exchange(peer, { kind: NameRequest.Kind.ANNOUNCE, publisher: '', name: '', record: record as Uint8Array<ArrayBuffer> }, options)
    if (response.status !== NameResponse.Status.OK) throw new NameExchangeError(`${peer.toString()} answered the announcement ${response.status}`)
  }

  private async exchange (peer: PeerId, request: NameRequest, options: AbortOptions): Promise<NameResponse> {
    const signal = options.signal == null ? AbortSignal.timeout(this.timeoutMs) : AbortSignal.any([options.signal, timeoutSignal(this.timeoutMs)])
    const bytes = NameRequest.encode(request)
    await traverse(this.shaper, peer, bytes.byteLength, signal)
    const stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal })
    let response: NameResponse
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_NAME_RESPONSE_BYTES })
      await lp.write(bytes, { signal })
      this.count('out', bytes.byteLength)
      const answer = await lp.read({ signal })
      this.count('in', answer.byteLength)
      response = decodeResponse(answer.subarray())
      await stream.close({ signal })
    } catch (err: any) {
      stream.abort(err)
      if (err?.name === 'InvalidDataLengthError') throw new NameExchangeError(`${peer.toString()} sent more than ${MAX_NAME_RESPONSE_BYTES} bytes`)
      throw err
    }
    if (response.status === NameResponse.Status.BUSY) throw new NameExchangeBusyError(`${peer.toString()} refused: this node asked more of it than its share`)
    return response
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const lp = lpStream(stream, { maxDataLength: MAX_NAME_REQUEST_BYTES })
    // over its share (`../limits`): refused before its request is even read
    if (this.limiter?.admit(connection.remotePeer, 0) === false) {
      await lp.write(BUSY, { signal })
      this.count('out', BUSY.byteLength)
      await stream.close({ signal })
      return
    }
    const received = await lp.read({ signal })
    this.count('in', received.byteLength)
    const response = await this.answer(received.subarray(), connection.remotePeer, signal)
    const answer = NameResponse.encode(response)
    await traverse(this.shaper, connection.remotePeer, answer.byteLength, signal)
    this.limiter?.charge(connection.remotePeer, received.byteLength + answer.byteLength)
    await lp.write(answer, { signal })
    this.count('out', answer.byteLength)
    await stream.close({ signal })
  }

  /** Never throws: garbage, a forged record or a failing handler each get a status. */
  private async answer (bytes: Uint8Array, from: PeerId, signal: AbortSignal): Promise<NameResponse> {
    let request: NameRequest
    try {
      request = NameRequest.decode(bytes)
    } catch {
      return invalid()
    }
    try {
      if (request.kind === NameRequest.Kind.QUERY) {
        const publisher = request.publisher === '' ? this.components.peerId.toString() : request.publisher
        if (publisher.length > MAX_PUBLISHER_CHARS || !FUNCTION_NAME_PATTERN.test(request.name)) return invalid()
        const record = await this.handler?.lookup(publisher, request.name, { signal })
        if (record == null) return { status: NameResponse.Status.NOT_FOUND, record: EMPTY }
        return { status: NameResponse.Status.OK, record: record as Uint8Array<ArrayBuffer> }
      }
      if (request.kind === NameRequest.Kind.ANNOUNCE) {
        const record = await this.announced(request.record, from)
        if (record == null) return invalid()
        this.handler?.announced(record)
        return { status: NameResponse.Status.OK, record: EMPTY }
      }
      return invalid()
    } catch (err) {
      this.log('request from %p failed - %e', from, err)
      return { status: NameResponse.Status.ERROR, record: EMPTY }
    }
  }

  /** The announced record, verified as `from`'s own (nobody hands out another publisher's records), or undefined. */
  private async announced (bytes: Uint8Array, from: PeerId): Promise<SignedNameRecord | undefined> {
    if (bytes.byteLength === 0 || bytes.byteLength > MAX_RECORD_BYTES) return undefined
    try {
      const { name } = NameRecord.decode(bytes)
      if (!FUNCTION_NAME_PATTERN.test(name)) return undefined
      return { ...await verifyNameRecord(nameKey(from.toString(), name), bytes), bytes }
    } catch (err: any) {
      this.log('refused a record from %p: %s', from, err?.message ?? err)
      return undefined
    }
  }

  /** Counts one frame of `payloadBytes` (plus its length prefix) under `names`, when there is a meter. */
  private count (direction: 'in' | 'out', payloadBytes: number): void {
    this.traffic?.add(NAMES_PROTOCOL_NAME, direction, framedBytes(payloadBytes))
  }
}

function invalid (): NameResponse {
  return { status: NameResponse.Status.INVALID, record: EMPTY }
}

function decodeResponse (bytes: Uint8Array): NameResponse {
  try {
    return NameResponse.decode(bytes)
  } catch (err: any) {
    throw new NameExchangeError(`undecodable answer: ${String(err?.message ?? err).slice(0, 100)}`)
  }
}
