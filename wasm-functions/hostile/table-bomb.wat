;; The issue's 128-byte daemon killer: a table of 5,000,000 funcrefs. V8 allocates a table on the
;; JS heap in one piece at instantiation and aborts the whole process when it cannot. Expected:
;; InvalidModuleError at deploy, naming the table limit (executor.maxTableEntries).
(module
  (import "env" "memory" (memory $mem 1))
  (table $bomb 5000000 funcref)
  ;; __new writes an AssemblyScript-like header (id at 8, size at 12) so handle may return its input
  (func $new (param $size i32) (param $id i32) (result i32)
    (i32.store (i32.const 12) (local.get $size)) (i32.store (i32.const 8) (local.get $id)) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (func $handle (param i32) (result i32) (local.get 0))
  (export "handle" (func $handle))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem)))
