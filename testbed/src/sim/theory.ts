/**
 * Mean sojourn time over mean service time in the supermarket model (Mitzenmacher 2001,
 * "The power of two choices in randomized load balancing"): n -> infinity identical
 * exponential servers, Poisson arrivals at rate rho per server, each job joining the shortest
 * of d queues drawn uniformly. The fraction of queues holding at least i jobs is
 * rho^((d^i - 1)/(d - 1)), so by Little's law T = sum_{i>=1} rho^((d^i - d)/(d - 1)); d = 1 is
 * M/M/1, 1 / (1 - rho).
 */
export function supermarketSojourn (d: number, rho: number): number {
  if (d === 1) return 1 / (1 - rho)
  let sum = 0
  for (let i = 1; i < 64; i++) {
    const term = rho ** ((d ** i - d) / (d - 1))
    sum += term
    if (term < 1e-12) break
  }
  return sum
}

/** The d a policy stands for in the supermarket model (fresh views), or undefined where it has no closed form. */
export function choicesOf (policy: string, viewSize: number, nodes: number): number | undefined {
  if (policy === 'random') return 1
  if (policy === 'power-of-two') return 2
  const d = /^power-of-(\d+)$/.exec(policy)
  if (d != null) return Number(d[1])
  // least-loaded looks at its whole view, itself included: join the shortest of viewSize + 1
  if (policy === 'least-loaded') return viewSize > 0 && viewSize < nodes - 1 ? viewSize + 1 : undefined
  return undefined
}
