import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface CodeRequest {
  cid: Uint8Array<ArrayBuffer>
}

export namespace CodeRequest {
  let _codec: Codec<CodeRequest>

  export const codec = (): Codec<CodeRequest> => {
    if (_codec == null) {
      _codec = message<CodeRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.cid != null && obj.cid.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.cid)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          cid: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.cid = reader.bytes()
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
                field: `${prefix}.cid`,
                value: reader.bytes()
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

  export interface CodeRequestCidFieldEvent {
    field: '$.cid'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CodeRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CodeRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CodeRequest>): CodeRequest {
    return decodeMessage(buf, CodeRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CodeRequest>): Generator<CodeRequestCidFieldEvent> {
    return streamMessage(buf, CodeRequest.codec(), opts)
  }
}

export interface CodeResponse {
  status: CodeResponse.Status
  data: Uint8Array<ArrayBuffer>
}

export namespace CodeResponse {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND',
    TOO_LARGE = 'TOO_LARGE',
    ERROR = 'ERROR',
    BUSY = 'BUSY'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    OK = 1,
    NOT_FOUND = 2,
    TOO_LARGE = 3,
    ERROR = 4,
    BUSY = 5
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<CodeResponse>

  export const codec = (): Codec<CodeResponse> => {
    if (_codec == null) {
      _codec = message<CodeResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          CodeResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.data)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.UNKNOWN,
          data: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = CodeResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.data = reader.bytes()
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
                field: `${prefix}.status`,
                value: CodeResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
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

  export interface CodeResponseStatusFieldEvent {
    field: '$.status'
    value: CodeResponse.Status
  }

  export interface CodeResponseDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CodeResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CodeResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CodeResponse>): CodeResponse {
    return decodeMessage(buf, CodeResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CodeResponse>): Generator<CodeResponseStatusFieldEvent | CodeResponseDataFieldEvent> {
    return streamMessage(buf, CodeResponse.codec(), opts)
  }
}
