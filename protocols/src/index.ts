/**
 * @packageDocumentation
 *
 * faasmesh's wire protocols, each a libp2p service (mechanism only). Import a protocol from its
 * folder's index, e.g. `protocols/src/adverts/index.js`.
 */
export { PROTOCOL_PREFIX } from './constants.js'
export * as adverts from './adverts/index.js'
