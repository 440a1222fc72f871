import { defaultLogger } from '@libp2p/logger'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { parseHostPort, type DaemonConfig } from './config/index.js'
import { InvalidConfigError } from './errors.js'
import { executor, type Executor } from './executor/index.js'
import { gateway, type Gateway } from './gateway/index.js'
import { loadOrCreateIdentity, type Identity } from './identity/index.js'
import { invoker, type Invoker } from './invoker/index.js'
import { sanitizer, type Sanitizer } from './sanitizer/index.js'
import { functionStore, type FunctionStore } from './store/index.js'
import { VERSION } from './version.js'
import type { DaemonInit, Daemon as DaemonInterface } from './index.js'
import type { ComponentLogger, Logger, PeerId } from '@libp2p/interface'

interface Parts {
  identity: Identity
  sanitizer: Sanitizer
  store: FunctionStore
  executor: Executor
  invoker: Invoker
  gateway: Gateway
}

/**
 * The node: builds its components from one config and runs them in order. Start: identity,
 * store, executor, gateway (the gateway last, so it never answers before it can serve). Stop:
 * gateway first (drains requests in flight), then executor, sanitizer and store.
 */
export class Daemon implements DaemonInterface {
  readonly config: DaemonConfig
  readonly registry = new Registry()
  private readonly logger: ComponentLogger
  private readonly log: Logger
  private parts?: Parts
  private starting?: Promise<void>
  private stopping?: Promise<void>

  constructor (init: DaemonInit) {
    this.config = init.config
    this.logger = init.logger ?? defaultLogger()
    this.log = this.logger.forComponent('faasmesh:daemon')
  }

  get peerId (): PeerId {
    return this.require().identity.peerId
  }

  get apiUrl (): string {
    return this.require().gateway.url
  }

  async start (): Promise<void> {
    this.starting ??= this.doStart()
    await this.starting
  }

  async stop (): Promise<void> {
    if (this.starting == null) return
    await this.starting.catch(() => {})
    this.stopping ??= this.doStop()
    await this.stopping
  }

  private async doStart (): Promise<void> {
    const { config, logger, registry } = this
    const api = parseHostPort(config.api.listen)
    if (api == null) throw new InvalidConfigError(`api.listen: expected host:port, got "${config.api.listen}"`)
    collectDefaultMetrics({ register: registry, prefix: 'faasmesh_' })

    const identity = await loadOrCreateIdentity(config.dataDir)
    const limits = {
      memoryPages: config.executor.memoryPages,
      timeoutMs: config.executor.timeoutMs,
      fuel: config.executor.fuel,
      maxInputBytes: config.executor.maxInputBytes,
      maxOutputBytes: config.executor.maxOutputBytes
    }
    const s = sanitizer()({ logger })
    const store = functionStore({ dataDir: config.dataDir, maxModuleBytes: config.store.maxModuleBytes, memoryPages: limits.memoryPages })({ logger, sanitizer: s })
    const exec = executor({ slots: config.executor.slots, spares: config.executor.spares, maxQueue: config.executor.maxQueue, limits })({ logger, modules: store, registry })
    const inv = invoker()({ store, executor: exec, peerId: identity.peerId })
    const gw = gateway({ host: api.host, port: api.port, maxInputBytes: limits.maxInputBytes })({
      logger,
      store,
      invoker: inv,
      registry,
      peerId: identity.peerId,
      version: VERSION,
      addrs: () => [],
      isWarm: (cid) => exec.isWarm(cid)
    })
    this.parts = { identity, sanitizer: s, store, executor: exec, invoker: inv, gateway: gw }

    await store.start()
    await exec.start()
    await gw.start()
    this.log('started %p, gateway %s', identity.peerId, gw.url)
  }

  private async doStop (): Promise<void> {
    const parts = this.parts
    if (parts == null) return
    await parts.gateway.stop()
    await parts.executor.stop()
    await parts.sanitizer.stop()
    await parts.store.stop()
    this.log('stopped')
  }

  private require (): Parts {
    if (this.parts == null) throw new Error('daemon is not started')
    return this.parts
  }
}
