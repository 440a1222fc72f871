import { Rpc as RpcClass } from './rpc.js'
import type { RpcComponents, RpcInit } from './index.js'
import type { Startable } from '@libp2p/interface'

/**
 * What every service on the multiplexed channel shares: one channel per protocol, started and
 * stopped with the node. The service adds its messages and what they mean.
 */
export abstract class RpcService implements Startable {
  protected readonly rpc: RpcClass

  constructor (components: RpcComponents, init: RpcInit) {
    this.rpc = new RpcClass(components, init)
  }

  get protocol (): string {
    return this.rpc.protocol
  }

  async start (): Promise<void> {
    await this.rpc.start()
  }

  async stop (): Promise<void> {
    await this.rpc.stop()
  }
}
