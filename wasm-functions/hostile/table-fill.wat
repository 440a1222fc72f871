;; table.fill: binaryen.js 131 reads it but cannot build or inspect it, so the metering cannot
;; charge its length. Expected: InvalidModuleError at deploy naming table.fill (AssemblyScript
;; never emits it).
(module
  (import "env" "memory" (memory $mem 1))
  (table $t 16 funcref)
  ;; __new writes an AssemblyScript-like header (id at 8, size at 12) so handle may return its input
  (func $new (param $size i32) (param $id i32) (result i32)
    (i32.store (i32.const 12) (local.get $size)) (i32.store (i32.const 8) (local.get $id)) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (func $handle (param i32) (result i32)
    (table.fill $t (i32.const 0) (ref.null func) (i32.const 16))
    (local.get 0))
  (export "handle" (func $handle))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem)))
