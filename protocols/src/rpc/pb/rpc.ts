import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RpcFrame {
  id: number
  status: RpcFrame.Status
  body: Uint8Array<ArrayBuffer>
  deadlineMs: number
}

export namespace RpcFrame {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    OK = 'OK',
    ERROR = 'ERROR',
    TIMEOUT = 'TIMEOUT',
    BUSY = 'BUSY',
    CANCEL = 'CANCEL'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    OK = 1,
    ERROR = 2,
    TIMEOUT = 3,
    BUSY = 4,
    CANCEL = 5
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<RpcFrame>

  export const codec = (): Codec<RpcFrame> => {
    if (_codec == null) {
      _codec = message<RpcFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.id)
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(16)
          RpcFrame.Status.codec().encode(obj.status, w)
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.body)
        }

        if ((obj.deadlineMs != null && obj.deadlineMs !== 0)) {
          w.uint32(32)
          w.uint32(obj.deadlineMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: 0,
          status: Status.UNKNOWN,
          body: uint8ArrayAlloc(0),
          deadlineMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.uint64Number()
              break
            }
            case 2: {
              obj.status = RpcFrame.Status.codec().decode(reader)
              break
            }
            case 3: {
              obj.body = reader.bytes()
              break
            }
            case 4: {
              obj.deadlineMs = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.status`,
                value: RpcFrame.Status.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.deadlineMs`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RpcFrameIdFieldEvent {
    field: '$.id'
    value: number
  }

  export interface RpcFrameStatusFieldEvent {
    field: '$.status'
    value: RpcFrame.Status
  }

  export interface RpcFrameBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RpcFrameDeadlineMsFieldEvent {
    field: '$.deadlineMs'
    value: number
  }

  export function encode (obj: Partial<RpcFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RpcFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcFrame>): RpcFrame {
    return decodeMessage(buf, RpcFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcFrame>): Generator<RpcFrameIdFieldEvent | RpcFrameStatusFieldEvent | RpcFrameBodyFieldEvent | RpcFrameDeadlineMsFieldEvent> {
    return streamMessage(buf, RpcFrame.codec(), opts)
  }
}
