/**
 * Pure checks on a received advert. Returns the reason to reject it, or undefined to accept.
 * Never throws: a hostile payload is data, not an exception.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import {
  DECODE_LIMITS, MAX_ADVERT_BYTES, MAX_BATTERY_PERCENT, MAX_CLOCK_SKEW_MS, MAX_SLOTS, MAX_SPEED, MAX_TAG_BYTES
} from './constants.js'
import { CapacityAdvert } from './pb/advert.js'

/** Why an advert was rejected; also the `reason` label of the rejection metric. */
export type RejectReason = 'unsigned' | 'oversized' | 'undecodable' | 'stale' | 'clock-skew' | 'inconsistent' | 'forged-address'

export type ValidationResult = { ok: true, advert: CapacityAdvert } | { ok: false, reason: RejectReason, detail: string }

export interface ValidationContext {
  /** The signer of the gossipsub message, as a string. */
  from: string
  /** Our clock, ms since the epoch. */
  now: number
  /** The highest seq accepted from this peer so far, if any. */
  lastSeq?: number
}

export function validateAdvert (data: Uint8Array, context: ValidationContext): ValidationResult {
  if (data.byteLength > MAX_ADVERT_BYTES) return { ok: false, reason: 'oversized', detail: `${data.byteLength} bytes` }
  let advert: CapacityAdvert
  try {
    advert = CapacityAdvert.decode(data, { limits: DECODE_LIMITS })
  } catch (err: any) {
    return { ok: false, reason: 'undecodable', detail: String(err?.message ?? err) }
  }
  if (context.lastSeq != null && advert.seq <= context.lastSeq) {
    return { ok: false, reason: 'stale', detail: `seq ${advert.seq} <= ${context.lastSeq}` }
  }
  if (Math.abs(advert.timestamp - context.now) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: 'clock-skew', detail: `timestamp ${advert.timestamp} vs now ${context.now}` }
  }
  const inconsistent = consistencyProblem(advert)
  if (inconsistent != null) return { ok: false, reason: 'inconsistent', detail: inconsistent }
  for (const bytes of advert.multiaddrs) {
    let peer: string | undefined
    try {
      peer = multiaddr(bytes).getComponents().findLast((c) => c.name === 'p2p')?.value
    } catch {
      return { ok: false, reason: 'inconsistent', detail: 'malformed multiaddr' }
    }
    if (peer !== context.from) return { ok: false, reason: 'forged-address', detail: `address of ${peer ?? 'no peer'} in an advert signed by ${context.from}` }
  }
  return { ok: true, advert }
}

function consistencyProblem (a: CapacityAdvert): string | undefined {
  if (a.slotsTotal > MAX_SLOTS) return `slotsTotal ${a.slotsTotal} > ${MAX_SLOTS}`
  if (a.slotsFree > a.slotsTotal) return `slotsFree ${a.slotsFree} > slotsTotal ${a.slotsTotal}`
  if (!Number.isFinite(a.speed) || a.speed <= 0 || a.speed > MAX_SPEED) return `speed ${a.speed}`
  if (!Number.isSafeInteger(a.memoryFreeBytes)) return 'memoryFreeBytes out of range'
  // a charge in percent: a larger one is a lie placement would believe (it ranks battery nodes by it)
  if (a.batteryPercent != null && (!Number.isInteger(a.batteryPercent) || a.batteryPercent < 0 || a.batteryPercent > MAX_BATTERY_PERCENT)) return `batteryPercent ${a.batteryPercent}`
  for (const tag of a.tags) {
    if (tag.key === '' || tag.key.length > MAX_TAG_BYTES || tag.value.length > MAX_TAG_BYTES) return 'tag too long or empty'
  }
  for (const cid of a.warmCids) {
    try {
      CID.decode(cid)
    } catch {
      return 'malformed warm CID'
    }
  }
  for (const url of a.httpAddrs) {
    if (!/^https?:\/\/[^\s]{1,200}$/.test(url)) return 'malformed http address'
  }
  return undefined
}
