/**
 * The ledger (daemon/src/ledger): a bounded on-disk store of receipts with tallies per peer. The
 * bound holds however many are recorded, tallies outlive dropped receipts and restarts, a torn
 * last line (a crash mid-batch) is cut off at load without touching what came before, and
 * appends racing with flushes and queries lose or duplicate nothing.
 */
import { appendFile, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { contributes, ledger, parseReceiptQuery, type Ledger, type LedgerEntry } from '../src/ledger/index.js'
import { tempDir } from './support/paths.js'

const ALICE = '12D3KooWAliceAliceAliceAliceAliceAliceAliceAlice1'
const BOB = '12D3KooWBobBobBobBobBobBobBobBobBobBobBobBobBob11'

function entry (i: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    role: 'auctioneer',
    peer: ALICE,
    at: 1_700_000_000_000 + i,
    invocationId: `inv-${i}`,
    cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
    inputSha256: '00'.repeat(32),
    outputSha256: '11'.repeat(32),
    fuel: 10,
    durationUs: 100,
    price: 0.5,
    executor: ALICE,
    auctioneer: 'self',
    timestamp: 1_700_000_000_000 + i,
    status: 'OK',
    body: 'Ym9keQ==',
    signature: 'c2ln',
    ...overrides
  }
}

describe('ledger', function () {
  const dirs: Array<{ path: string, cleanup(): Promise<void> }> = []
  const open: Ledger[] = []

  async function start (dataDir: string, maxReceipts = 100): Promise<Ledger> {
    const book = ledger({ dataDir, maxReceipts })({ logger: defaultLogger() })
    await book.start()
    open.push(book)
    return book
  }

  async function dir (): Promise<string> {
    const d = await tempDir()
    dirs.push(d)
    return d.path
  }

  afterEach(async function () {
    await Promise.all(open.splice(0).map(async (b) => { await b.stop() }))
    await Promise.all(dirs.splice(0).map(async (d) => { await d.cleanup() }))
  })

  async function linesOnDisk (dataDir: string): Promise<string[]> {
    const ledgerDir = join(dataDir, 'ledger')
    const lines: string[] = []
    for (const name of (await readdir(ledgerDir)).filter((n) => n.endsWith('.jsonl')).sort()) {
      lines.push(...(await readFile(join(ledgerDir, name), 'utf8')).split('\n').filter((l) => l !== ''))
    }
    return lines
  }

  it('holds its bound: the oldest go first, the newest stay, and never more than maxReceipts on disk', async function () {
    const dataDir = await dir()
    const book = await start(dataDir, 100)
    for (let i = 0; i < 1000; i++) {
      book.record(entry(i))
      if (i % 97 === 0) {
        await book.flush()
        expect((await linesOnDisk(dataDir)).length).to.be.at.most(100)
      }
    }
    await book.flush()
    const lines = await linesOnDisk(dataDir)
    expect(lines.length).to.be.within(90, 100)
    const kept = await book.receipts({ limit: 1000 })
    expect(kept.length).to.equal(lines.length)
    expect(kept[0]!.invocationId).to.equal('inv-999')
    // newest first and contiguous: exactly the latest ones
    expect(kept.map((e) => e.invocationId)).to.deep.equal(kept.map((_, i) => `inv-${999 - i}`))
    expect((await readdir(join(dataDir, 'ledger'))).filter((n) => n.endsWith('.jsonl')).length).to.be.at.most(11)
  })

  it('keeps tallies for receipts it dropped, and across a restart', async function () {
    const dataDir = await dir()
    const book = await start(dataDir, 100)
    for (let i = 0; i < 300; i++) book.record(entry(i, i % 3 === 0 ? { role: 'executor', peer: BOB, executor: 'self', auctioneer: BOB, fuel: 7, price: 1 } : {}))
    await book.stop()
    const tallies = book.peers()
    const alice = tallies.find((t) => t.peer === ALICE)!
    const bob = tallies.find((t) => t.peer === BOB)!
    expect(alice.ranForUs).to.deep.equal({ invocations: 200, fuel: 2000, price: 100 })
    expect(alice.ranForThem.invocations).to.equal(0)
    expect(bob.ranForThem).to.deep.equal({ invocations: 100, fuel: 700, price: 100 })
    expect(book.size).to.be.at.most(100)

    const again = await start(dataDir, 100)
    expect(again.peers().sort((a, b) => a.peer.localeCompare(b.peer))).to.deep.equal(tallies.sort((a, b) => a.peer.localeCompare(b.peer)))
    expect(again.size).to.equal(book.size)
    again.record(entry(300))
    expect(again.tally(ALICE)!.ranForUs.invocations).to.equal(201)
  })

  it('cuts off a torn last line at load, keeps everything before it, and appends cleanly after', async function () {
    const dataDir = await dir()
    const book = await start(dataDir, 1000)
    for (let i = 0; i < 25; i++) book.record(entry(i))
    await book.stop()
    const ledgerDir = join(dataDir, 'ledger')
    const last = (await readdir(ledgerDir)).filter((n) => n.endsWith('.jsonl')).sort().at(-1)!
    // a crash in the middle of a batch's write
    await appendFile(join(ledgerDir, last), JSON.stringify(entry(25)).slice(0, 57))

    const again = await start(dataDir, 1000)
    expect(again.size).to.equal(25)
    expect((await again.receipts({ limit: 1000 })).map((e) => e.invocationId)).to.deep.equal(Array.from({ length: 25 }, (_, i) => `inv-${24 - i}`))
    again.record(entry(26))
    await again.flush()
    const lines = await linesOnDisk(dataDir)
    expect(lines.length).to.equal(26)
    for (const line of lines) expect(() => JSON.parse(line)).to.not.throw()
    expect(JSON.parse(lines.at(-1)!).invocationId).to.equal('inv-26')
  })

  it('appends racing with flushes and queries lose, reorder or duplicate nothing', async function () {
    const dataDir = await dir()
    const book = await start(dataDir, 100_000)
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 250; i++) {
        book.record(entry(w * 1000 + i, { invocationId: `w${w}-${i}` }))
        if (i % 50 === 0) await book.flush()
        else if (i % 33 === 0) await book.receipts({ limit: 10 })
        else if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
    })
    await Promise.all(writers)
    await book.flush()
    const lines = (await linesOnDisk(dataDir)).map((l) => JSON.parse(l) as LedgerEntry)
    expect(lines.length).to.equal(2000)
    expect(new Set(lines.map((e) => e.invocationId)).size).to.equal(2000)
    // each writer's entries in the order it recorded them
    for (let w = 0; w < 8; w++) {
      const mine = lines.filter((e) => e.invocationId.startsWith(`w${w}-`)).map((e) => Number(e.invocationId.split('-')[1]))
      expect(mine).to.deep.equal(Array.from({ length: 250 }, (_, i) => i))
    }
    expect(book.tally(ALICE)!.ranForUs.invocations).to.equal(2000)
  })

  it('answers queries by peer, since and limit, newest first', async function () {
    const dataDir = await dir()
    const book = await start(dataDir, 1000)
    for (let i = 0; i < 30; i++) book.record(entry(i, i % 2 === 0 ? {} : { peer: BOB }))
    expect((await book.receipts({ peer: BOB, limit: 100 })).map((e) => e.invocationId)).to.deep.equal(Array.from({ length: 15 }, (_, i) => `inv-${29 - 2 * i}`))
    expect((await book.receipts({ since: 1_700_000_000_000 + 25 })).map((e) => e.invocationId)).to.deep.equal(['inv-29', 'inv-28', 'inv-27', 'inv-26', 'inv-25'])
    expect(await book.receipts({ limit: 3 })).to.have.length(3)
    expect(parseReceiptQuery(new URLSearchParams('peer=abc&since=5&limit=7'))).to.deep.equal({ peer: 'abc', since: 5, limit: 7 })
    expect(parseReceiptQuery(new URLSearchParams(''))).to.deep.equal({ limit: 100 })
    for (const bad of ['limit=0', 'limit=1001', 'since=yesterday', 'peer=a/b']) {
      expect(() => parseReceiptQuery(new URLSearchParams(bad)), bad).to.throw().with.property('name', 'InvalidParametersError')
    }
  })

  it('a contributor has run work for this node and taken no more than twice the fuel back', function () {
    const work = (invocations: number, fuel: number): { invocations: number, fuel: number, price: number } => ({ invocations, fuel, price: 0 })
    expect(contributes(undefined)).to.equal(false)
    expect(contributes({ peer: ALICE, ranForUs: work(0, 0), ranForThem: work(5, 50), lastAt: 0 })).to.equal(false)
    expect(contributes({ peer: ALICE, ranForUs: work(1, 100), ranForThem: work(5, 200), lastAt: 0 })).to.equal(true)
    expect(contributes({ peer: ALICE, ranForUs: work(1, 100), ranForThem: work(50, 201), lastAt: 0 })).to.equal(false)
  })
})
