import { InvalidParametersError } from '@libp2p/interface'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { RpcBusyError, RpcChannelClosedError, RpcRemoteError, RpcTimeoutError } from './errors.js'
import { RpcFrame } from './pb/rpc.js'
import type { AbortOptions, Logger, Stream } from '@libp2p/interface'

interface Pending {
  resolve(body: Uint8Array): void
  reject(err: Error): void
}

/**
 * The requester's side of one long-lived stream: requests go out as frames with fresh ids,
 * responses come back in any order and are matched by id. Opening a stream costs 2-4 ms here,
 * a frame on an open one ~0.3 ms (shared/research/libp2p-v3.md section 5).
 */
export class RpcChannel {
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closed = false

  constructor (private readonly stream: Stream, private readonly maxFrameBytes: number, private readonly log: Logger, private readonly onClose: () => void) {
    this.lp = lpStream(stream, { maxDataLength: maxFrameBytes, maxBufferSize: maxFrameBytes * 2 })
    void this.readLoop()
  }

  get isClosed (): boolean {
    return this.closed
  }

  async request (body: Uint8Array, timeoutMs: number, options: AbortOptions = {}): Promise<Uint8Array> {
    if (this.closed) throw new RpcChannelClosedError()
    const id = this.nextId++
    const frame = RpcFrame.encode({ id, status: RpcFrame.Status.OK, body: body as Uint8Array<ArrayBuffer>, deadlineMs: timeoutMs })
    // the responder would reset the whole channel for it: refuse here, and keep the channel
    if (frame.byteLength > this.maxFrameBytes) throw new InvalidParametersError(`request frame is ${frame.byteLength} bytes; the limit is ${this.maxFrameBytes}`)
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>()
    // the answer can fail (timeout, channel closed) while the write below is still pending, before
    // anything awaits it: an unobserved rejection there would take the whole process down
    promise.catch(() => {})
    this.pending.set(id, { resolve, reject })
    const timer = setTimeout(() => {
      this.pending.delete(id)
      reject(new RpcTimeoutError(`no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    const onAbort = (): void => {
      this.pending.delete(id)
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new RpcTimeoutError('aborted'))
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      options.signal?.throwIfAborted()
      await this.lp.write(frame, options)
      return await promise
    } catch (err: any) {
      this.pending.delete(id)
      throw err
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  close (err: Error = new RpcChannelClosedError()): void {
    if (this.closed) return
    this.closed = true
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    this.stream.abort(err)
    this.onClose()
  }

  private async readLoop (): Promise<void> {
    try {
      while (!this.closed) {
        const frame = RpcFrame.decode(await this.lp.read())
        const pending = this.pending.get(frame.id)
        if (pending == null) continue // answered after its requester gave up
        this.pending.delete(frame.id)
        if (frame.status === RpcFrame.Status.OK) pending.resolve(frame.body)
        else if (frame.status === RpcFrame.Status.TIMEOUT) pending.reject(new RpcTimeoutError('the remote handler ran out of time'))
        else if (frame.status === RpcFrame.Status.BUSY) pending.reject(new RpcBusyError())
        else pending.reject(new RpcRemoteError(`the remote answered ${RpcFrame.Status[frame.status] ?? frame.status}`))
      }
    } catch (err: any) {
      this.log('rpc channel closed: %s', err?.message ?? err)
      this.close(new RpcChannelClosedError(`channel closed: ${String(err?.message ?? err)}`))
    }
  }
}
