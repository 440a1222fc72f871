/**
 * A start that fails because an address is taken (most often another daemon, or one left over),
 * said in faasmesh's terms: which address, what it was for, and the option that moves it. libp2p
 * would say `UnsupportedListenAddressesError` with a stack trace and a libp2p setting
 * (`transportManager.faultTolerance`); Node says `listen EADDRINUSE`.
 */
import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { AddressInUseError } from './errors.js'

/** Awaits the gateway's start; a taken `api.listen` becomes an AddressInUseError. */
export async function gatewayListening (start: Promise<void>, listen: string): Promise<void> {
  try {
    await start
  } catch (err: any) {
    if (err?.code !== 'EADDRINUSE') throw err
    throw new AddressInUseError(`${listen} is already in use (the gateway's address): choose another with --api-listen HOST:PORT (api.listen)`)
  }
}

/**
 * Awaits libp2p's start; a taken `libp2p.listen` address becomes an AddressInUseError. libp2p
 * reports the failed addresses only in its message's text, so each configured TCP address with a
 * fixed port is tried again here (libp2p closed its own listeners when its start failed).
 */
export async function libp2pListening (start: Promise<void>, listen: string[]): Promise<void> {
  try {
    await start
  } catch (err: any) {
    if (err?.name !== 'UnsupportedListenAddressesError') throw err
    for (const addr of listen) {
      if (await isTaken(addr)) throw new AddressInUseError(`${addr} is already in use (a libp2p listen address): choose another with --listen MULTIADDR (libp2p.listen)`)
    }
    throw err
  }
}

/** Whether binding a TCP multiaddr's fixed port fails with EADDRINUSE; port 0 and other transports are never taken. */
async function isTaken (addr: string): Promise<boolean> {
  let host: string | undefined
  let port = 0
  try {
    const components = multiaddr(addr).getComponents()
    host = components.find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
    port = Number(components.find((c) => c.name === 'tcp')?.value ?? 0)
  } catch {}
  if (host == null || !(port > 0)) return false
  return new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code === 'EADDRINUSE') })
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve(false) }) })
  })
}
