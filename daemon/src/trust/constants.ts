/** The trust list's file in the data dir, written by `faasmesh trust add|remove`. */
export const TRUST_FILE = 'trust.json'

/** The trust list's format; a file of another version is refused rather than misread. */
export const TRUST_FILE_VERSION = 1

/**
 * Publishers the trust list holds at most: the file is read on every change while the node runs,
 * and 4096 entries of ~120 B keep it under half a MiB.
 */
export const MAX_LISTED_PUBLISHERS = 4096

/** A label is for a person reading `faasmesh trust list`, not a document. */
export const MAX_LABEL_LENGTH = 64

/**
 * CIDs whose name records this node remembers (least recently used go first). Any peer can sign
 * records for code of its own, so the book is bounded: 1024 CIDs of up to 4 records of at most
 * 1 KiB each is 4 MiB at worst, far more than a node calls within a while.
 */
export const MAX_REMEMBERED_CIDS = 1024

/** Records kept per CID (one per publisher, the newest): several publishers may name the same code. */
export const MAX_RECORDS_PER_CID = 4
