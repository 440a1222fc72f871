/**
 * Publisher trust (DESIGN.md section 12): the policy's every branch with real signed name
 * records (a trusted publisher's, an untrusted one's, one signed by another key, one naming
 * another CID, garbage), refusals counted by stage, the records it remembers and sends along;
 * the trust list in the data dir (add, remove, list, a running reader seeing another writer's
 * change, a corrupt file refused by name and, in the policy, failing closed); and the
 * `faasmesh trust` commands run in-process on a data dir with no daemon.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { Registry } from 'prom-client'
import { createNameRecord, NameRecord } from '../../protocols/src/names/index.js'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { Bidder } from '../src/placement/bidder.js'
import { RunTimeEstimates } from '../src/placement/estimates.js'
import { PeerLedger } from '../src/placement/peer-ledger.js'
import { pricing } from '../src/placement/pricing.js'
import { Reservations } from '../src/placement/reservations.js'
import { resolver } from '../src/resolver/index.js'
import { cidOf } from '../src/store/index.js'
import { TRUST_FILE, trust, TrustList, type Trust, type TrustInit } from '../src/trust/index.js'
import { expectError } from './contracts/executor.js'
import { tempDir } from './support/paths.js'
import type { PrivateKey } from '@libp2p/interface'
import { cliInProcess as cli } from './support/cli-run.js'

let CID_B: string
let CID_C: string
let CID_OWN: string

interface Party { key: PrivateKey, id: string }

async function party (): Promise<Party> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

async function refused (registry: Registry, stage: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'faasmesh_trust_refused_total')
  return Number(metric?.values.find((v) => v.labels.stage === stage)?.value ?? 0)
}


describe('publisher trust', function () {
  this.timeout(20_000)
  let self: Party
  let b: Party
  let c: Party
  let dir: { path: string, cleanup(): Promise<void> }
  let registry: Registry

  before(async () => {
    [self, b, c] = await Promise.all([party(), party(), party()])
    const encode = async (text: string): Promise<string> => cidOf(new TextEncoder().encode(text))
    CID_B = await encode('module of B')
    CID_C = await encode('module of C')
    CID_OWN = await encode('module deployed here')
  })

  beforeEach(async () => {
    dir = await tempDir('faasmesh-trust-')
    registry = new Registry()
  })

  afterEach(async () => {
    await dir.cleanup()
  })

  function policy (init: TrustInit = {}, metrics: Registry | null = registry): Trust {
    return trust({ dataDir: dir.path, ...init })({
      peerId: peerIdFromPrivateKey(self.key),
      isOwn: (cid) => cid === CID_OWN,
      logger: defaultLogger(),
      ...(metrics != null ? { registry: metrics } : {})
    })
  }

  describe('policy', () => {
    it('open mode vouches for anything, with any record or none, and counts nothing', async () => {
      const t = policy({ mode: 'open' })
      expect(await t.vouch(CID_C)).to.deep.include({ trusted: true, reason: 'open' })
      expect(await t.allows(CID_C, 'bid', new Uint8Array([1, 2, 3]))).to.equal(true)
      await t.check(CID_C, 'gateway', await createNameRecord(c.key, 'other', CID_C, 1))
      expect(await refused(registry, 'bid')).to.equal(0)
      expect(await refused(registry, 'gateway')).to.equal(0)
    })

    it('allowlist: code this node deployed is its own, with no record', async () => {
      const t = policy({ mode: 'allowlist' })
      expect(await t.vouch(CID_OWN)).to.deep.include({ trusted: true, reason: 'own' })
    })

    it('allowlist: a record of this node or of a publisher in the config vouches for the CID it names', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      expect(await t.vouch(CID_B, await createNameRecord(b.key, 'fib', CID_B, 1))).to.deep.include({ trusted: true, reason: 'trusted-publisher', publisher: b.id })
      expect(await t.vouch(CID_C, await createNameRecord(self.key, 'mine', CID_C, 1))).to.deep.include({ trusted: true, publisher: self.id })
    })

    it('allowlist: an untrusted publisher\'s valid record is refused, counted by stage, and check throws UntrustedPublisherError', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      const record = await createNameRecord(c.key, 'other', CID_C, 1)
      expect(await t.vouch(CID_C, record)).to.deep.include({ trusted: false, reason: 'untrusted-publisher', publisher: c.id })
      expect(await t.allows(CID_C, 'bid', record)).to.equal(false)
      expect(await t.allows(CID_C, 'invoke', record)).to.equal(false)
      const err = await expectError(t.check(CID_C, 'gateway', record), 'UntrustedPublisherError')
      expect(err.message).to.include(c.id)
      await expectError(t.check(CID_C, 'fetch'), 'UntrustedPublisherError')
      expect(await refused(registry, 'bid')).to.equal(1)
      expect(await refused(registry, 'invoke')).to.equal(1)
      expect(await refused(registry, 'gateway')).to.equal(1)
      expect(await refused(registry, 'fetch')).to.equal(1)
    })

    it('allowlist: a trusted publisher\'s record forged onto another CID is refused', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      const verdict = await t.vouch(CID_C, await createNameRecord(b.key, 'fib', CID_B, 1))
      expect(verdict).to.deep.include({ trusted: false, reason: 'invalid-record' })
      expect(verdict.detail).to.include('not ' + CID_C)
    })

    it('allowlist: a record that claims a trusted key but was signed by another is refused', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      // C signs a record for its CID, then puts B's public key in it: B's peer id, C's signature
      const forged = NameRecord.decode(await createNameRecord(c.key, 'fib', CID_C, 1))
      forged.publicKey = publicKeyToProtobuf(b.key.publicKey) as Uint8Array<ArrayBuffer>
      const verdict = await t.vouch(CID_C, NameRecord.encode(forged))
      expect(verdict).to.deep.include({ trusted: false, reason: 'invalid-record' })
      expect(verdict.detail).to.include('bad signature')
    })

    it('allowlist: garbage, an oversized record and no record at all are refused', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      expect(await t.vouch(CID_C, new Uint8Array([0xff, 0xff, 0xff, 0x01]))).to.deep.include({ trusted: false, reason: 'invalid-record' })
      expect(await t.vouch(CID_C, new Uint8Array(4096).fill(7))).to.deep.include({ trusted: false, reason: 'invalid-record' })
      expect(await t.vouch(CID_C)).to.deep.include({ trusted: false, reason: 'no-record' })
      expect(await t.vouch(CID_C, new Uint8Array(0))).to.deep.include({ trusted: false, reason: 'no-record' })
    })

    it('remembers records: a trusted one known here vouches for a call that carries none (or a bad one), and is sent along', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      const record = await createNameRecord(b.key, 'fib', CID_B, 1)
      expect(t.recordFor(CID_B).byteLength).to.equal(0)
      expect(await t.vouch(CID_B)).to.deep.include({ trusted: false, reason: 'no-record' })
      // what the resolver hands over once it verified a record from the DHT
      t.remember({ publisher: b.id, name: 'fib', cid: CID_B, seq: 1, timestamp: Date.now(), bytes: record })
      expect(await t.vouch(CID_B)).to.deep.include({ trusted: true, reason: 'trusted-publisher', publisher: b.id })
      expect(await t.vouch(CID_B, new Uint8Array([9, 9, 9]))).to.deep.include({ trusted: true })
      expect(t.recordFor(CID_B)).to.deep.equal(record)
      // a trusted record that came over the wire is remembered too
      const other = await createNameRecord(b.key, 'other', CID_C, 1)
      expect(await t.vouch(CID_C, other)).to.deep.include({ trusted: true })
      expect(await t.vouch(CID_C)).to.deep.include({ trusted: true })
      // an untrusted one that came over the wire is not: nobody fills the book with their records
      const t2 = policy({ mode: 'allowlist' }, null)
      expect(await t2.vouch(CID_C, await createNameRecord(c.key, 'other', CID_C, 1))).to.deep.include({ trusted: false })
      expect(t2.recordFor(CID_C).byteLength).to.equal(0)
    })

    it('the trust list is read again when it changes: added trusts, removed refuses, with no restart', async () => {
      const t = policy({ mode: 'allowlist' })
      const record = await createNameRecord(c.key, 'other', CID_C, 1)
      expect(await t.allows(CID_C, 'invoke', record)).to.equal(false)
      // another process (the CLI) edits the file
      await new TrustList(dir.path).add(c.id, 'carol')
      expect(await t.allows(CID_C, 'invoke', record)).to.equal(true)
      expect(await t.publishers()).to.deep.equal([{ peer: c.id, label: 'carol', source: 'cli' }])
      await new TrustList(dir.path).remove(c.id)
      expect(await t.allows(CID_C, 'invoke', record)).to.equal(false)
    })

    it('a corrupt trust list fails closed: its publishers are refused, the config\'s still trusted', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      await new TrustList(dir.path).add(c.id)
      const record = await createNameRecord(c.key, 'other', CID_C, 1)
      expect(await t.allows(CID_C, 'invoke', record)).to.equal(true)
      await writeFile(join(dir.path, TRUST_FILE), '{ "version": 1, "publishers": [ {')
      expect(await t.allows(CID_C, 'invoke', record)).to.equal(false)
      expect(await t.allows(CID_B, 'invoke', await createNameRecord(b.key, 'fib', CID_B, 1))).to.equal(true)
      await expectError(t.publishers(), 'TrustListError')
    })
  })

  describe('bidder', () => {
    it('declines UNTRUSTED without reserving, still takes back the releases the call carries, and bids for vouched code', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      const reservations = new Reservations(5000, () => {})
      const bidder = new Bidder({
        running: () => 0,
        slots: () => 2,
        codeState: () => Bid.Code.STORED,
        estimates: new RunTimeEstimates(),
        reservations,
        ledger: new PeerLedger(),
        price: pricing({ basePrice: 1, factors: [], tags: {} }),
        vouch: async (cid, nameRecord) => t.allows(cid, 'bid', nameRecord)
      }, { queuePerSlot: 1, speed: 1 })
      const call = (cid: string, nameRecord: Uint8Array, release: Uint8Array[] = []): CallForBids => ({
        auctionId: 'x', cid: CID.parse(cid).bytes as Uint8Array<ArrayBuffer>, inputBytes: 1, deadlineMs: 0, release: release as Array<Uint8Array<ArrayBuffer>>, inputs: [], nameRecord: nameRecord as Uint8Array<ArrayBuffer>
      })
      try {
        const granted = await bidder.bidVouched(call(CID_B, await createNameRecord(b.key, 'fib', CID_B, 1)), 'peer-x')
        expect(granted.status).to.equal(Bid.Status.BID)
        expect(reservations.heldBy('peer-x')).to.equal(1)
        const declined = await bidder.bidVouched(call(CID_C, await createNameRecord(c.key, 'other', CID_C, 1), [granted.reservation]), 'peer-x')
        expect([declined.status, declined.reason]).to.deep.equal([Bid.Status.DECLINED, Bid.Reason.UNTRUSTED])
        expect(declined.reservation.byteLength).to.equal(0)
        expect(reservations.heldBy('peer-x'), 'the release was taken back, nothing new reserved').to.equal(0)
        expect(await refused(registry, 'bid')).to.equal(1)
      } finally {
        reservations.clear()
      }
    })
  })

  describe('resolver', () => {
    it('never fetches an untrusted CID: refused before any provider is asked; a trusted one is fetched', async () => {
      const t = policy({ mode: 'allowlist', publishers: [b.id] })
      const asked: string[] = []
      const res = resolver({ resolveTimeoutMs: 2000 })({
        store: {
          resolve: async (name) => { throw Object.assign(new Error(name), { name: 'FunctionNotFoundError' }) },
          touch: () => {},
          has: () => false,
          putCached: async () => '',
          bindings: () => [],
          addEventListener: () => {},
          removeEventListener: () => {},
          heldCids: async () => []
        },
        peerId: peerIdFromPrivateKey(self.key),
        privateKey: self.key,
        logger: defaultLogger(),
        candidates: () => [],
        findProviders: async function * (cid) { asked.push(cid) },
        fetchCode: async () => { throw new Error('no provider was offered') },
        provide: async () => {},
        putRecord: async () => {},
        getRecord: async () => { throw Object.assign(new Error('none'), { name: 'NotFoundError' }) },
        trust: {
          check: async (cid, stage, record, options) => { await t.check(cid, stage === 'lookup' ? 'gateway' : 'fetch', record?.bytes, options) },
          remember: (record) => { t.remember(record) }
        }
      })
      await expectError(res.resolve(CID_C), 'UntrustedPublisherError')
      await expectError(res.lookup(CID_C), 'UntrustedPublisherError')
      expect(asked, 'no provider search for an untrusted CID').to.deep.equal([])
      expect(await refused(registry, 'fetch')).to.equal(1)
      expect(await refused(registry, 'gateway')).to.equal(1)
      // B's CID, with B's record known: looked up and searched for (nobody has it here)
      t.remember({ publisher: b.id, name: 'fib', cid: CID_B, seq: 1, timestamp: Date.now(), bytes: await createNameRecord(b.key, 'fib', CID_B, 1) })
      expect(await res.lookup(CID_B)).to.equal(CID_B)
      await expectError(res.resolve(CID_B), 'FunctionNotFoundError')
      expect(asked).to.deep.equal([CID_B])
    })
  })

  describe('trust list', () => {
    it('adds, relabels, lists and removes publishers; a missing file is an empty list', async () => {
      const list = new TrustList(dir.path)
      expect(await list.list()).to.deep.equal([])
      await list.add(b.id, 'bob')
      await list.add(c.id)
      await list.add(b.id, 'robert')
      const listed = await list.list()
      expect(listed.map((p) => [p.peer, p.label])).to.deep.equal([[c.id, undefined], [b.id, 'robert']])
      expect(await list.remove(c.id)).to.equal(true)
      expect(await list.remove(c.id)).to.equal(false)
      expect((await new TrustList(dir.path).list()).map((p) => p.peer)).to.deep.equal([b.id])
    })

    it('refuses what is no peer id, and a label that is not short printable text', async () => {
      const list = new TrustList(dir.path)
      await expectError(list.add('not-a-peer-id'), 'InvalidParametersError')
      await expectError(list.add(b.id, 'x'.repeat(65)), 'InvalidParametersError')
      await expectError(list.add(b.id, 'bell\u0007'), 'InvalidParametersError')
      expect(await list.list()).to.deep.equal([])
    })

    it('a corrupt file is a TrustListError naming the file and what is wrong (golden messages)', async () => {
      const file = join(dir.path, TRUST_FILE)
      const list = new TrustList(dir.path)
      await writeFile(file, 'not json')
      expect((await expectError(list.list(), 'TrustListError')).message).to.match(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not JSON`))
      await writeFile(file, '{"version": 2, "publishers": []}')
      expect((await expectError(list.list(), 'TrustListError')).message).to.equal(`${file}: expected { "version": 1, "publishers": [...] }`)
      await writeFile(file, '{"version": 1, "publishers": [{"peer": "nope"}]}')
      expect((await expectError(list.list(), 'TrustListError')).message).to.equal(`${file}: publishers[0].peer "nope" is not a peer id`)
      // and an edit on top of a corrupt file is refused, not written over it
      await expectError(list.add(b.id), 'TrustListError')
    })
  })

  describe('faasmesh trust', () => {
    it('add, list (table and --json, with config publishers), remove, on a data dir with no daemon', async () => {
      const config = join(dir.path, 'config.json')
      await writeFile(config, JSON.stringify({ trust: { mode: 'allowlist', publishers: [b.id] } }))
      const added = await cli(['trust', 'add', c.id, '--name', 'carol', '--data-dir', dir.path, '--config', config])
      expect(added.code, added.stderr).to.equal(0)
      expect(added.stdout).to.include(`trusted ${c.id} (carol)`)
      const listed = await cli(['trust', 'list', '--data-dir', dir.path, '--config', config])
      expect(listed.code, listed.stderr).to.equal(0)
      const lines = listed.stdout.trim().split('\n')
      expect(lines[0]).to.equal('trust.mode allowlist')
      expect(lines[1]).to.match(/^PEER\s+LABEL\s+SOURCE$/)
      expect(lines[2]).to.match(new RegExp(`^${b.id}\\s+-\\s+config$`))
      expect(lines[3]).to.match(new RegExp(`^${c.id}\\s+carol\\s+cli$`))
      const json = await cli(['trust', 'list', '--json', '--data-dir', dir.path, '--config', config])
      expect(JSON.parse(json.stdout)).to.deep.equal({ mode: 'allowlist', publishers: [{ peer: b.id, source: 'config' }, { peer: c.id, label: 'carol', source: 'cli' }] })
      const removed = await cli(['trust', 'remove', c.id, '--data-dir', dir.path, '--config', config])
      expect(removed.code).to.equal(0)
      expect((await new TrustList(dir.path).list())).to.deep.equal([])
      const again = await cli(['trust', 'remove', c.id, '--data-dir', dir.path])
      expect(again.code).to.equal(1)
    })

    it('a bad peer id, an unknown action and a corrupt list fail by name', async () => {
      const bad = await cli(['trust', 'add', 'nope', '--data-dir', dir.path])
      expect(bad.code).to.equal(1)
      expect(bad.stderr).to.include('InvalidParametersError')
      const unknown = await cli(['trust', 'grant', b.id, '--data-dir', dir.path])
      expect(unknown.code).to.equal(2)
      await writeFile(join(dir.path, TRUST_FILE), '[')
      const corrupt = await cli(['trust', 'list', '--data-dir', dir.path])
      expect(corrupt.code).to.equal(1)
      expect(corrupt.stderr).to.include('TrustListError')
    })
  })
})
