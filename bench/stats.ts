/** Order statistics for benchmark samples (milliseconds). */
export interface Summary { n: number, median: number, p99: number, mean: number }

export function summarize (samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  return { n: sorted.length, median: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length }
}

/** Runs `fn` `warmup` times untimed, then `n` times timed; returns the samples in ms. */
export async function sample (n: number, fn: (i: number) => unknown | Promise<unknown>, warmup = Math.min(50, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn(i)
    out.push(performance.now() - t0)
  }
  return out
}

export function fmt (ms: number): string {
  if (ms < 0.01) return `${(ms * 1000).toFixed(2)} us`
  if (ms < 1) return `${(ms * 1000).toFixed(0)} us`
  return `${ms.toFixed(2)} ms`
}

/** Appends a custom section so V8's per-process module cache cannot recognise the bytes. */
export function uniqueBytes (bytes: Uint8Array, i: number): Uint8Array {
  const name = new TextEncoder().encode('bench')
  const payload = new TextEncoder().encode(String(i))
  const body = [name.length, ...name, ...payload]
  return new Uint8Array([...bytes, 0, body.length, ...body])
}
