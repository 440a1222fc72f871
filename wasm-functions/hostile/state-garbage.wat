;; Passes garbage pointers and lengths to the state imports, as a hostile or broken guest may.
;; The first input byte picks the call (ASCII digits); every one must end in GuestTrapError, the
;; host reading and writing nothing outside the memory, and the sandbox keeps serving:
;;   0 state_get, key at 0xfffffff0 (16 bytes: past the end of the memory)
;;   1 state_get, key fine, destination of 0xffffffff bytes at 64 KiB - 1
;;   2 state_set, key fine, value of 0xffffffff bytes at 0
;;   3 state_set, key fine, value at 0xffffff00 (16 bytes)
;;   4 state_delete, key straddling the end of the memory
;;   5 state_keys, destination of 16 bytes at 0x7fffffff
;;   6 state_get, key of 0xffffffff bytes at 0 (far past the memory, also far past 256 bytes)
;; Any other byte returns the input untouched.
(module
  (import "env" "memory" (memory $mem 1))
  (import "faasmesh" "state_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "faasmesh" "state_set" (func $set (param i32 i32 i32 i32)))
  (import "faasmesh" "state_delete" (func $delete (param i32 i32)))
  (import "faasmesh" "state_keys" (func $keys (param i32 i32) (result i32)))
  ;; the key "k" at 1024
  (data (i32.const 1024) "k")
  ;; __new writes an AssemblyScript-like header (id at 8, size at 12) so handle may return its input
  (func $new (param $size i32) (param $id i32) (result i32)
    (i32.store (i32.const 12) (local.get $size)) (i32.store (i32.const 8) (local.get $id)) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (func $handle (param $input i32) (result i32) (local $op i32)
    (local.set $op (i32.sub (i32.load8_u (local.get $input)) (i32.const 48)))
    (if (i32.eq (local.get $op) (i32.const 0))
      (then (drop (call $get (i32.const 0xfffffff0) (i32.const 16) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 1))
      (then (drop (call $get (i32.const 1024) (i32.const 1) (i32.const 65535) (i32.const 0xffffffff)))))
    (if (i32.eq (local.get $op) (i32.const 2))
      (then (call $set (i32.const 1024) (i32.const 1) (i32.const 0) (i32.const 0xffffffff))))
    (if (i32.eq (local.get $op) (i32.const 3))
      (then (call $set (i32.const 1024) (i32.const 1) (i32.const 0xffffff00) (i32.const 16))))
    (if (i32.eq (local.get $op) (i32.const 4))
      (then (call $delete (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 2)) (i32.const 8))))
    (if (i32.eq (local.get $op) (i32.const 5))
      (then (drop (call $keys (i32.const 0x7fffffff) (i32.const 16)))))
    (if (i32.eq (local.get $op) (i32.const 6))
      (then (drop (call $get (i32.const 0) (i32.const 0xffffffff) (i32.const 0) (i32.const 0)))))
    (local.get $input))
  (export "handle" (func $handle))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem)))
