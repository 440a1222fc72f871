import { expect } from 'chai'
import { advertisedHttpAddrs } from '../src/node/http-addrs.js'

const ID = '12D3KooWLuFqyUFLH9seLmVVdMyqTJLaC9bu5yTi6Db61ktwD4C9'

describe('advertised gateway URLs', function () {
  it('advertises a gateway bound to one address as is', function () {
    expect(advertisedHttpAddrs('http://127.0.0.1:8787', [`/ip4/127.0.0.1/tcp/4001/p2p/${ID}`])).to.deep.equal(['http://127.0.0.1:8787'])
  })

  it('replaces 0.0.0.0 with the IPs of the libp2p addresses, loopback last', function () {
    const addrs = [`/ip4/127.0.0.1/tcp/4001/p2p/${ID}`, `/ip4/192.0.2.7/tcp/4001/p2p/${ID}`, `/ip4/192.0.2.7/tcp/4002/p2p/${ID}`, `/ip6/::1/tcp/4001/p2p/${ID}`]
    expect(advertisedHttpAddrs('http://0.0.0.0:8787', addrs)).to.deep.equal(['http://192.0.2.7:8787', 'http://127.0.0.1:8787'])
    expect(advertisedHttpAddrs('http://[::]:8787', addrs)).to.deep.equal(['http://192.0.2.7:8787', 'http://127.0.0.1:8787', 'http://[::1]:8787'])
  })
})
