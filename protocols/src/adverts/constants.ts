import { PROTOCOL_PREFIX } from '../constants.js'

export const TOPIC_NAME = 'adverts'
export const TOPIC_VERSION = '1.0.0'
/** The gossipsub topic capacity adverts travel on. */
export const ADVERTS_TOPIC = `${PROTOCOL_PREFIX}/${TOPIC_NAME}/${TOPIC_VERSION}`

/** A few adverts per node per second at most: one every 2 s, plus prompt ones on change. */
export const DEFAULT_INTERVAL_MS = 2_000
/** A prompt advert on change waits at least this long after the previous one. */
export const MIN_PUBLISH_GAP_MS = 250
/** An entry with no advert for this many intervals is dropped from the view. */
export const TTL_INTERVALS = 3

/**
 * Larger payloads are rejected: 64 warm CIDs x 36 B + 16 multiaddrs x ~50 B + 16 tags x ~64 B
 * + 4 URLs x ~40 B stays near 4.3 KiB, so 8 KiB leaves room without letting a peer flood.
 */
export const MAX_ADVERT_BYTES = 8 * 1024
/** Decode limits on the repeated fields (the .proto's limits, enforced again on decode). */
export const DECODE_LIMITS = { warmCids: 64, tags: 16, multiaddrs: 16, httpAddrs: 4 }
/** Adverts whose timestamp is further than this from our clock are rejected. */
export const MAX_CLOCK_SKEW_MS = 60_000
/** No node has more slots than this; a larger claim is a lie. */
export const MAX_SLOTS = 4096
/** Speed factors outside (0, MAX_SPEED] are rejected. */
export const MAX_SPEED = 1000
/** A battery charge is a percentage: 0-100. */
export const MAX_BATTERY_PERCENT = 100
/** Tag keys and values are short labels. */
export const MAX_TAG_BYTES = 64

/**
 * gossipsub scores peers down once more than 10 share one IP (IP colocation, a sybil defence)
 * and then ignores their grafts: a mesh of 12 or more nodes on one host delivered no adverts at
 * all. Nodes on one host (testbeds) or behind one NAT (a community LAN) are how faasmesh is run,
 * so loopback is exempt and the threshold is 32 peers per IP.
 */
export function gossipScoreParams (): { IPColocationFactorThreshold: number, IPColocationFactorWhitelist: Set<string> } {
  return { IPColocationFactorThreshold: 32, IPColocationFactorWhitelist: new Set(['127.0.0.1', '::1']) }
}
