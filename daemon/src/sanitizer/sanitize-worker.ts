/**
 * Worker entry for the sanitizer. binaryen is CPU-heavy (and its first import alone takes
 * ~0.7 s), so deploys never block the daemon's event loop; the worker stays alive between jobs.
 */
import { parentPort } from 'node:worker_threads'
import { sanitize, type SanitizeLimits } from './sanitize.js'

interface SanitizeRequest { id: number, bytes: Uint8Array, limits: SanitizeLimits }

parentPort?.on('message', ({ id, bytes, limits }: SanitizeRequest) => {
  try {
    const result = sanitize(bytes, limits)
    parentPort!.postMessage({ id, ok: true, result }, [result.bytes.buffer as ArrayBuffer])
  } catch (err: any) {
    parentPort!.postMessage({ id, ok: false, error: { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err) } })
  }
})
