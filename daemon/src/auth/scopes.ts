/**
 * Token scopes nest: admin includes deploy, deploy includes invoke (DESIGN.md section 12).
 */
import type { TokenScope } from '../config/index.js'

export const TOKEN_SCOPES: readonly TokenScope[] = ['invoke', 'deploy', 'admin']

const RANK: Readonly<Record<TokenScope, number>> = { invoke: 1, deploy: 2, admin: 3 }

export function isTokenScope (value: unknown): value is TokenScope {
  return typeof value === 'string' && Object.hasOwn(RANK, value)
}

/** Whether a token with scope `held` may use a route that needs `needed`. */
export function scopeCovers (held: TokenScope, needed: TokenScope): boolean {
  return RANK[held] >= RANK[needed]
}
