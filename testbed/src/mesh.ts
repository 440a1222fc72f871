import type { LinkState } from '../../daemon/src/links/index.js'

/**
 * A node's gateway, and the token it wants beyond loopback (DESIGN.md section 12): an admin token
 * the back end created in the node's data dir, or none where the gateway listens on loopback.
 */
export interface MeshGateway { name: string, url: string, peerId: string, token?: string }

/** `Authorization` for a node's gateway: empty when it needs no token. */
export function authHeaders (node: Pick<MeshGateway, 'token'> | undefined): Record<string, string> {
  return node?.token != null ? { authorization: `Bearer ${node.token}` } : {}
}

/** What a run needs of a mesh, whoever started it (child processes, or a compose project). */
export interface Mesh {
  readonly nodes: Map<string, MeshGateway>
  start(progress: (message: string) => void, signal: AbortSignal): Promise<void>
  isAlive(name: string): boolean
  /** Gone at once, as a crashed machine. */
  kill(name: string): void
  /** Back with the same identity and functions. */
  restart(name: string): Promise<void>
  setLinks(name: string, state: LinkState): Promise<void>
  stop(): Promise<void>
  /** Ctrl-C: everything down now. */
  killAll(): void
}
