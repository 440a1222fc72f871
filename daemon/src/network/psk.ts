/**
 * The pre-shared key of a private mesh (`network.pskFile`, `faasmesh psk generate`): the
 * `/key/swarm/psk/1.0.0/` format of go-ipfs and js-libp2p's `@libp2p/pnet`, 32 random bytes in
 * base16. Every connection is then wrapped in XSalsa20 under that key before noise even starts, so
 * a node without the same key cannot complete a single handshake (TCP only: pnet protects raw
 * byte streams, and the daemon has no other transport).
 */
import { randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { InvalidConfigError } from '../errors.js'

const HEADER = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'
const KEY_BYTES = 32

/** A new key file's text (what `faasmesh psk generate` prints). */
export function generateSwarmKey (): string {
  return `${HEADER}\n${CODEC}\n${randomBytes(KEY_BYTES).toString('hex')}\n`
}

/**
 * Checks a key file's text and returns it as the bytes `preSharedKey({ psk })` expects. pnet's
 * own decoder only checks the key's length, so a file with another header or codec (a base64
 * key from another tool) would be misread: here it is refused with the line that is wrong.
 */
export function parseSwarmKey (text: string, file: string): Uint8Array {
  const lines = text.trim().split(/\r?\n/).map((line) => line.trim())
  const problem = lines[0] !== HEADER
    ? `its first line must be ${HEADER}`
    : lines[1] !== CODEC
      ? `its second line must be ${CODEC} (the only encoding supported)`
      : lines.length !== 3 || !/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '')
        ? `its third line must be the key: ${KEY_BYTES * 2} hexadecimal digits`
        : undefined
  if (problem != null) throw new InvalidConfigError(`network.pskFile: ${file} is not a pre-shared key file: ${problem} (make one with: faasmesh psk generate > swarm.key)`)
  return new TextEncoder().encode(`${HEADER}\n${CODEC}\n${lines[2]!.toLowerCase()}`)
}

export interface SwarmKey {
  psk: Uint8Array
  /** True when others than the owner may read the file: a leaked key opens the mesh. */
  readableByOthers: boolean
}

/** Reads and checks `network.pskFile`. */
export async function readSwarmKey (file: string): Promise<SwarmKey> {
  let text: string
  let mode: number
  try {
    // a key file is a few dozen bytes: anything large is not one, and is not read into memory
    const info = await stat(file)
    if (!info.isFile() || info.size > 1024) throw new InvalidConfigError(`network.pskFile: ${file} is not a pre-shared key file (${info.isFile() ? `${info.size} bytes` : 'not a regular file'})`)
    mode = info.mode
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err?.name === 'InvalidConfigError') throw err
    throw new InvalidConfigError(`network.pskFile: cannot read ${file}: ${err?.code === 'ENOENT' ? 'no such file' : String(err?.message ?? err)}`)
  }
  return { psk: parseSwarmKey(text, file), readableByOthers: (mode & 0o077) !== 0 }
}
