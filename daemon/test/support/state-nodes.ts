/**
 * In-process libp2p nodes over TCP on 127.0.0.1 running `/faasmesh/state/1.0.0` and the in-edge
 * state model, for the in-edge tests. Each node's view of the mesh (`peers()`) is the mesh's
 * `view` unless the node has its own. A node can be killed (its libp2p stops, no goodbye) and
 * restarted with the same identity, port and data directory. `stop()` stops everything.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { createLibp2p } from 'libp2p'
import { stateProtocol, type StateService } from '../../../protocols/src/state/index.js'
import { base } from '../../../protocols/test/support/nodes.js'
import { waitFor } from '../../../protocols/test/support/wait.js'
import { InEdgeState, type InEdgeStateInit } from '../../src/state/in-edge.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

export type StateLibp2p = Libp2p<{ state: StateService }>

export interface StateNode {
  id: string
  libp2p: StateLibp2p
  state: InEdgeState
  /** Replaces the mesh's view for this node. */
  view?: string[]
  privateKey: PrivateKey
  port: number
  init: InEdgeStateInit
  running: boolean
}

export class StateMesh {
  readonly nodes: StateNode[] = []
  /** The peers every node knows of, unless it has its own view. */
  view: string[] = []
  private readonly bare: StateLibp2p[] = []

  /** A node running the state protocol and InEdgeState, dialled to every running node. */
  async add (init: InEdgeStateInit = {}): Promise<StateNode> {
    const node = { privateKey: await generateKeyPair('Ed25519'), port: 0, init, running: false } as unknown as StateNode
    await this.boot(node)
    this.nodes.push(node)
    this.view.push(node.id)
    return node
  }

  /** A node with the state protocol only (no model, in nobody's view): a hostile or foreign peer. */
  async outsider (): Promise<StateLibp2p> {
    const node = await createLibp2p({ ...base, services: { identify: identify(), state: stateProtocol() } }) as unknown as StateLibp2p
    this.bare.push(node)
    await this.connect(node)
    return node
  }

  /** Kills the node: its libp2p stops with no goodbye; then its model flushes what it was writing. */
  async kill (node: StateNode): Promise<void> {
    if (!node.running) return
    node.running = false
    await node.libp2p.stop()
    await node.state.stop()
  }

  /** Starts a killed node again: same peer id, port and data directory, fresh objects. */
  async restart (node: StateNode): Promise<StateNode> {
    await this.kill(node)
    return this.boot(node)
  }

  async stop (): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => { await this.kill(n) }))
    await Promise.all(this.bare.splice(0).map(async (n) => { await n.stop() }))
  }

  /** Starts `node`'s libp2p and model, in place: the object a test holds stays valid. */
  private async boot (node: StateNode): Promise<StateNode> {
    const libp2p = await createLibp2p({
      ...base,
      privateKey: node.privateKey,
      addresses: { listen: [`/ip4/127.0.0.1/tcp/${node.port}`] },
      services: { identify: identify(), state: stateProtocol() }
    }) as unknown as StateLibp2p
    node.libp2p = libp2p
    node.id = libp2p.peerId.toString()
    node.state = new InEdgeState({ peerId: libp2p.peerId, state: libp2p.services.state, logger: libp2p.logger, peers: () => node.view ?? this.view }, node.init)
    await node.state.start()
    node.port = Number(libp2p.getMultiaddrs()[0]?.getComponents().find((c) => c.name === 'tcp')?.value)
    node.running = true
    await this.connect(libp2p)
    return node
  }

  private async connect (libp2p: StateLibp2p): Promise<void> {
    for (const other of this.nodes) {
      if (!other.running || other.libp2p === libp2p) continue
      await libp2p.dial(other.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
      // the dialled side registers the connection a moment later: until then it could not reach back
      await waitFor(() => other.libp2p.getConnections(libp2p.peerId).length > 0, 5000, 'the connection on both sides')
    }
  }
}

export const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
