/**
 * Waiting for a mesh to go quiet between runs, so one run's backlog never reaches the next:
 * polls each gateway's metrics until no executor runs or queues anything.
 */

/** Invocations running or queued on the node behind `url` (0 when it does not answer). */
async function active (url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text()
    return Number(/faasmesh_executor_pool_workers\{state="busy"\} (\d+)/.exec(text)?.[1] ?? 0) + Number(/faasmesh_executor_queue_length (\d+)/.exec(text)?.[1] ?? 0)
  } catch {
    return 0
  }
}

/** True once every node is idle, false if they are not within `timeoutMs`. */
export async function drain (urls: () => string[], options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<boolean> {
  const until = Date.now() + (options.timeoutMs ?? 60_000)
  while (Date.now() < until) {
    options.signal?.throwIfAborted()
    if ((await Promise.all(urls().map(active))).every((n) => n === 0)) return true
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return false
}
