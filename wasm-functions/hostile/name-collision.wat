;; A module whose own function and globals carry the instrumenter's internal names (the name
;; section is the publisher's to write). binaryen threw an unnamed C++ exception on the
;; collision and the deploy failed with "[object Object]". Expected: accepted, and it runs
;; (handle grows the memory through its own $__faasmesh_grow).
(module
  (import "env" "memory" (memory $mem 1))
  (global $__faasmesh_fuel (mut i32) (i32.const 0))
  (global $__faasmesh_oom (mut i32) (i32.const 0))
  (func $__faasmesh_grow (param i32) (result i32) (memory.grow (local.get 0)))
  (func $__faasmesh_fill (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  ;; __new writes an AssemblyScript-like header (id at 8, size at 12) so handle may return its input
  (func $new (param $size i32) (param $id i32) (result i32)
    (i32.store (i32.const 12) (local.get $size)) (i32.store (i32.const 8) (local.get $id)) (i32.const 16))
  (func $pin (param i32) (result i32) (local.get 0))
  (func $unpin (param i32))
  (func $handle (param $input i32) (result i32)
    (global.set $__faasmesh_fuel (call $__faasmesh_grow (i32.const 1)))
    (call $__faasmesh_fill (i32.const 65536) (global.get $__faasmesh_oom) (i32.const 16))
    (local.get $input))
  (export "handle" (func $handle))
  (export "__new" (func $new))
  (export "__pin" (func $pin))
  (export "__unpin" (func $unpin))
  (export "memory" (memory $mem)))
