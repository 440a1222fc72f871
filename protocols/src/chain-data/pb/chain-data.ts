import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ChainDataRequest {
  ref: string
}

export namespace ChainDataRequest {
  let _codec: Codec<ChainDataRequest>

  export const codec = (): Codec<ChainDataRequest> => {
    if (_codec == null) {
      _codec = message<ChainDataRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.ref != null && obj.ref !== '')) {
          w.uint32(10)
          w.string(obj.ref)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ref: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.ref = reader.string()
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
                field: `${prefix}.ref`,
                value: reader.string()
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

  export interface ChainDataRequestRefFieldEvent {
    field: '$.ref'
    value: string
  }

  export function encode (obj: Partial<ChainDataRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChainDataRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChainDataRequest>): ChainDataRequest {
    return decodeMessage(buf, ChainDataRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChainDataRequest>): Generator<ChainDataRequestRefFieldEvent> {
    return streamMessage(buf, ChainDataRequest.codec(), opts)
  }
}

export interface ChainDataResponse {
  status: ChainDataResponse.Status
  data: Uint8Array<ArrayBuffer>
  message: string
}

export namespace ChainDataResponse {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND',
    TOO_LARGE = 'TOO_LARGE',
    INVALID = 'INVALID'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    OK = 1,
    NOT_FOUND = 2,
    TOO_LARGE = 3,
    INVALID = 4
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ChainDataResponse>

  export const codec = (): Codec<ChainDataResponse> => {
    if (_codec == null) {
      _codec = message<ChainDataResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ChainDataResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.data)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(26)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.UNKNOWN,
          data: uint8ArrayAlloc(0),
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ChainDataResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.data = reader.bytes()
              break
            }
            case 3: {
              obj.message = reader.string()
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
                value: ChainDataResponse.Status.codec().decode(reader)
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
            case 3: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
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

  export interface ChainDataResponseStatusFieldEvent {
    field: '$.status'
    value: ChainDataResponse.Status
  }

  export interface ChainDataResponseDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChainDataResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<ChainDataResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChainDataResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChainDataResponse>): ChainDataResponse {
    return decodeMessage(buf, ChainDataResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChainDataResponse>): Generator<ChainDataResponseStatusFieldEvent | ChainDataResponseDataFieldEvent | ChainDataResponseMessageFieldEvent> {
    return streamMessage(buf, ChainDataResponse.codec(), opts)
  }
}
