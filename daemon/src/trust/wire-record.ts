/**
 * A name record that came with a CID from a peer (CallForBids.name_record,
 * InvokeRequest.name_record): checked with the DHT's own validation (well-formed, signed by the
 * key whose peer id is the publisher), and for naming that very CID.
 */
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { InvalidNameRecordError, NameRecord, nameKey, verifyNameRecord } from '../../../protocols/src/names/index.js'
import { MAX_RECORD_BYTES } from '../../../protocols/src/names/constants.js'
import type { KnownRecord } from './index.js'

/**
 * The publisher a record claims (the peer id of its key), unverified, or undefined when it does
 * not decode: enough to refuse an untrusted publisher's record without checking its signature.
 */
export function claimedPublisher (bytes: Uint8Array): string | undefined {
  if (bytes.byteLength > MAX_RECORD_BYTES) return undefined
  try {
    return peerIdFromPublicKey(publicKeyFromProtobuf(NameRecord.decode(bytes).publicKey)).toString()
  } catch {
    return undefined
  }
}

/**
 * The record in `bytes`, verified, when it names `cid`. Throws `InvalidNameRecordError` saying
 * what is wrong: undecodable, a bad signature (or one by another key), another CID.
 */
export async function verifyRecordFor (cid: string, bytes: Uint8Array): Promise<KnownRecord> {
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new InvalidNameRecordError(`record is ${bytes.byteLength} bytes`)
  let publisher: string
  let name: string
  try {
    const record = NameRecord.decode(bytes)
    name = record.name
    // the publisher is whoever holds the key; the signature check below proves it signed
    publisher = peerIdFromPublicKey(publicKeyFromProtobuf(record.publicKey)).toString()
  } catch (err: any) {
    throw new InvalidNameRecordError(`undecodable record or key: ${String(err?.message ?? err).slice(0, 200)}`)
  }
  const verified = await verifyNameRecord(nameKey(publisher, name), bytes)
  if (verified.cid !== cid) throw new InvalidNameRecordError(`the record names ${verified.cid}, not ${cid}`)
  if (verified.deleted === true) throw new InvalidNameRecordError(`the record is a tombstone: its publisher deleted ${name}`)
  return { ...verified, bytes }
}
