/** Every faasmesh protocol id and topic starts with this (DESIGN.md section 3). */
export const PROTOCOL_PREFIX = '/faasmesh'
