/** Placement policies (docs/placement.md), selectable per request and per node. */
export const POLICIES = ['auction', 'local', 'random', 'round-robin', 'least-loaded', 'power-of-two'] as const
export type PolicyName = typeof POLICIES[number]
