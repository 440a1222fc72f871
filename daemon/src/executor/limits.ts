/**
 * Sandbox limits and their defaults, in one place (DESIGN.md section 2). Every limit is enforced
 * by the host, never left to the guest: the memory maximum is the host's `WebAssembly.Memory`,
 * the clock is killing the sandbox process, fuel is injected at deploy.
 */
import { availableParallelism } from 'node:os'

export interface ExecutionLimits {
  /** Memory cap per instance, in 64 KiB pages. */
  memoryPages: number
  /** Wall-clock limit per invocation; the sandbox process is killed and replaced past it. */
  timeoutMs: number
  /** Instruction budget per invocation (see sanitizer/instrument.ts for the cost model). */
  fuel: number
  /** Input bytes accepted per invocation. */
  maxInputBytes: number
  /** Output bytes accepted per invocation; checked in guest memory before anything is copied. */
  maxOutputBytes: number
}

export const DEFAULT_LIMITS: Readonly<ExecutionLimits> = {
  // 16 MiB: ample for AssemblyScript functions over 1 MiB inputs, small enough that a full
  // pool of guests cannot exhaust a small edge machine
  memoryPages: 256,
  timeoutMs: 5_000,
  // about 0.1-0.4 s of compute on a 2.5 GHz core (shared/research/wasm.md section 4.2)
  fuel: 1_000_000_000,
  maxInputBytes: 1 << 20,
  maxOutputBytes: 1 << 20
}

/** The largest values a node may configure: 256 MiB of memory, a minute, 1e12 fuel, 64 MiB payloads. */
export const MAX_LIMITS: Readonly<ExecutionLimits> = {
  memoryPages: 4096,
  timeoutMs: 60_000,
  fuel: 1e12,
  maxInputBytes: 64 << 20,
  maxOutputBytes: 64 << 20
}

/** One sandbox process per core, keeping one core for the event loop, libp2p and the gateway. */
export const DEFAULT_SLOTS = Math.max(1, availableParallelism() - 1)

/** Starting a sandbox process takes ~100-250 ms here; a spare makes that invisible to the next call. */
export const DEFAULT_SPARES = 1

/** Invocations waiting for a slot beyond this are refused with NoCapacityError. */
export const DEFAULT_MAX_QUEUE = 64

/** Compiled modules kept in memory; recompiling a small module costs only ~0.4 ms. */
export const DEFAULT_MODULE_CACHE_SIZE = 256

/**
 * Module bytes each sandbox process keeps compiled: 16 modules of the largest size allowed, or
 * hundreds of usual ones. Compiled code lives outside the sandbox's V8 heap limit, and every
 * slot and spare holds its own copy, so without a bound it would multiply with them.
 */
export const DEFAULT_SANDBOX_MODULE_BYTES = 64 << 20

/** A guest's log output is capped so a chatty function cannot flood the daemon. */
export const MAX_LOG_MESSAGES = 64
export const MAX_LOG_MESSAGE_BYTES = 1024

/**
 * V8 heap of each sandbox process, in MiB: the host side of marshaling (at most the input and
 * output caps) and V8's per-instance objects (tables). Guest memories are not in it; the host
 * memory maximum caps them.
 */
export const DEFAULT_SANDBOX_HEAP_MB = 64
