/**
 * Sanitizer process entry: one module at a time, in a process of its own. binaryen is CPU-heavy
 * (its first import alone takes ~0.7 s) and keeps its own Wasm memory, which no worker limit
 * bounds; in a process the daemon caps that memory, kills a job that runs too long without
 * touching any other, and gets every byte back by ending the process.
 */
import { sanitize, type SanitizedModule, type SanitizeLimits } from './sanitize.js'
import { serveParent } from '../utils/serve-parent.js'

export interface SanitizeRequest { bytes: Uint8Array, limits: SanitizeLimits }

export type SanitizeResponse = (
  | { ok: true, result: SanitizedModule }
  | { ok: false, error: { name: string, message: string } }
) & {
  /** This process's resident memory after the job: the daemon replaces a process grown large. */
  rssBytes: number
}

serveParent<SanitizeRequest, SanitizeResponse>(({ bytes, limits }) => {
  try {
    return { ok: true, result: sanitize(bytes, limits), rssBytes: process.memoryUsage.rss() }
  } catch (err: any) {
    const error = { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err) }
    return { ok: false, error, rssBytes: process.memoryUsage.rss() }
  }
})
