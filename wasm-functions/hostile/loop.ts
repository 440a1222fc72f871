// Hostile fixture: spins forever inside handle. The host must stop it (fuel or wall clock).
let counter: i64 = 0

export function handle (input: ArrayBuffer): ArrayBuffer {
  while (true) counter++
  return input
}
