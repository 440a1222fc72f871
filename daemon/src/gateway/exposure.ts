/**
 * Whether the gateway can be reached from beyond this machine. Until the gateway has tokens
 * (issue 15), whoever reaches its port can deploy, overwrite and invoke functions, so the daemon
 * warns when it listens anywhere else than loopback.
 */
import { isIP } from 'node:net'

/** `127.0.0.0/8`, `::1` (and its IPv4-mapped forms) and `localhost` only reach this machine. */
export function isLoopbackHost (host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
  if (name === 'localhost') return true
  if (isIP(name) === 4) return name.startsWith('127.')
  if (isIP(name) === 6) return name === '::1' || /^(?:0{0,4}:){2}ffff:127\./.test(name) || name === '0:0:0:0:0:0:0:1'
  // any other name may resolve to anything
  return false
}

/** One line for a person when the gateway listens beyond loopback; undefined when it does not. */
export function exposureWarning (host: string, port: number): string | undefined {
  if (isLoopbackHost(host)) return undefined
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
  return `warning: the HTTP gateway listens on ${where}, beyond loopback: anyone who can reach that port can deploy, overwrite and invoke functions on this node (the gateway has no tokens yet); bind 127.0.0.1 or firewall the port`
}
