;; 400 x memory.copy of 8 MB (3.2 GB moved). Expected: OutOfFuelError under the default budget
;; of 1e9, as for fill-bomb. The memory grows to 256 pages (16 MiB, the default cap) first; the
;; copies stay clear of the first 64 KiB, where the input lives.
(module
  (import "env" "memory" (memory $mem 1))
  ;; __new writes an AssemblyScript-like header (id at 8, size at 12) so handle may return its input
  (func $new (param $size i32) (param $id i32) (result i32)
    (i32.store (i32.const 12) (local.get $size)) (i32.store (i32.const 8) (local.get $id)) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (func $handle (param $input i32) (result i32) (local $i i32)
    (if (i32.eq (memory.grow (i32.const 255)) (i32.const -1)) (then (unreachable)))
    (loop $again
      (memory.copy (i32.const 8200000) (i32.const 65536) (i32.const 8000000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 400))))
    (local.get $input))
  (export "handle" (func $handle))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem)))
