/**
 * What `faasmesh daemon` prints once it serves: the line that says so, and the reading of the
 * banner above it, for whoever starts daemons as child processes (tests, benchmarks, testbed).
 */

/** The banner's last line: the node answers from here on. */
export const READY_LINE = 'ready (Ctrl-C to stop)'

export interface DaemonBanner {
  /** The gateway's `http://host:port`. */
  url: string
  peerId: string
  /** The first libp2p address, ending in /p2p/<peer id>. */
  multiaddr: string
}

/** The banner in a daemon's standard output so far, or undefined until it is ready. */
export function parseBanner (out: string): DaemonBanner | undefined {
  if (!out.includes(READY_LINE)) return undefined
  const url = /gateway\s+(http:\/\/\S+)/.exec(out)?.[1]
  const peerId = /peer id\s+(\S+)/.exec(out)?.[1]
  const multiaddr = /libp2p\s+(\/\S+)/.exec(out)?.[1]
  return url == null || peerId == null || multiaddr == null ? undefined : { url, peerId, multiaddr }
}
