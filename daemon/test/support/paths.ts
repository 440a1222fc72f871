import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (tests run from dist/, so walk up to our package.json). */
export const ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'faasmesh') {
    const up = dirname(dir)
    if (up === dir) throw new Error('package root not found')
    dir = up
  }
  return dir
})()

export const BIN = join(ROOT, 'bin', 'faasmesh.js')

/** Bytes of a built function: `wasm('hello')`, `wasm('hostile/loop')`. */
export function wasm (name: string): Uint8Array {
  return readFileSync(join(ROOT, 'build', `${name}.wasm`))
}

export const SAMPLES = ['hello', 'fib', 'sensor-stats', 'wordcount', 'checksum', 'threshold'] as const

/** A temporary directory removed by the returned cleanup. */
export async function tempDir (prefix = 'faasmesh-test-'): Promise<{ path: string, cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: async () => { await rm(path, { recursive: true, force: true }) } }
}
