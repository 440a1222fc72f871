/** Plain-text tables and sizes for people; `--json` output bypasses all of this. */

export function table (headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

export function bytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** `12D3KooWAbc...xyz9` -> `12D3KooW…xyz9`: enough to tell peers apart in a table. */
export function shortPeer (peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

/** A multiaddr without its /p2p/ suffix (the PEER column already says whose it is). */
export function shortAddr (addr: string): string {
  return addr.replace(/\/p2p\/[^/]+$/, '')
}
