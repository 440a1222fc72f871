// Hostile fixture: unbounded recursion. V8 stops it with a stack overflow inside the worker.
function dive (depth: i32): i32 {
  return dive(depth + 1) + 1
}

export function handle (input: ArrayBuffer): ArrayBuffer {
  dive(0)
  return input
}
