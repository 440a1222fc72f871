/**
 * Defaults of the sanitizer's process pool (docs/sandbox.md, "Sanitizer isolation"). Measured on
 * the 2-core reference machine: the largest module the bounds admit instruments in 6-8 s (18 s seen on a machine loaded 4x over)
 * with binaryen's memory well under the cap; every sample function in 20-300 ms.
 */

/** A job's own work (the wait in the queue and the process start excluded) may take this long. */
export const DEFAULT_SANITIZER_TIMEOUT_MS = 30_000

/** Jobs running at once, each in its own process: deploys are rare and binaryen is CPU-heavy. */
export const DEFAULT_SANITIZER_CONCURRENCY = 1

/** Jobs waiting beyond those running; more are refused with NoCapacityError, never queued unbounded. */
export const DEFAULT_SANITIZER_MAX_QUEUE = 32

/** binaryen's Wasm memory per process, in MiB; a job that needs more is refused. */
export const DEFAULT_SANITIZER_MEMORY_MB = 1024

/** V8 heap of a sanitizer process, in MiB: binaryen's JS side is small, its data lives in Wasm memory. */
export const DEFAULT_SANITIZER_HEAP_MB = 256

/**
 * A process resident above this after a job is replaced, so the memory goes back to the system.
 * node with binaryen loaded is ~116 MiB, ~190 MiB after a small module (binaryen never returns
 * memory it grew); the costliest modules leave 300-470 MiB.
 */
export const DEFAULT_SANITIZER_RECYCLE_RSS_MB = 320
