/**
 * Whether the gateway can be reached from beyond this machine. Beyond loopback its routes need
 * gateway tokens (auth.ts); a gateway started there with no token (`api.insecure`) is open to
 * whoever reaches its port, and the daemon says so.
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

export interface ExposureState {
  /** Gateway tokens in the node's store. */
  tokens: number
  /** `api.requireTokenFor`. */
  requireTokenFor: readonly string[]
}

/**
 * One line for a person when the gateway listens beyond loopback; undefined when it does not. With
 * no token (`api.insecure`), a warning that its routes are open; with tokens, a note of which
 * scopes need one and which do not.
 */
export function exposureWarning (host: string, port: number, state: ExposureState = { tokens: 0, requireTokenFor: [] }): string | undefined {
  if (isLoopbackHost(host)) return undefined
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
  if (state.tokens === 0) {
    return `warning: the HTTP gateway listens on ${where}, beyond loopback: anyone who can reach that port can deploy, overwrite and invoke functions on this node (api.insecure is set and the node has no gateway token); create one with \`faasmesh token create --scope admin\` to close its routes, or bind 127.0.0.1 or firewall the port`
  }
  const open = ['invoke', 'deploy', 'admin'].filter((scope) => !state.requireTokenFor.includes(scope))
  return `note: the HTTP gateway listens on ${where}, beyond loopback: ${state.requireTokenFor.length > 0 ? `${state.requireTokenFor.join(', ')} routes need a gateway token` : 'no route needs a gateway token'}${open.length > 0 ? `; ${open.join(', ')} routes are open to anyone who reaches the port (api.requireTokenFor)` : ''}`
}
