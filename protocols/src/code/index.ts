/**
 * @packageDocumentation
 *
 * Code transfer, `/faasmesh/code/1.0.0`: ask a peer for a module by CID, get its bytes with a
 * status, verified against the CID's sha2-256 before they are returned. The daemon answers other
 * peers through `setLookup`. Frames are size-capped; one exchange per stream. Spec:
 * docs/protocols.md.
 *
 * @example
 * ```ts
 * node.services.code.setLookup(async (cid) => store.has(cid) ? store.getOriginal(cid) : undefined)
 * const bytes = await node.services.code.fetch(provider, cid, { signal })
 * ```
 */
import { CodeTransfer as CodeTransferClass } from './code-transfer.js'
import type { LinkShaper } from '../links.js'
import type { TrafficMeter } from '../traffic.js'
import type { PeerLimitsInit } from '../limits/index.js'
import type { AbortOptions, ComponentLogger, PeerId } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export { CODE_PROTOCOL } from './constants.js'
export { CodeBusyError, CodeIntegrityError, CodeNotFoundError, CodeTransferError } from './errors.js'
export { CodeRequest, CodeResponse } from './pb/code.js'

/** Returns the bytes of a module this node serves, or undefined. */
export interface CodeLookup {
  (cid: string, options: AbortOptions): Promise<Uint8Array | undefined>
}

export interface CodeTransferInit {
  /** A whole exchange, either side. @default 10000 */
  timeoutMs?: number
  /** Larger modules are neither sent nor accepted. @default 4194304 */
  maxModuleBytes?: number
  /** Testbeds only: emulated links to peers (see `../links.ts`). */
  shaper?: LinkShaper
  /** Told the bytes of every frame sent and received, as `code`, both sides (see `../traffic.ts`). @default none */
  traffic?: TrafficMeter
  /**
   * Per remote peer buckets (`../limits`): requests, and bytes of the modules served. A request
   * beyond them is answered BUSY unread (`CodeBusyError` at the asker). @default none
   */
  limits?: PeerLimitsInit
}

export interface CodeTransferComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

export interface CodeTransfer {
  readonly protocol: string
  /**
   * The module `cid` from `peer`, verified. Throws `CodeNotFoundError`, `CodeIntegrityError`,
   * `CodeTransferError`, `CodeBusyError`, or the stream's own errors (timeout, unsupported protocol).
   */
  fetch(peer: PeerId, cid: string, options?: AbortOptions): Promise<Uint8Array>
  setLookup(lookup: CodeLookup): void
}

export function codeTransfer (init: CodeTransferInit = {}): (components: CodeTransferComponents) => CodeTransfer {
  return (components) => new CodeTransferClass(components, init)
}
