/**
 * Settings that keep a test daemon on loopback: libp2p and the gateway bound to 127.0.0.1 with
 * OS-chosen ports, and no mDNS (its multicast would leave the machine).
 */
export const LOOPBACK_FLAGS = {
  'api.listen': '127.0.0.1:0',
  'libp2p.listen': ['/ip4/127.0.0.1/tcp/0'],
  'libp2p.mdns': false
}

export const LOOPBACK_ARGS = ['--api-listen', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']
