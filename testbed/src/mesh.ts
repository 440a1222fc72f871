import type { LinkState } from '../../daemon/src/links/index.js'

/** What a run needs of a mesh, whoever started it (child processes, or a compose project). */
export interface Mesh {
  readonly nodes: Map<string, { name: string, url: string, peerId: string }>
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
