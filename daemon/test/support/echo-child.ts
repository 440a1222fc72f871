/**
 * A stand-in sandbox process for pool tests: ready at once, answers each request with its own
 * `tag` after `ms` milliseconds (default 5).
 */
process.send?.({ ready: true })
process.on('message', (message: { id: number, tag: string, ms?: number }) => {
  setTimeout(() => { process.send?.({ id: message.id, tag: message.tag }) }, message.ms ?? 5)
})
