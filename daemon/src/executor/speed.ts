/**
 * The speed factor a node advertises: a short startup micro-benchmark, so that heterogeneous
 * machines (a Raspberry Pi next to a server) advertise honestly and placement can weigh them.
 * It runs a fixed integer-mixing loop in Wasm, the same engine functions run in.
 */

// (func $work (param $n i32) (result i32): n rounds of xorshift32, returned so V8 cannot drop it
const PROBE_WASM = Buffer.from(
  'AGFzbQEAAAABBgFgAX8BfwMCAQAHCAEEd29yawAACj8BPQECf0G5893xeSEBA0AgASABQQ10cyEBIAEgAUERdnMhASABIAFBBXRzIQEgAkEBaiECIAIgAEkNAAsgAQs=',
  'base64'
)
const ROUNDS = 2_000_000
const RUNS = 7
/** Median time of one run on the reference machine (2.5 GHz Xeon, Node 20): speed 1.0. */
const REFERENCE_MS = 3.5

/**
 * Time per unit of fuel on the reference machine: fib(25) uses 3.66 M fuel and runs in ~1.1 ms
 * there (0.3 ns per unit, instantiation aside). A testbed's slowdown is charged at this rate.
 */
export const REFERENCE_MS_PER_FUEL = 0.3e-6

/** Relative speed of this machine: 2.0 runs functions about twice as fast as the reference. */
export function measureSpeed (): number {
  const work = new WebAssembly.Instance(new WebAssembly.Module(PROBE_WASM)).exports.work as (n: number) => number
  work(ROUNDS) // tier up before timing
  const samples: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    work(ROUNDS)
    samples.push(performance.now() - t0)
  }
  samples.sort((a, b) => a - b)
  const median = samples[Math.floor(RUNS / 2)]!
  // two decimals are all the precision a noisy 50 ms probe has
  return Math.max(0.01, Math.round((REFERENCE_MS / median) * 100) / 100)
}
