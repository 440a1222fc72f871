/** One status line on stderr, redrawn in place on a terminal and printed every few seconds otherwise. */
export class Progress {
  private lastPrinted = 0

  constructor (private readonly out: NodeJS.WriteStream = process.stderr) {}

  /** A message on its own line. */
  say (message: string): void {
    this.clear()
    this.out.write(`${message}\n`)
  }

  bar (label: string, done: number, total: number, extra = ''): void {
    const width = 30
    const filled = total === 0 ? width : Math.round(width * done / total)
    const text = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${extra !== '' ? ` ${extra}` : ''}`
    if (this.out.isTTY === true) {
      this.out.write(`\r${text.slice(0, (this.out.columns ?? 120) - 1)}\u001b[K`)
    } else if (Date.now() - this.lastPrinted > 3000 || done === total) {
      this.lastPrinted = Date.now()
      this.out.write(`${text}\n`)
    }
  }

  clear (): void {
    if (this.out.isTTY === true) this.out.write('\r\u001b[K')
  }
}
