/**
 * Network namespaces made by a test for itself: traffic inside one (mDNS multicast included)
 * never leaves it. Needs root and iproute2; `netnsUnavailable()` says why not, when not.
 */
import { execFileSync } from 'node:child_process'

export function netnsUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' })
  } catch {
    return 'the `ip` command (iproute2) is not available'
  }
  return undefined
}

/** A namespace with only its loopback, up and able to carry multicast. */
export function createLoopbackNetns (name: string): { prefix: string[], remove(): void } {
  const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }
  ip('netns', 'add', name)
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up')
    ip('-n', name, 'link', 'set', 'lo', 'multicast', 'on')
    ip('-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo')
  } catch (err) {
    ip('netns', 'del', name)
    throw err
  }
  return {
    prefix: ['ip', 'netns', 'exec', name],
    remove: () => { try { ip('netns', 'del', name) } catch {} }
  }
}
