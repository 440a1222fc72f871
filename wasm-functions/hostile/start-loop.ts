// Hostile fixture: spins forever in the start function, which runs during instantiation, before
// the host ever calls an export.
let counter: i64 = 0
while (true) counter++

export function handle (input: ArrayBuffer): ArrayBuffer {
  return input
}
