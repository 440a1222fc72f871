/**
 * What the resolver and the code protocol see: functions and chains as one content-addressed
 * store, told apart by their CID's codec (raw: a module, json: a chain spec). A name is either
 * kind; both travel the same way, named by a publisher's signed record in the DHT and fetched
 * from a provider, verified against the CID (DESIGN.md sections 2 and 11).
 */
import { TypedEventEmitter } from 'main-event'
import { FunctionNotFoundError } from '../errors.js'
import { isChainCid } from './spec.js'
import type { ChainStore } from './store.js'
import type { FunctionBinding, FunctionStore, FunctionStoreEvents } from '../store/index.js'
import type { AbortOptions } from '@libp2p/interface'

/** The first bytes of every Wasm module. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]

export type ArtifactSource = Pick<FunctionStore, 'resolve' | 'touch' | 'has' | 'putCached' | 'bindings' | 'getOriginal' | 'addEventListener' | 'removeEventListener'> & {
  /** Every CID held, functions and chains. */
  heldCids(): Promise<string[]>
}

export class ArtifactStore extends TypedEventEmitter<FunctionStoreEvents> implements ArtifactSource {
  constructor (private readonly functions: FunctionStore, private readonly chains: ChainStore) {
    super()
    // the resolver follows both kinds through one pair of events
    functions.addEventListener('function:deployed', (evt) => { this.safeDispatchEvent('function:deployed', { detail: evt.detail }) })
    functions.addEventListener('function:cached', (evt) => { this.safeDispatchEvent('function:cached', { detail: evt.detail }) })
    functions.addEventListener('function:removed', (evt) => { this.safeDispatchEvent('function:removed', { detail: evt.detail }) })
    chains.addEventListener('chain:deployed', (evt) => { this.safeDispatchEvent('function:deployed', { detail: evt.detail }) })
    chains.addEventListener('chain:cached', (evt) => { this.safeDispatchEvent('function:cached', { detail: evt.detail }) })
  }

  /** A name bound to both kinds here resolves to the one deployed last (it is what the DHT record names too). */
  async resolve (nameOrCid: string): Promise<string> {
    if (isChainCid(nameOrCid)) return this.chains.resolve(nameOrCid)
    const fn = this.functions.bindings().find((b) => b.name === nameOrCid)
    const chain = this.chains.bindings().find((b) => b.name === nameOrCid)
    if (fn != null && chain != null) return fn.deployedAt > chain.deployedAt ? fn.cid : chain.cid
    if (chain != null) return chain.cid
    try {
      return await this.functions.resolve(nameOrCid)
    } catch (err: any) {
      if (err?.name === FunctionNotFoundError.name) throw new FunctionNotFoundError(`no function or chain named or with CID "${nameOrCid.slice(0, 100)}"`)
      throw err
    }
  }

  touch (cid: string): void {
    if (!isChainCid(cid)) this.functions.touch(cid)
  }

  has (cid: string): boolean {
    return isChainCid(cid) ? this.chains.has(cid) : this.functions.has(cid)
  }

  async putCached (bytes: Uint8Array, options: AbortOptions = {}): Promise<string> {
    return isWasm(bytes) ? this.functions.putCached(bytes, options) : this.chains.putCached(bytes)
  }

  bindings (): FunctionBinding[] {
    return [...this.functions.bindings(), ...this.chains.bindings()]
  }

  async getOriginal (cid: string): Promise<Uint8Array | undefined> {
    return isChainCid(cid) ? this.chains.getOriginal(cid) : this.functions.getOriginal(cid)
  }

  async heldCids (): Promise<string[]> {
    const [functions, chains] = await Promise.all([this.functions.list(), this.chains.list()])
    return [...functions.map((f) => f.cid), ...chains.map((c) => c.cid)]
  }
}

function isWasm (bytes: Uint8Array): boolean {
  return WASM_MAGIC.every((b, i) => bytes[i] === b)
}
