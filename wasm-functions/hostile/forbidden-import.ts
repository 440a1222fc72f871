// Hostile fixture: imports a host function that is not on the allowlist. Deploy must reject it
// with ForbiddenImportError before it is ever instantiated.
@external('env', 'fs_read')
declare function fsRead (path: usize): i32

export function handle (input: ArrayBuffer): ArrayBuffer {
  fsRead(changetype<usize>(input))
  return input
}
