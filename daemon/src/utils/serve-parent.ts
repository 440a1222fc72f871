/**
 * The child's side of a `ProcessChannel`: answers one request at a time from the parent and says
 * when it is ready. Imports nothing else of the daemon, so a child stays small and quick to start.
 */

/** Serves requests `{ id, ...request }` with `handle`; call it once everything is loaded. */
export function serveParent<Req extends object, Res extends object> (handle: (request: Req) => Res): void {
  if (process.send == null) throw new Error('not started as a child process with an IPC channel')
  const send = process.send.bind(process)
  process.on('message', (message: Req & { id: number }) => {
    send({ ...handle(message), id: message.id })
  })
  // the daemon is gone (or dropped us): a child never outlives it
  process.on('disconnect', () => { process.exit(0) })
  // a child's life is the daemon's to end (SIGKILL, or closing the channel). A Ctrl-C in a
  // terminal signals the whole process group, and systemd signals the whole unit: without this
  // the calls the daemon drains while it stops would fail as if their guest had crashed
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})
  send({ ready: true })
}
