// Hostile fixture: allocates 1 MiB blocks until the memory cap stops it.
const hoard = new Array<ArrayBuffer>(0)

export function handle (input: ArrayBuffer): ArrayBuffer {
  while (true) hoard.push(new ArrayBuffer(1 << 20))
  return input
}
