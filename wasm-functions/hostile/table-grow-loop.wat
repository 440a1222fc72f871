;; A table with no maximum, grown by 1,024 entries at a time until a grow fails, then a trap (as
;; a guest checking for -1 would do). The sanitizer gives the table a maximum (the node's
;; executor.maxTableEntries) and routes table.grow through a helper that returns -1 past it and
;; raises the out-of-memory flag. Expected: OutOfMemoryError, with ~2.7e8 fuel charged for the
;; 65,536 entries (under the default budget of 1e9).
(module
  (import "env" "memory" (memory $mem 1))
  (table $t 1 funcref)
  ;; __new writes an AssemblyScript-like header (id at 8, size at 12) so handle may return its input
  (func $new (param $size i32) (param $id i32) (result i32)
    (i32.store (i32.const 12) (local.get $size)) (i32.store (i32.const 8) (local.get $id)) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (func $handle (param i32) (result i32)
    (loop $more
      (br_if $more (i32.ne (table.grow $t (ref.null func) (i32.const 1024)) (i32.const -1))))
    (unreachable))
  (export "handle" (func $handle))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem)))
