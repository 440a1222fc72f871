/**
 * @packageDocumentation
 *
 * Signed function-name records for the DHT: `/faasmesh/fn/<publisher peer id>/<name>` holds a
 * `NameRecord` (name, CID, sequence, publisher key, signature). Register `validateNameRecord`
 * and `selectNameRecord` with kad-dht under the `faasmesh` namespace so every node refuses
 * unsigned, badly signed, malformed or misplaced records and picks the newest. The name
 * exchange, `/faasmesh/names/1.0.0`, carries the same records peer to peer: a query asks a peer
 * (the publisher first) without a DHT walk, an announcement hands a publisher's fresh record to
 * the peers it is connected to. Spec: docs/protocols.md.
 *
 * @example
 * ```ts
 * kadDHT({ validators: { faasmesh: validateNameRecord }, selectors: { faasmesh: selectNameRecord } })
 * await node.contentRouting.put(nameKey(me, 'hello'), await createNameRecord(privateKey, 'hello', cid, 1))
 * node.services.names.setHandler({ lookup: async (publisher, name) => held(publisher, name), announced: (record) => keep(record) })
 * const record = await node.services.names.query(publisher, publisher.toString(), 'hello', { signal })
 * ```
 */
import { NameExchange as NameExchangeClass } from './name-exchange.js'
import type { LinkShaper } from '../links.js'
import type { TrafficMeter } from '../traffic.js'
import type { PeerLimitsInit } from '../limits/index.js'
import type { VerifiedNameRecord } from './record.js'
import type { AbortOptions, ComponentLogger, PeerId } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export { FUNCTION_NAME_PATTERN, NAME_KEY_NAMESPACE, NAME_KEY_PREFIX, NAMES_PROTOCOL } from './constants.js'
export { NameExchangeBusyError, NameExchangeError } from './errors.js'
export { NameRequest, NameResponse } from './pb/name-exchange.js'
export { NameRecord } from './pb/name-record.js'
export {
  createNameRecord, InvalidNameRecordError, nameKey, parseNameKey, selectNameRecord, validateNameRecord, verifyNameRecord,
  type VerifiedNameRecord
} from './record.js'

/** A record that passed `verifyNameRecord`, with the bytes that were signed. */
export interface SignedNameRecord extends VerifiedNameRecord {
  bytes: Uint8Array
}

/** What the daemon serves and keeps (mechanism vs policy: the protocol only checks and moves records). */
export interface NameExchangeHandler {
  /** The signed record this node holds for `publisher/name` (its own binding when `publisher` is this node), or undefined. */
  lookup(publisher: string, name: string, options: AbortOptions): Promise<Uint8Array | undefined>
  /** A record its publisher (the sending peer) handed over, already verified. Must not throw. */
  announced(record: SignedNameRecord): void
}

export interface NameExchangeInit {
  /** A whole exchange, either side. @default 2000 */
  timeoutMs?: number
  /** Testbeds only: emulated links to peers (see `../links.ts`). */
  shaper?: LinkShaper
  /** Told the bytes of every frame sent and received, as `names`, both sides (see `../traffic.ts`). @default none */
  traffic?: TrafficMeter
  /** Per remote peer buckets (`../limits`): a request beyond them is answered BUSY unread. @default none */
  limits?: PeerLimitsInit
}

export interface NameExchangeComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

export interface NameExchange {
  readonly protocol: string
  /**
   * The record `peer` holds for `publisher/name`, verified against that key, or undefined when
   * it has none. Throws `NameExchangeError`, `NameExchangeBusyError`, `InvalidNameRecordError`,
   * or the stream's own errors (timeout, unsupported protocol, unreachable).
   */
  query(peer: PeerId, publisher: string, name: string, options?: AbortOptions): Promise<SignedNameRecord | undefined>
  /** Hands `peer` this node's own signed `record`; resolves once the peer checked and kept it. Throws like `query`. */
  announce(peer: PeerId, record: Uint8Array, options?: AbortOptions): Promise<void>
  setHandler(handler: NameExchangeHandler): void
}

export function nameExchange (init: NameExchangeInit = {}): (components: NameExchangeComponents) => NameExchange {
  return (components) => new NameExchangeClass(components, init)
}
