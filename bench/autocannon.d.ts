/** The part of autocannon (no types of its own) the benchmarks use. */
declare module 'autocannon' {
  interface Options {
    url: string
    method?: string
    body?: string | Buffer
    headers?: Record<string, string>
    connections?: number
    duration?: number
    pipelining?: number
    timeout?: number
  }
  interface Stats { average: number, mean: number, p50: number, p99: number, min: number, max: number, totalCount?: number }
  interface Result {
    latency: Stats
    requests: Stats & { total: number }
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
  }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
