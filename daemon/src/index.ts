/**
 * @packageDocumentation
 *
 * The faasmesh daemon's public API: build a node from a config, start it, stop it. The CLI,
 * the tests and the testbed all go through `createDaemon`.
 *
 * @example
 * ```ts
 * import './polyfills.js'
 * import { createDaemon, loadConfig } from './index.js'
 *
 * const daemon = await createDaemon({ config: loadConfig({ flags: { dataDir: '/tmp/node0' } }) })
 * await daemon.start()
 * console.log(daemon.apiUrl, daemon.peerId.toString())
 * await daemon.stop()
 * ```
 */
import { Daemon as DaemonClass } from './daemon.js'
import type { DaemonConfig } from './config/index.js'
import type { ComponentLogger, PeerId } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export { loadConfig, SETTINGS, envName, type DaemonConfig, type ConfigSources } from './config/index.js'
export * from './errors.js'
export { VERSION } from './version.js'

export interface DaemonInit {
  config: DaemonConfig
  /** @default defaultLogger() from @libp2p/logger (enable with DEBUG=faasmesh:*) */
  logger?: ComponentLogger
}

export interface Daemon {
  readonly config: DaemonConfig
  readonly registry: Registry
  /** Available once started. */
  readonly peerId: PeerId
  /** `http://host:port` of the gateway, once started. */
  readonly apiUrl: string
  /** libp2p addresses, each ending in /p2p/<peer id>, once started. */
  readonly multiaddrs: string[]
  /** Relative speed measured at start (1.0 = the reference machine). */
  readonly speed: number
  /** Risks found at start that a person should read (a key file others can read), once started. */
  readonly warnings: readonly string[]
  start(): Promise<void>
  /** Idempotent; safe to call while starting. */
  stop(): Promise<void>
}

export async function createDaemon (init: DaemonInit): Promise<Daemon> {
  return new DaemonClass(init)
}
