/**
 * A value kept beside an error: errors thrown through our layers carry no fields of ours, so what
 * a later layer needs to know of a failure (the placement record it left, the lines it logged) is
 * noted here, weakly: it goes when the error goes.
 */
export interface ErrorNotes<T> {
  /** Notes `value` for `err` (only the first note, with `keepFirst`); returns the error. */
  note<E>(err: E, value: T): E
  /** What was noted for `err`, if anything. */
  of(err: unknown): T | undefined
}

export function errorNotes<T> (options: { keepFirst?: boolean } = {}): ErrorNotes<T> {
  const notes = new WeakMap<object, T>()
  return {
    note (err, value) {
      if (err != null && typeof err === 'object' && (options.keepFirst !== true || !notes.has(err))) notes.set(err, value)
      return err
    },
    of (err) {
      return err != null && typeof err === 'object' ? notes.get(err) : undefined
    }
  }
}
