/**
 * A closed-loop HTTP load generator with sub-millisecond latency samples: `connections`
 * keep-alive connections, each sending its next request as soon as the previous answer arrived,
 * for `seconds`. (autocannon reports whole milliseconds, too coarse for a ~1 ms request.)
 */
import { Agent, request } from 'node:http'
import { summarize, type Summary } from './stats.js'

export interface LoadResult extends Summary { throughput: number, errors: number }

export async function httpLoad (url: string, body: string, seconds: number, connections: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const target = new URL(url)
  const payload = Buffer.from(body)
  const samples: number[] = []
  let errors = 0
  const end = performance.now() + seconds * 1000

  const once = async (): Promise<void> => {
    const t0 = performance.now()
    await new Promise<void>((resolve) => {
      const req = request(target, { method: 'POST', agent, headers: { 'content-length': payload.byteLength } }, (res) => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode === 200) samples.push(performance.now() - t0)
          else errors++
          resolve()
        })
      })
      req.on('error', () => { errors++; resolve() })
      req.end(payload)
    })
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) await once()
  }))
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  return { ...summarize(samples), throughput: samples.length / elapsed, errors }
}
