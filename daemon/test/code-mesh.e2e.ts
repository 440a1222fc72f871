/**
 * Function code through the mesh, end to end, on five daemon processes: deploy on one node,
 * invoke by name on another that never saw it, keep working when the publisher is gone, and
 * refuse forged records and tampered code from a hostile peer.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { codeTransfer } from '../../protocols/src/code/index.js'
import { createNameRecord, nameKey, NAME_KEY_NAMESPACE, selectNameRecord } from '../../protocols/src/names/index.js'
import { DHT_PROTOCOL } from '../src/node/index.js'
import { cidOf } from '../src/store/index.js'
import { tempDir, wasm } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess, waitForMesh } from './support/processes.js'
import { waitFor } from './support/wait.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500' }

/** Runs on the node asked (policy local): these tests are about where the code comes from. */
async function invoke (d: DaemonProcess, target: string, body: string): Promise<{ status: number, text: string, cold: string | null, fetched: string | null }> {
  const res = await fetch(`${d.url}/v1/invoke/${target}`, { method: 'POST', body, headers: { 'x-faasmesh-policy': 'local' }, signal: AbortSignal.timeout(15_000) })
  return { status: res.status, text: await res.text(), cold: res.headers.get('x-faasmesh-cold'), fetched: res.headers.get('x-faasmesh-fetched') }
}

async function metric (d: DaemonProcess, pattern: RegExp): Promise<number> {
  return Number(pattern.exec(await (await fetch(`${d.url}/metrics`)).text())?.[1] ?? 0)
}

describe('function code through the DHT (daemon processes)', function () {
  this.timeout(120_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  const nodes: DaemonProcess[] = []

  before(async function () {
    const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
    nodes.push(await startDaemon(await dir(), [], ENV))
    nodes.push(...await Promise.all([1, 2, 3, 4].map(async () => startDaemon(await dir(), ['--bootstrap', nodes[0]!.multiaddr], ENV))))
    await waitForMesh(nodes)
  })

  after(async function () {
    killAll()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('a function deployed on node 0 runs by name on node 4, cold and fetched the first time, warm after', async function () {
    const deployed = await runCli(['deploy', 'sensor-stats', 'build/sensor-stats.wasm', '--api', nodes[0]!.url])
    expect(deployed.code, deployed.stderr).to.equal(0)
    let first: Awaited<ReturnType<typeof invoke>> | undefined
    // the name record and the provider entry are announced in the background: give them a moment
    await waitFor(async () => { first = await invoke(nodes[4]!, 'sensor-stats', '[10, 10, 10, 40]'); return first.status === 200 }, 20_000, 'first remote invoke')
    expect(JSON.parse(first!.text)).to.include({ count: 4, min: 10, max: 40, mean: 17.5 })
    expect(first!.cold).to.equal('true')
    expect(first!.fetched).to.equal('true')

    const second = await invoke(nodes[4]!, 'sensor-stats', '[1, 2]')
    expect(second.status).to.equal(200)
    expect(second.cold).to.equal('false')
    expect(second.fetched).to.equal('false')
    expect(await metric(nodes[4]!, /faasmesh_code_fetches_total\{outcome="ok"\} (\d+)/)).to.equal(1)
    const listed = await runCli(['functions', '--api', nodes[4]!.url])
    expect(listed.stdout).to.match(/bafkrei\S+\s+19\.\d KiB\s+cached/)
  })

  it('with the publisher stopped, node 3 still gets the code, from node 4', async function () {
    expect(await nodes[0]!.stop('SIGTERM')).to.equal(0)
    const res = await invoke(nodes[3]!, 'sensor-stats', '[5, 5, 5]')
    expect(res.status, res.text).to.equal(200)
    expect(JSON.parse(res.text)).to.include({ count: 3, mean: 5 })
    expect(res.fetched).to.equal('true')
  })

  it('an unknown name or CID answers 404 FunctionNotFoundError in bounded time', async function () {
    const started = Date.now()
    const byName = await invoke(nodes[2]!, 'no-such-function', '')
    expect(byName.status).to.equal(404)
    expect(JSON.parse(byName.text).error.name).to.equal('FunctionNotFoundError')
    const byCid = await invoke(nodes[2]!, await cidOf(new Uint8Array([1, 2, 3])), '')
    expect(byCid.status).to.equal(404)
    expect(Date.now() - started).to.be.lessThan(14_000)
  })

  it('a forged name record is rejected by every node; tampered code from a hostile provider is never run', async function () {
    const victim = nodes[1]!
    const good = wasm('wordcount')
    const goodCid = await cidOf(good)
    const integrity = /faasmesh_code_fetches_total\{outcome="integrity"\} (\d+)/

    const attackerKey = await generateKeyPair('Ed25519')
    const attacker = await createLibp2p({
      privateKey: attackerKey,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        ping: ping(),
        // the attacker's own DHT accepts anything; the daemons' must not
        dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper, validators: { [NAME_KEY_NAMESPACE]: async () => {} }, selectors: { [NAME_KEY_NAMESPACE]: selectNameRecord } }),
        code: codeTransfer()
      }
    })
    try {
      // serves corrupted bytes for the real module, and claims to provide it
      let served = 0
      attacker.services.code.setLookup(async () => { served++; const b = new Uint8Array(good); b[10] = (b[10] ?? 0) ^ 0xff; return b })
      for (const n of nodes.slice(1)) await attacker.dial(multiaddr(n.multiaddr), { signal: AbortSignal.timeout(5000) })
      await attacker.contentRouting.provide(CID.parse(goodCid), { signal: AbortSignal.timeout(10_000) })

      // no honest node has the module yet: the attacker is its only provider, so node 2 must
      // fetch from it, see the bytes fail the CID, count that, and refuse with a named error
      const tricked = nodes[2]!
      const before = await metric(tricked, integrity)
      const alone = await invoke(tricked, goodCid, 'one two two')
      expect(alone.status, alone.text).to.equal(404)
      expect(JSON.parse(alone.text).error.name).to.equal('FunctionNotFoundError')
      expect(served, 'fetches the attacker served').to.be.greaterThan(0)
      expect(await metric(tricked, integrity) - before, 'integrity failures counted on node 2').to.be.greaterThan(0)

      // now an honest provider exists too: everyone gets the real code, the attacker's offer or not
      const deployed = await runCli(['deploy', 'words', 'build/wordcount.wasm', '--api', victim.url])
      expect(deployed.code, deployed.stderr).to.equal(0)
      // a record for the victim's name, signed by the attacker (the daemons' DHTs refuse to store
      // it; kad-dht reports that as query events, not as an error)
      const forged = await createNameRecord(attackerKey, 'words', (await cidOf(wasm('hello'))), Date.now() + 1e9)
      await attacker.contentRouting.put(nameKey(victim.peerId, 'words'), forged, { signal: AbortSignal.timeout(10_000) })

      for (const n of nodes.slice(2)) {
        let res: Awaited<ReturnType<typeof invoke>> | undefined
        // the victim announces its record in the background: give it a moment
        await waitFor(async () => { res = await invoke(n, `${victim.peerId}/words`, 'one two two'); return res.status !== 404 }, 20_000, 'the victim\'s record')
        expect(res!.status, res!.text).to.equal(200)
        expect(JSON.parse(res!.text)).to.include({ words: 3, unique: 2 })
        expect(res!.fetched).to.equal('true')
      }
      for (const n of nodes.slice(1)) expect((await fetch(`${n.url}/v1/health`)).status).to.equal(200)
    } finally {
      await attacker.stop()
    }
  })
})
