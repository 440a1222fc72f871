/** Resident memory of processes, read from /proc (Linux), in MiB. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** VmRSS of one process; NaN when it is gone. */
export function rssMiB (pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024
  } catch {
    return NaN
  }
}

/** A process and its direct children (a daemon's sandbox and sanitizer processes). */
export function treeRssMiB (pid: number): number {
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n').map((l) => Number.parseInt(l, 10)).filter((p) => p > 0)
  // a child that exited meanwhile counts nothing
  return [pid, ...children].map(rssMiB).filter((r) => !Number.isNaN(r)).reduce((a, b) => a + b, 0)
}
