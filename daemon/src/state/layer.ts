import { UnsupportedStateModelError } from '../errors.js'
import { InEdgeState } from './in-edge.js'
import { ExternalState } from './external.js'
import { InFunctionState } from './in-function.js'
import { LocalStateStore } from './local-store.js'
import { stateMetrics } from './metrics.js'
import { Transactions } from './transactions.js'
import type { StateBackend, StateModel, StateView } from './backend.js'
import type { HomeDirectory, StateLayerComponents, StateLayerInit, StateLayer as StateLayerInterface } from './index.js'
import type { AbortOptions } from '@libp2p/interface'

/** The four models, their transactions and the state protocol's service on one node. */
export class StateLayer implements StateLayerInterface {
  readonly defaultModel: StateModel
  readonly transactions: Transactions
  readonly homes: HomeDirectory
  private readonly inEdge: InEdgeState
  private readonly inFunction: InFunctionState
  private readonly functionStore: LocalStateStore
  private readonly external?: ExternalState
  private readonly backends: Partial<Record<StateModel, StateBackend>>

  constructor (components: StateLayerComponents, init: StateLayerInit) {
    this.defaultModel = init.defaultModel
    const dir = (name: string): string | undefined => init.dataDir == null ? undefined : `${init.dataDir}/state/${name}`
    const fsync = init.fsync ?? false
    this.inEdge = new InEdgeState(components, { replicas: init.replicas, maxBytes: init.maxBytes, dataDir: init.dataDir, aloneAfterMs: init.aloneAfterMs, fsync, maxLeaseMs: init.leaseMs })
    this.homes = this.inEdge.homes
    this.functionStore = new LocalStateStore({ maxBytes: init.maxBytes, dir: dir('in-function'), fsync })
    this.inFunction = new InFunctionState({ self: components.peerId.toString(), store: this.functionStore, homes: this.homes, remote: this.inEdge })
    // what a peer's GET or DELETE of in-function state asks of this node, as its home: its own copy only
    this.inEdge.setFunctionSpace({
      view: async (key) => this.inFunction.local(key),
      remove: async (key) => this.inFunction.empty(key)
    })
    if (init.externalUrl != null && init.externalUrl !== '') {
      this.external = new ExternalState({ logger: components.logger }, { url: init.externalUrl, maxBytes: init.maxBytes })
    }
    this.backends = { 'in-function': this.inFunction, 'in-edge': this.inEdge, ...(this.external != null ? { external: this.external } : {}) }
    this.transactions = new Transactions({
      backends: this.backends,
      metrics: components.registry != null ? stateMetrics(components.registry) : undefined
    }, { maxBytes: init.maxBytes, maxConflictRetries: init.maxConflictRetries, leaseMs: init.leaseMs })
  }

  async start (): Promise<void> {
    await this.functionStore.start()
    await this.inEdge.start()
    await this.external?.start()
  }

  async stop (): Promise<void> {
    await this.inEdge.stop()
    await this.external?.stop()
    await this.functionStore.stop()
  }

  offers (model: StateModel): boolean {
    return this.transactions.offers(model)
  }

  async view (model: StateModel, stateKey: string, options: AbortOptions = {}): Promise<StateView | undefined> {
    return this.backend(model).view(stateKey, options)
  }

  async remove (model: StateModel, stateKey: string, options: AbortOptions = {}): Promise<boolean> {
    return this.backend(model).remove(stateKey, options)
  }

  private backend (model: StateModel): StateBackend {
    const backend = this.backends[model]
    if (backend == null) throw new UnsupportedStateModelError(`this node offers no ${model} state${model === 'external' ? ' (state.externalUrl is not set)' : ''}`)
    return backend
  }
}
