import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface NameRequest {
  kind: NameRequest.Kind
  publisher: string
  name: string
  record: Uint8Array<ArrayBuffer>
}

export namespace NameRequest {
  export enum Kind {
    UNKNOWN = 'UNKNOWN',
    QUERY = 'QUERY',
    ANNOUNCE = 'ANNOUNCE'
  }

  enum __KindValues {
    UNKNOWN = 0,
    QUERY = 1,
    ANNOUNCE = 2
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<NameRequest>

  export const codec = (): Codec<NameRequest> => {
    if (_codec == null) {
      _codec = message<NameRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          NameRequest.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.publisher != null && obj.publisher !== '')) {
          w.uint32(18)
          w.string(obj.publisher)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(26)
          w.string(obj.name)
        }

        if ((obj.record != null && obj.record.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.record)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.UNKNOWN,
          publisher: '',
          name: '',
          record: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = NameRequest.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.publisher = reader.string()
              break
            }
            case 3: {
              obj.name = reader.string()
              break
            }
            case 4: {
              obj.record = reader.bytes()
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
                field: `${prefix}.kind`,
                value: NameRequest.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.publisher`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.record`,
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

  export interface NameRequestKindFieldEvent {
    field: '$.kind'
    value: NameRequest.Kind
  }

  export interface NameRequestPublisherFieldEvent {
    field: '$.publisher'
    value: string
  }

  export interface NameRequestNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface NameRequestRecordFieldEvent {
    field: '$.record'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<NameRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NameRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NameRequest>): NameRequest {
    return decodeMessage(buf, NameRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NameRequest>): Generator<NameRequestKindFieldEvent | NameRequestPublisherFieldEvent | NameRequestNameFieldEvent | NameRequestRecordFieldEvent> {
    return streamMessage(buf, NameRequest.codec(), opts)
  }
}

export interface NameResponse {
  status: NameResponse.Status
  record: Uint8Array<ArrayBuffer>
}

export namespace NameResponse {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND',
    INVALID = 'INVALID',
    BUSY = 'BUSY',
    ERROR = 'ERROR'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    OK = 1,
    NOT_FOUND = 2,
    INVALID = 3,
    BUSY = 4,
    ERROR = 5
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<NameResponse>

  export const codec = (): Codec<NameResponse> => {
    if (_codec == null) {
      _codec = message<NameResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          NameResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.record != null && obj.record.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.record)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.UNKNOWN,
          record: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = NameResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.record = reader.bytes()
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
                value: NameResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.record`,
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

  export interface NameResponseStatusFieldEvent {
    field: '$.status'
    value: NameResponse.Status
  }

  export interface NameResponseRecordFieldEvent {
    field: '$.record'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<NameResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NameResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NameResponse>): NameResponse {
    return decodeMessage(buf, NameResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NameResponse>): Generator<NameResponseStatusFieldEvent | NameResponseRecordFieldEvent> {
    return streamMessage(buf, NameResponse.codec(), opts)
  }
}
