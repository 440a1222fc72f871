/**
 * Notices that the process which started this one has gone. `npx faasmesh daemon` and `npm start`
 * run the daemon under `sh -c`; npm passes a SIGTERM on to that shell, which dies of it without
 * passing it on, and the daemon would live on holding its ports. Polling is enough: Node has no
 * parent-death signal, and `process.ppid` is read once at start-up.
 */

export interface ParentWatchInit {
  /** The parent to follow. @default process.ppid */
  pid?: number
  /** How often to look. @default 1000 */
  intervalMs?: number
}

export interface ParentWatch {
  stop(): void
}

/** Calls `onExit` once when `pid` no longer exists; the timer never keeps the process alive. */
export function watchParent (onExit: () => void, init: ParentWatchInit = {}): ParentWatch {
  const pid = init.pid ?? process.ppid
  // pid 1 (an init, a container's entry) outlives us: nothing to follow
  if (pid <= 1) return { stop () {} }
  const timer = setInterval(() => {
    if (isAlive(pid)) return
    clearInterval(timer)
    onExit()
  }, init.intervalMs ?? 1000)
  timer.unref()
  return { stop () { clearInterval(timer) } }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    // EPERM: it exists, it is just not ours to signal
    return err?.code === 'EPERM'
  }
}
