/**
 * The gateway URLs a node advertises. A gateway bound to every interface (0.0.0.0 or ::) has
 * no single URL, and `http://0.0.0.0:8787` means nothing to a peer: advertise it at the IP
 * addresses the node's libp2p addresses use instead, loopback last (only useful on one host).
 */
import { multiaddr } from '@multiformats/multiaddr'

/** Adverts carry at most 4 gateway URLs. */
const MAX_URLS = 4

export function advertisedHttpAddrs (gatewayUrl: string, multiaddrs: string[]): string[] {
  const url = new URL(gatewayUrl)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (host !== '0.0.0.0' && host !== '::') return [gatewayUrl]
  const ips: string[] = []
  for (const addr of multiaddrs) {
    const ip = multiaddr(addr).getComponents().find((c) => c.name === 'ip4' || (c.name === 'ip6' && host === '::'))
    if (ip?.value != null && ip.value !== '0.0.0.0' && ip.value !== '::' && !ips.includes(ip.value)) ips.push(ip.value)
  }
  const loopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1'
  return ips.sort((a, b) => Number(loopback(a)) - Number(loopback(b)))
    .slice(0, MAX_URLS)
    .map((ip) => `http://${ip.includes(':') ? `[${ip}]` : ip}:${url.port}`)
}
