/**
 * Polyfills that must be installed before anything else is imported. Every entry point
 * (`bin/faasmesh.js`, the test runner, the benchmarks) loads this module first.
 *
 * libp2p 3 calls `Promise.withResolvers` (ES2024), which Node 20 lacks; without it the first
 * handshake or stop throws `TypeError: Promise.withResolvers is not a function`.
 */
interface PromiseConstructorWithResolvers {
  withResolvers?: <T>() => PromiseWithResolvers<T>
}

const PromiseCtor = Promise as unknown as PromiseConstructorWithResolvers

if (typeof PromiseCtor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T> (this: PromiseConstructor): PromiseWithResolvers<T> {
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new this<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  })
}

export {}
