/** Where Linux lists power supplies: one directory per battery or adapter. */
export const SYSFS_POWER_SUPPLY = '/sys/class/power_supply'

/**
 * Below this charge the price stops rising: (100 / 10)² = a hundred times the mains price is
 * dear enough to lose every auction a mains node can answer, and the decline threshold (20 % by
 * default) stops other peers' bids before it matters.
 */
export const MIN_PRICED_PERCENT = 10

/**
 * The level a node on battery is priced at when it cannot read its level (tagged
 * power=battery on a host with no readable battery): half full (4 times the price), so it is
 * dearer than a full battery but never declines, since it cannot know it is low.
 */
export const UNKNOWN_LEVEL_PERCENT = 50

/** Re-reading the level: once per advert interval by default (a few small files). @default */
export const DEFAULT_REFRESH_MS = 2000

/** A sysfs file we read is a line of text: anything longer is not what we expect. */
export const MAX_SYSFS_FILE_BYTES = 64

/** Power supplies looked at, at most: a real host has a handful. */
export const MAX_SUPPLIES = 32

/** Below this charge a node on battery declines other peers' calls (config power.declineBelowPercent). */
export const DEFAULT_DECLINE_BELOW_PERCENT = 20
