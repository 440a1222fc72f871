/**
 * A gateway on 127.0.0.1 with stubbed components: an invoker that echoes its input after
 * `invokeMs`, a store that accepts any module. For tests of the HTTP layer alone (timeouts,
 * connection limits, bodies), which need settings a daemon does not expose.
 */
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { Registry } from 'prom-client'
import { FunctionNotFoundError } from '../src/errors.js'
import { gateway, type Gateway, type GatewayComponents, type GatewayInit } from '../src/gateway/index.js'
import type { InvocationOptions } from '../src/invoker/index.js'

const PEER = '12D3KooWLuFqyUFLH9seLmVVdMyqTJLaC9bu5yTi6Db61ktwD4C9'

export interface StubOptions {
  /** How long the stub invoker takes. @default 0 */
  invokeMs?: number
  /** Largest module the stub store accepts. @default 1024 */
  maxModuleBytes?: number
  /** The state layer the routes see; none by default. */
  state?: GatewayComponents['state']
  /** Called with the options of every invocation the stub invoker gets. */
  onInvoke?(options: InvocationOptions): void
  /** Gateway tokens the gateway checks; none by default. */
  tokens?: GatewayComponents['tokens']
  /** Called with the name of every deploy the stub store gets. */
  onDeploy?(name: string): void
  /** Invocation stats for the `/v1/stats` routes; none by default. */
  stats?: GatewayComponents['stats']
}

export async function startStubGateway (init: GatewayInit, options: StubOptions = {}): Promise<Gateway> {
  const gw = gateway({ host: '127.0.0.1', port: 0, drainTimeoutMs: 1000, ...init })({
    logger: defaultLogger(),
    store: {
      maxModuleBytes: options.maxModuleBytes ?? 1024,
      deploy: async (name, bytes) => { options.onDeploy?.(name); return { name, cid: 'bafkreistub', size: bytes.byteLength, version: 1 } as any },
      list: async () => [],
      // no names: the lifecycle routes answer FunctionNotFoundError
      remove: async (name) => { throw new FunctionNotFoundError(`no function named "${name}"`) },
      versions: (name) => { throw new FunctionNotFoundError(`no function named "${name}"`) },
      rollback: async (name) => { throw new FunctionNotFoundError(`no function named "${name}"`) }
    },
    invoker: {
      async invoke (target, input, opts = {}) {
        options.onInvoke?.(opts)
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.invokeMs ?? 0)
          opts.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(opts.signal?.reason) }, { once: true })
        })
        return { invocationId: opts.invocationId ?? 'stub', output: input, cid: 'bafkreistub', executor: PEER, policy: 'local', durationMs: 1, placementMs: 0, bids: { received: 0, asked: 0 }, placementId: '0', cold: false, fetched: false, fuelUsed: 1 }
      }
    },
    registry: new Registry(),
    peerId: peerIdFromString(PEER),
    version: '0.0.0',
    addrs: () => [],
    peers: () => [],
    isWarm: () => false,
    placements: { recent: () => [], get: () => undefined, reputations: () => [] },
    ...(options.state != null ? { state: options.state } : {}),
    ...(options.tokens != null ? { tokens: options.tokens } : {}),
    ...(options.stats != null ? { stats: options.stats } : {})
  })
  await gw.start()
  return gw
}
