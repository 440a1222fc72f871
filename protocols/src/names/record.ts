/**
 * Signed name records: creating them, checking them, and choosing among them. A record binds
 * `<publisher>/<name>` to a CID; only the publisher's key can sign it, and the DHT key names the
 * publisher, so nobody can take over a name they did not publish.
 */
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as json from 'multiformats/codecs/json'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { FUNCTION_NAME_PATTERN, MAX_RECORD_BYTES, NAME_KEY_PREFIX, SIGNATURE_DOMAIN } from './constants.js'
import { NameRecord } from './pb/name-record.js'
import type { PrivateKey } from '@libp2p/interface'

/** A DHT record under a name key failed a check; the message says which. */
export class InvalidNameRecordError extends Error {
  static name = 'InvalidNameRecordError'
  constructor (message = 'Invalid name record') {
    super(message)
    this.name = 'InvalidNameRecordError'
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** `/faasmesh/fn/<publisher>/<name>` as the bytes the DHT uses. */
export function nameKey (publisher: string, name: string): Uint8Array {
  return encoder.encode(`${NAME_KEY_PREFIX}${publisher}/${name}`)
}

/** The publisher and name of a name key, or undefined when the key is not one. */
export function parseNameKey (key: Uint8Array): { publisher: string, name: string } | undefined {
  const text = decoder.decode(key)
  if (!text.startsWith(NAME_KEY_PREFIX)) return undefined
  const parts = text.slice(NAME_KEY_PREFIX.length).split('/')
  if (parts.length !== 2 || parts[0] === '' || !FUNCTION_NAME_PATTERN.test(parts[1]!)) return undefined
  return { publisher: parts[0]!, name: parts[1]! }
}

function signedBytes (record: NameRecord): Uint8Array {
  const body = NameRecord.encode({ ...record, signature: new Uint8Array(0) })
  const out = new Uint8Array(SIGNATURE_DOMAIN.length + body.byteLength)
  out.set(encoder.encode(SIGNATURE_DOMAIN))
  out.set(body, SIGNATURE_DOMAIN.length)
  return out
}

/**
 * A signed record binding `name` to `cid`; `deleted`: a tombstone, which binds the name to
 * nothing (with a `seq` above the last binding's, it wins over it everywhere).
 */
export async function createNameRecord (key: PrivateKey, name: string, cid: string, seq: number, options: { deleted?: boolean } = {}): Promise<Uint8Array> {
  const record: NameRecord = {
    name,
    cid: CID.parse(cid).bytes as Uint8Array<ArrayBuffer>,
    seq,
    timestamp: Date.now(),
    publicKey: publicKeyToProtobuf(key.publicKey) as Uint8Array<ArrayBuffer>,
    signature: new Uint8Array(0),
    deleted: options.deleted === true
  }
  record.signature = await key.sign(signedBytes(record)) as Uint8Array<ArrayBuffer>
  return NameRecord.encode(record)
}

export interface VerifiedNameRecord {
  publisher: string
  name: string
  cid: string
  seq: number
  timestamp: number
  /** A tombstone: the publisher deleted the name (`cid` is the last one it had). */
  deleted?: boolean
}

/**
 * Checks a record found under `key`: well-formed, for the name and publisher in the key, a CID
 * of the right kind, signed by the publisher. Throws `InvalidNameRecordError`.
 */
export async function verifyNameRecord (key: Uint8Array, value: Uint8Array): Promise<VerifiedNameRecord> {
  const target = parseNameKey(key)
  if (target == null) throw new InvalidNameRecordError('not a /faasmesh/fn/<publisher>/<name> key')
  if (value.byteLength > MAX_RECORD_BYTES) throw new InvalidNameRecordError(`record is ${value.byteLength} bytes`)
  let record: NameRecord
  try {
    record = NameRecord.decode(value)
  } catch (err: any) {
    throw new InvalidNameRecordError(`undecodable record: ${String(err?.message ?? err)}`)
  }
  if (record.name !== target.name) throw new InvalidNameRecordError(`record names "${record.name.slice(0, 64)}", key names "${target.name}"`)
  let cid: CID
  try {
    cid = CID.decode(record.cid)
  } catch {
    throw new InvalidNameRecordError('malformed CID')
  }
  // a function (raw) or a chain spec (json, DESIGN.md section 11)
  if (cid.version !== 1 || (cid.code !== raw.code && cid.code !== json.code) || cid.multihash.code !== sha256.code) throw new InvalidNameRecordError('CID is not CIDv1 raw or json sha2-256')
  if (record.signature.byteLength === 0) throw new InvalidNameRecordError('record is not signed')
  let publicKey
  try {
    publicKey = publicKeyFromProtobuf(record.publicKey)
  } catch {
    throw new InvalidNameRecordError('malformed public key')
  }
  if (peerIdFromPublicKey(publicKey).toString() !== target.publisher) throw new InvalidNameRecordError('record is signed by a key other than the publisher\'s in its key')
  if (!(await publicKey.verify(signedBytes(record), record.signature))) throw new InvalidNameRecordError('bad signature')
  return { publisher: target.publisher, name: record.name, cid: cid.toString(), seq: record.seq, timestamp: record.timestamp, ...(record.deleted ? { deleted: true } : {}) }
}

/** The DHT validator for the `faasmesh` key namespace. */
export async function validateNameRecord (key: Uint8Array, value: Uint8Array): Promise<void> {
  await verifyNameRecord(key, value)
}

/** The DHT selector: the highest sequence number wins (every candidate has the same publisher, by key). */
export function selectNameRecord (key: Uint8Array, records: Uint8Array[]): number {
  let best = 0
  let bestSeq = -1
  records.forEach((value, i) => {
    try {
      const seq = NameRecord.decode(value).seq
      if (seq > bestSeq) {
        best = i
        bestSeq = seq
      }
    } catch {}
  })
  return best
}
