/**
 * Private meshes (issue 15, item 1): daemons started with a pre-shared key (`--psk`) form a
 * mesh with the nodes that hold the same key and no other. Two meshes with different keys run on
 * one machine, one of them told to bootstrap through the other; a bare libp2p peer with no key,
 * and one with the wrong key, try to open a stream to a keyed node. A peer with the right key is
 * the control that shows the dial itself works.
 */
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p, type Libp2p } from 'libp2p'
import { base } from '../../protocols/test/support/nodes.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }

async function peerIds (d: DaemonProcess): Promise<string[]> {
  const { peers } = await (await fetch(`${d.url}/v1/peers`, { signal: AbortSignal.timeout(5000) })).json() as { peers: Array<{ peerId: string }> }
  return peers.map((p) => p.peerId)
}

/** A bare libp2p node on loopback, with `psk` as its connection protector when given. */
async function bare (psk?: string): Promise<Libp2p> {
  return createLibp2p({
    ...base,
    ...(psk != null ? { connectionProtector: preSharedKey({ psk: new TextEncoder().encode(psk), timeout: 2000 }) } : {}),
    services: { identify: identify() }
  })
}

/** Opens an identify stream to `target` and reads nothing: resolves true when it opened. */
async function opensStream (node: Libp2p, target: DaemonProcess): Promise<boolean> {
  try {
    const stream = await node.dialProtocol(multiaddr(target.multiaddr), '/ipfs/id/1.0.0', { signal: AbortSignal.timeout(5000) })
    await stream.close()
    return true
  } catch {
    return false
  }
}

describe('private meshes: a pre-shared key keeps a mesh to itself', function () {
  this.timeout(120_000)
  const dirs: Array<{ path: string, cleanup(): Promise<void> }> = []
  const bares: Libp2p[] = []
  const meshA: DaemonProcess[] = []
  const meshB: DaemonProcess[] = []
  const keys: Record<'a' | 'b', { file: string, text: string }> = {} as any
  const newDir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }

  before(async function () {
    const dir = await newDir()
    for (const name of ['a', 'b'] as const) {
      const file = join(dir, `${name}.key`)
      const made = await runCli(['psk', 'generate', '--out', file])
      expect(made.code, made.stderr).to.equal(0)
      keys[name] = { file, text: await import('node:fs/promises').then(async (fs) => fs.readFile(file, 'utf8')) }
    }
    meshA.push(await startDaemon(await newDir(), ['--psk', keys.a.file], ENV))
    meshB.push(await startDaemon(await newDir(), ['--psk', keys.b.file], ENV))
    // mesh B's second node is pointed at mesh A's node too: it must join B only
    meshA.push(await startDaemon(await newDir(), ['--psk', keys.a.file, '--bootstrap', meshA[0]!.multiaddr], ENV))
    meshB.push(await startDaemon(await newDir(), ['--psk', keys.b.file, '--bootstrap', meshB[0]!.multiaddr, '--bootstrap', meshA[0]!.multiaddr], ENV))
  })

  after(async function () {
    await Promise.all(bares.map(async (n) => n.stop()))
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('psk generate writes a key file only its owner can read, and never overwrites one', async function () {
    expect(keys.a.text).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    expect(keys.a.text).to.not.equal(keys.b.text)
    expect((await stat(keys.a.file)).mode & 0o777).to.equal(0o600)
    const again = await runCli(['psk', 'generate', '--out', keys.a.file])
    expect(again.code).to.equal(2)
    expect(again.stderr).to.include('exists')
    const printed = await runCli(['psk', 'generate'])
    expect(printed.stdout).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
  })

  it('two meshes with different keys on one machine form apart and never see each other', async function () {
    await waitForMesh(meshA)
    await waitForMesh(meshB)
    // several advert intervals and bootstrap re-dials of mesh A's node from mesh B
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(await peerIds(meshA[0]!)).to.deep.equal([meshA[1]!.peerId])
    expect(await peerIds(meshA[1]!)).to.deep.equal([meshA[0]!.peerId])
    expect((await peerIds(meshB[1]!)).sort()).to.deep.equal([meshB[0]!.peerId])
    const banner = meshB[1]!.output()
    expect(banner).to.include('private (pre-shared key)')
  })

  it('a function deployed in one mesh cannot be found from the other (no shared DHT)', async function () {
    const deployed = await runCli(['deploy', 'hello', 'build/hello.wasm', '--api', meshA[0]!.url])
    expect(deployed.code, deployed.stderr).to.equal(0)
    const publisher = meshA[0]!.peerId
    // the other node of mesh A finds it by publisher/name: the lookup works inside the mesh
    await waitFor(async () => (await fetch(`${meshA[1]!.url}/v1/invoke/${publisher}/hello`, { method: 'POST', body: '"x"', signal: AbortSignal.timeout(15_000) })).status === 200, 20_000, 'invoke inside mesh A')
    const res = await fetch(`${meshB[1]!.url}/v1/invoke/${publisher}/hello`, { method: 'POST', body: '"x"', signal: AbortSignal.timeout(20_000) })
    expect(res.status).to.equal(404)
    expect((await res.json()).error.name).to.equal('FunctionNotFoundError')
  })

  it('a peer without the key, or with another key, cannot open a single stream; one with the key can', async function () {
    const target = meshA[0]!
    const none = await bare()
    const wrong = await bare(keys.b.text)
    const right = await bare(keys.a.text)
    bares.push(none, wrong, right)
    expect(await opensStream(none, target), 'no key').to.equal(false)
    expect(await opensStream(wrong, target), 'wrong key').to.equal(false)
    expect(await opensStream(right, target), 'the right key').to.equal(true)
    expect(none.getConnections(peerIdFromString(target.peerId))).to.have.length(0)
    expect(wrong.getConnections(peerIdFromString(target.peerId))).to.have.length(0)
    // the keyed node is unharmed and still serves its mesh
    expect((await fetch(`${target.url}/v1/health`)).status).to.equal(200)
  })

  it('a malformed key file stops the daemon at start with the setting named', async function () {
    const file = join(await newDir(), 'bad.key')
    await writeFile(file, '/key/swarm/psk/1.0.0/\n/base64/\nAAAA\n', { mode: 0o600 })
    const out = await runCli(['daemon', '--data-dir', await newDir(), '--api-listen', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--psk', file], { timeoutMs: 30_000 })
    expect(out.code).to.not.equal(0)
    expect(out.stderr).to.include('network.pskFile')
    expect(out.stderr).to.include('/base16/')
    const missing = await runCli(['daemon', '--data-dir', await newDir(), '--api-listen', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--psk', join(file, '..', 'nope.key')], { timeoutMs: 30_000 })
    expect(missing.code).to.not.equal(0)
    expect(missing.stderr).to.include('no such file')
  })
})
