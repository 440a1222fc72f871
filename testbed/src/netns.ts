/**
 * The `--netns` variant of the local back end (root only): every node in its own network
 * namespace with its own address, all joined by a bridge that lives in a hub namespace of its
 * own; one veth pair gives this process (in the root namespace) a route to the nodes' subnet
 * and nothing else. Removing the namespaces removes every interface made here.
 */
import { execFileSync } from 'node:child_process'

export function netnsUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return '--netns needs root (network namespaces, veth pairs, a bridge)'
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' })
  } catch {
    return '--netns needs the `ip` command (Debian: apt-get install iproute2)'
  }
  return undefined
}

export interface NetnsTopology {
  /** Command prefix that runs a program inside node i's namespace. */
  prefix(i: number): string[]
  /** Node i's address. */
  address(i: number): string
  remove(): void
}

const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }

export function createTopology (count: number): NetnsTopology {
  // short, per-process names: interface names are limited to 15 characters
  const id = (process.pid % 46656).toString(36).padStart(3, '0')
  const subnet = `10.77.${20 + (process.pid % 200)}`
  const hub = `fm-${id}-hub`
  const nodeNs = (i: number): string => `fm-${id}-n${i}`
  const created: string[] = []
  const remove = (): void => {
    for (const ns of created.splice(0).reverse()) {
      try { ip('netns', 'del', ns) } catch {}
    }
  }
  process.once('exit', remove)
  try {
    ip('netns', 'add', hub)
    created.push(hub)
    ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', hub, 'link', 'set', 'br0', 'up')
    for (let i = 0; i < count; i++) {
      const ns = nodeNs(i)
      ip('netns', 'add', ns)
      created.push(ns)
      const port = `fmv${id}${i}`
      ip('link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      ip('link', 'set', port, 'netns', hub)
      ip('-n', hub, 'link', 'set', port, 'master', 'br0', 'up')
      ip('-n', ns, 'addr', 'add', `${subnet}.${10 + i}/24`, 'dev', 'eth0')
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
    }
    // this process's way in: a veth from the root namespace to the bridge
    ip('link', 'add', `fmh${id}`, 'type', 'veth', 'peer', 'name', 'up0', 'netns', hub)
    ip('-n', hub, 'link', 'set', 'up0', 'master', 'br0', 'up')
    ip('addr', 'add', `${subnet}.1/24`, 'dev', `fmh${id}`)
    ip('link', 'set', `fmh${id}`, 'up')
  } catch (err) {
    remove()
    throw err
  }
  return {
    prefix: (i) => ['ip', 'netns', 'exec', nodeNs(i)],
    address: (i) => `${subnet}.${10 + i}`,
    remove
  }
}
