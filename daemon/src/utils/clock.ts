/**
 * Time as placement sees it: the wall clock in the daemon, a virtual one in the simulator
 * (testbed/src/sim), so both run one implementation of the bid window, reservations and the
 * rest. Only what those modules use: a monotonic now and one-shot timers.
 */
export interface ClockTimer {
  /** A wall-clock timer lets the process exit while it is pending; a virtual one has nothing to let go. */
  unref?(): unknown
}

export interface Clock {
  /** Milliseconds on a monotonic scale (`performance.now()` on the wall clock). */
  now(): number
  setTimeout(fn: () => void, ms: number): ClockTimer
  clearTimeout(timer: ClockTimer | undefined): void
}

export const wallClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => { clearTimeout(timer as ReturnType<typeof setTimeout> | undefined) }
}
