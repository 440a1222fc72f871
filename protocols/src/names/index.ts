/**
 * @packageDocumentation
 *
 * Signed function-name records for the DHT: `/faasmesh/fn/<publisher peer id>/<name>` holds a
 * `NameRecord` (name, CID, sequence, publisher key, signature). Register `validateNameRecord`
 * and `selectNameRecord` with kad-dht under the `faasmesh` namespace so every node refuses
 * unsigned, badly signed, malformed or misplaced records and picks the newest. Spec:
 * docs/protocols.md.
 *
 * @example
 * ```ts
 * kadDHT({ validators: { faasmesh: validateNameRecord }, selectors: { faasmesh: selectNameRecord } })
 * await node.contentRouting.put(nameKey(me, 'hello'), await createNameRecord(privateKey, 'hello', cid, 1))
 * ```
 */
export { FUNCTION_NAME_PATTERN, NAME_KEY_NAMESPACE, NAME_KEY_PREFIX } from './constants.js'
export { NameRecord } from './pb/name-record.js'
export {
  createNameRecord, InvalidNameRecordError, nameKey, parseNameKey, selectNameRecord, validateNameRecord, verifyNameRecord,
  type VerifiedNameRecord
} from './record.js'
