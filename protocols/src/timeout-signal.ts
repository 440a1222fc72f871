/**
 * `AbortSignal.timeout(ms)` that its own timer keeps alive until it fires. Node 20's
 * `AbortSignal.any()` holds its sources weakly: a timeout signal that nothing else references can
 * be garbage-collected before its time, and the combined signal then never aborts (measured: a
 * 200 ms timeout inside `AbortSignal.any` never fired after two GCs; seen as a resolve that hung
 * past its 5 s bound in the full test suite). Use this one inside `AbortSignal.any`.
 */
export function timeoutSignal (ms: number): AbortSignal {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) }, ms)
  // a pending timeout never keeps the process alive, as AbortSignal.timeout's does not
  timer.unref?.()
  return controller.signal
}
