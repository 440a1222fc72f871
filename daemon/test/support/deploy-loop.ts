/**
 * The child of the store crash test (`store-recovery.spec.ts`): opens the function store in
 * `argv[2]` (so it runs the store's recovery first), then deploys and caches modules until it
 * is killed. On stdout, `deploying <name> <cid>` before a deploy and `deployed <name> <cid>`
 * once it returned: the test knows which deploys were acknowledged and which one was cut short.
 * The sanitizer is a stub (what is tested is the order of writes), so a SIGKILL orphans no
 * sanitizer process.
 */
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { defaultLogger } from '@libp2p/logger'
import { cidOf, functionStore } from '../../src/store/index.js'
import type { Sanitizer } from '../../src/sanitizer/index.js'

export const STUB_SANITIZER: Pick<Sanitizer, 'sanitize'> = {
  sanitize: async (bytes) => ({ bytes, memory: { initialPages: 1 }, instrumenterVersion: 0 })
}

/** A distinct module per (seed, i): a wasm header and a custom section of 8-72 KiB. */
export function uniqueModule (seed: string, i: number): Uint8Array {
  const digest = createHash('sha256').update(`${seed}/${i}`).digest()
  const size = 8192 + (digest.readUInt32BE(0) % (64 * 1024))
  const payload = new Uint8Array(size).fill(digest[4]!)
  payload.set(digest, 0)
  // custom section id 0: name "x" (1 byte + "x"), then the payload; size as a 3-byte LEB128
  const sectionSize = 2 + size
  const leb = [(sectionSize & 0x7f) | 0x80, ((sectionSize >> 7) & 0x7f) | 0x80, (sectionSize >> 14) & 0x7f]
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, ...leb, 0x01, 0x78, ...payload])
}

async function main (dataDir: string, seed: string): Promise<void> {
  // a small cache budget, so cached modules are evicted as well: eviction is cut short too
  const store = functionStore({ dataDir, maxCacheBytes: 256 * 1024 })({ logger: defaultLogger(), sanitizer: STUB_SANITIZER })
  await store.start()
  process.stdout.write('ready\n')
  for (let i = 0; i < 100_000; i++) {
    const name = `fn-${i % 4}`
    const bytes = uniqueModule(seed, i)
    process.stdout.write(`deploying ${name} ${await cidOf(bytes)}\n`)
    const { cid } = await store.deploy(name, bytes)
    process.stdout.write(`deployed ${name} ${cid}\n`)
    if (i % 2 === 0) await store.putCached(uniqueModule(`${seed}-cached`, i))
  }
}

// run only as the child, not when the test imports the helpers above
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv[2]!, process.argv[3] ?? 'seed').catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`)
    process.exit(1)
  })
}
