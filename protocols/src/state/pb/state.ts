import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface StateEntry {
  key: string
  value: Uint8Array<ArrayBuffer>
}

export namespace StateEntry {
  let _codec: Codec<StateEntry>

  export const codec = (): Codec<StateEntry> => {
    if (_codec == null) {
      _codec = message<StateEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.value != null && obj.value.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.value)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          value: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.string()
              break
            }
            case 2: {
              obj.value = reader.bytes()
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
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.value`,
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

  export interface StateEntryKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface StateEntryValueFieldEvent {
    field: '$.value'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<StateEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StateEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateEntry>): StateEntry {
    return decodeMessage(buf, StateEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateEntry>): Generator<StateEntryKeyFieldEvent | StateEntryValueFieldEvent> {
    return streamMessage(buf, StateEntry.codec(), opts)
  }
}

export interface AppliedId {
  id: string
  output: Uint8Array<ArrayBuffer>
  outputKept: boolean
}

export namespace AppliedId {
  let _codec: Codec<AppliedId>

  export const codec = (): Codec<AppliedId> => {
    if (_codec == null) {
      _codec = message<AppliedId>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(10)
          w.string(obj.id)
        }

        if ((obj.output != null && obj.output.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.output)
        }

        if ((obj.outputKept != null && obj.outputKept !== false)) {
          w.uint32(24)
          w.bool(obj.outputKept)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: '',
          output: uint8ArrayAlloc(0),
          outputKept: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.string()
              break
            }
            case 2: {
              obj.output = reader.bytes()
              break
            }
            case 3: {
              obj.outputKept = reader.bool()
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
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.output`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.outputKept`,
                value: reader.bool()
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

  export interface AppliedIdIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface AppliedIdOutputFieldEvent {
    field: '$.output'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AppliedIdOutputKeptFieldEvent {
    field: '$.outputKept'
    value: boolean
  }

  export function encode (obj: Partial<AppliedId>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AppliedId.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AppliedId>): AppliedId {
    return decodeMessage(buf, AppliedId.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AppliedId>): Generator<AppliedIdIdFieldEvent | AppliedIdOutputFieldEvent | AppliedIdOutputKeptFieldEvent> {
    return streamMessage(buf, AppliedId.codec(), opts)
  }
}

export interface StateRecord {
  version: number
  entries: StateEntry[]
  applied: AppliedId[]
}

export namespace StateRecord {
  let _codec: Codec<StateRecord>

  export const codec = (): Codec<StateRecord> => {
    if (_codec == null) {
      _codec = message<StateRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.version)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(18)
            StateEntry.codec().encode(value, w)
          }
        }

        if (obj.applied != null && obj.applied.length > 0) {
          for (const value of obj.applied) {
            w.uint32(26)
            AppliedId.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          entries: [],
          applied: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint64Number()
              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(StateEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 3: {
              if (opts.limits?.applied != null && obj.applied.length === opts.limits.applied) {
                throw new MaxLengthError('Decode error - repeated field "applied" had too many elements')
              }

              obj.applied.push(AppliedId.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.applied$
              }))
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
        const obj = {
          entries: 0,
          applied: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of StateEntry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                limits: opts.limits?.entries$
              })) {
                yield {
                  ...evt,
                  index: obj.entries
                }
              }

              obj.entries++

              break
            }
            case 3: {
              if (opts.limits?.applied != null && obj.applied === opts.limits.applied) {
                throw new MaxLengthError('Streaming decode error - repeated field "applied" had too many elements')
              }

              for (const evt of AppliedId.codec().stream(reader, reader.uint32(), `${prefix}.applied[]`, {
                limits: opts.limits?.applied$
              })) {
                yield {
                  ...evt,
                  index: obj.applied
                }
              }

              obj.applied++

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

  export interface StateRecordVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface StateRecordEntriesKeyFieldEvent {
    field: '$.entries[].key'
    value: string
    index: number
  }

  export interface StateRecordEntriesValueFieldEvent {
    field: '$.entries[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StateRecordAppliedIdFieldEvent {
    field: '$.applied[].id'
    value: string
    index: number
  }

  export interface StateRecordAppliedOutputFieldEvent {
    field: '$.applied[].output'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StateRecordAppliedOutputKeptFieldEvent {
    field: '$.applied[].outputKept'
    value: boolean
    index: number
  }

  export function encode (obj: Partial<StateRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StateRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateRecord>): StateRecord {
    return decodeMessage(buf, StateRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateRecord>): Generator<StateRecordVersionFieldEvent | StateRecordEntriesKeyFieldEvent | StateRecordEntriesValueFieldEvent | StateRecordAppliedIdFieldEvent | StateRecordAppliedOutputFieldEvent | StateRecordAppliedOutputKeptFieldEvent> {
    return streamMessage(buf, StateRecord.codec(), opts)
  }
}

export interface StateWrite {
  key: string
  value: Uint8Array<ArrayBuffer>
  deleted: boolean
}

export namespace StateWrite {
  let _codec: Codec<StateWrite>

  export const codec = (): Codec<StateWrite> => {
    if (_codec == null) {
      _codec = message<StateWrite>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.value != null && obj.value.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.value)
        }

        if ((obj.deleted != null && obj.deleted !== false)) {
          w.uint32(24)
          w.bool(obj.deleted)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          value: uint8ArrayAlloc(0),
          deleted: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.string()
              break
            }
            case 2: {
              obj.value = reader.bytes()
              break
            }
            case 3: {
              obj.deleted = reader.bool()
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
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.value`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.deleted`,
                value: reader.bool()
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

  export interface StateWriteKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface StateWriteValueFieldEvent {
    field: '$.value'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StateWriteDeletedFieldEvent {
    field: '$.deleted'
    value: boolean
  }

  export function encode (obj: Partial<StateWrite>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StateWrite.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateWrite>): StateWrite {
    return decodeMessage(buf, StateWrite.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateWrite>): Generator<StateWriteKeyFieldEvent | StateWriteValueFieldEvent | StateWriteDeletedFieldEvent> {
    return streamMessage(buf, StateWrite.codec(), opts)
  }
}

export interface StateRequest {
  op: StateRequest.Op
  space: StateRequest.Space
  key: string
  invocationId: string
  expectedVersion: number
  writes: StateWrite[]
  output: Uint8Array<ArrayBuffer>
  record?: StateRecord
  leaseMs?: number
  outputDropped?: boolean
}

export namespace StateRequest {
  export enum Op {
    UNKNOWN = 'UNKNOWN',
    READ = 'READ',
    COMMIT = 'COMMIT',
    REPLICATE = 'REPLICATE',
    FETCH = 'FETCH',
    DELETE = 'DELETE',
    RELEASE = 'RELEASE'
  }

  enum __OpValues {
    UNKNOWN = 0,
    READ = 1,
    COMMIT = 2,
    REPLICATE = 3,
    FETCH = 4,
    DELETE = 5,
    RELEASE = 6
  }

  export namespace Op {
    export const codec = (): Codec<Op> => {
      return enumeration<Op>(__OpValues)
    }
  }

  export enum Space {
    DATA = 'DATA',
    HOME = 'HOME',
    FUNCTION = 'FUNCTION'
  }

  enum __SpaceValues {
    DATA = 0,
    HOME = 1,
    FUNCTION = 2
  }

  export namespace Space {
    export const codec = (): Codec<Space> => {
      return enumeration<Space>(__SpaceValues)
    }
  }

  let _codec: Codec<StateRequest>

  export const codec = (): Codec<StateRequest> => {
    if (_codec == null) {
      _codec = message<StateRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.op != null && __OpValues[obj.op] !== 0) {
          w.uint32(8)
          StateRequest.Op.codec().encode(obj.op, w)
        }

        if (obj.space != null && __SpaceValues[obj.space] !== 0) {
          w.uint32(16)
          StateRequest.Space.codec().encode(obj.space, w)
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(26)
          w.string(obj.key)
        }

        if ((obj.invocationId != null && obj.invocationId !== '')) {
          w.uint32(34)
          w.string(obj.invocationId)
        }

        if ((obj.expectedVersion != null && obj.expectedVersion !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.expectedVersion)
        }

        if (obj.writes != null && obj.writes.length > 0) {
          for (const value of obj.writes) {
            w.uint32(50)
            StateWrite.codec().encode(value, w)
          }
        }

        if ((obj.output != null && obj.output.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.output)
        }

        if (obj.record != null) {
          w.uint32(66)
          StateRecord.codec().encode(obj.record, w)
        }

        if (obj.leaseMs != null) {
          w.uint32(72)
          w.uint32(obj.leaseMs)
        }

        if (obj.outputDropped != null) {
          w.uint32(80)
          w.bool(obj.outputDropped)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          op: Op.UNKNOWN,
          space: Space.DATA,
          key: '',
          invocationId: '',
          expectedVersion: 0,
          writes: [],
          output: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.op = StateRequest.Op.codec().decode(reader)
              break
            }
            case 2: {
              obj.space = StateRequest.Space.codec().decode(reader)
              break
            }
            case 3: {
              obj.key = reader.string()
              break
            }
            case 4: {
              obj.invocationId = reader.string()
              break
            }
            case 5: {
              obj.expectedVersion = reader.uint64Number()
              break
            }
            case 6: {
              if (opts.limits?.writes != null && obj.writes.length === opts.limits.writes) {
                throw new MaxLengthError('Decode error - repeated field "writes" had too many elements')
              }

              obj.writes.push(StateWrite.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.writes$
              }))
              break
            }
            case 7: {
              obj.output = reader.bytes()
              break
            }
            case 8: {
              obj.record = StateRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
              break
            }
            case 9: {
              obj.leaseMs = reader.uint32()
              break
            }
            case 10: {
              obj.outputDropped = reader.bool()
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
        const obj = {
          writes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.op`,
                value: StateRequest.Op.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.space`,
                value: StateRequest.Space.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.invocationId`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.expectedVersion`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              if (opts.limits?.writes != null && obj.writes === opts.limits.writes) {
                throw new MaxLengthError('Streaming decode error - repeated field "writes" had too many elements')
              }

              for (const evt of StateWrite.codec().stream(reader, reader.uint32(), `${prefix}.writes[]`, {
                limits: opts.limits?.writes$
              })) {
                yield {
                  ...evt,
                  index: obj.writes
                }
              }

              obj.writes++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.output`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield * StateRecord.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

              break
            }
            case 9: {
              yield {
                field: `${prefix}.leaseMs`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.outputDropped`,
                value: reader.bool()
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

  export interface StateRequestOpFieldEvent {
    field: '$.op'
    value: StateRequest.Op
  }

  export interface StateRequestSpaceFieldEvent {
    field: '$.space'
    value: StateRequest.Space
  }

  export interface StateRequestKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface StateRequestInvocationIdFieldEvent {
    field: '$.invocationId'
    value: string
  }

  export interface StateRequestExpectedVersionFieldEvent {
    field: '$.expectedVersion'
    value: number
  }

  export interface StateRequestWritesKeyFieldEvent {
    field: '$.writes[].key'
    value: string
    index: number
  }

  export interface StateRequestWritesValueFieldEvent {
    field: '$.writes[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StateRequestWritesDeletedFieldEvent {
    field: '$.writes[].deleted'
    value: boolean
    index: number
  }

  export interface StateRequestOutputFieldEvent {
    field: '$.output'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StateRequestRecordVersionFieldEvent {
    field: '$.record.version'
    value: number
  }

  export interface StateRequestRecordEntriesKeyFieldEvent {
    field: '$.record.entries[].key'
    value: string
    index: number
  }

  export interface StateRequestRecordEntriesValueFieldEvent {
    field: '$.record.entries[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StateRequestRecordAppliedIdFieldEvent {
    field: '$.record.applied[].id'
    value: string
    index: number
  }

  export interface StateRequestRecordAppliedOutputFieldEvent {
    field: '$.record.applied[].output'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StateRequestRecordAppliedOutputKeptFieldEvent {
    field: '$.record.applied[].outputKept'
    value: boolean
    index: number
  }

  export interface StateRequestLeaseMsFieldEvent {
    field: '$.leaseMs'
    value: number
  }

  export interface StateRequestOutputDroppedFieldEvent {
    field: '$.outputDropped'
    value: boolean
  }

  export function encode (obj: Partial<StateRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StateRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateRequest>): StateRequest {
    return decodeMessage(buf, StateRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateRequest>): Generator<StateRequestOpFieldEvent | StateRequestSpaceFieldEvent | StateRequestKeyFieldEvent | StateRequestInvocationIdFieldEvent | StateRequestExpectedVersionFieldEvent | StateRequestWritesKeyFieldEvent | StateRequestWritesValueFieldEvent | StateRequestWritesDeletedFieldEvent | StateRequestOutputFieldEvent | StateRequestRecordVersionFieldEvent | StateRequestRecordEntriesKeyFieldEvent | StateRequestRecordEntriesValueFieldEvent | StateRequestRecordAppliedIdFieldEvent | StateRequestRecordAppliedOutputFieldEvent | StateRequestRecordAppliedOutputKeptFieldEvent | StateRequestLeaseMsFieldEvent | StateRequestOutputDroppedFieldEvent> {
    return streamMessage(buf, StateRequest.codec(), opts)
  }
}

export interface StateResponse {
  status: StateResponse.Status
  record?: StateRecord
  version: number
  output: Uint8Array<ArrayBuffer>
  outputKept: boolean
  message: string
}

export namespace StateResponse {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    OK = 'OK',
    CONFLICT = 'CONFLICT',
    APPLIED = 'APPLIED',
    NOT_PRIMARY = 'NOT_PRIMARY',
    INVALID = 'INVALID',
    TOO_LARGE = 'TOO_LARGE',
    UNAVAILABLE = 'UNAVAILABLE',
    ERROR = 'ERROR',
    BUSY = 'BUSY'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    OK = 1,
    CONFLICT = 2,
    APPLIED = 3,
    NOT_PRIMARY = 4,
    INVALID = 5,
    TOO_LARGE = 6,
    UNAVAILABLE = 7,
    ERROR = 8,
    BUSY = 9
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<StateResponse>

  export const codec = (): Codec<StateResponse> => {
    if (_codec == null) {
      _codec = message<StateResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          StateResponse.Status.codec().encode(obj.status, w)
        }

        if (obj.record != null) {
          w.uint32(18)
          StateRecord.codec().encode(obj.record, w)
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.version)
        }

        if ((obj.output != null && obj.output.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.output)
        }

        if ((obj.outputKept != null && obj.outputKept !== false)) {
          w.uint32(40)
          w.bool(obj.outputKept)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(50)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.UNKNOWN,
          version: 0,
          output: uint8ArrayAlloc(0),
          outputKept: false,
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = StateResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.record = StateRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
              break
            }
            case 3: {
              obj.version = reader.uint64Number()
              break
            }
            case 4: {
              obj.output = reader.bytes()
              break
            }
            case 5: {
              obj.outputKept = reader.bool()
              break
            }
            case 6: {
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
                value: StateResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield * StateRecord.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.output`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.outputKept`,
                value: reader.bool()
              }
              break
            }
            case 6: {
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

  export interface StateResponseStatusFieldEvent {
    field: '$.status'
    value: StateResponse.Status
  }

  export interface StateResponseRecordVersionFieldEvent {
    field: '$.record.version'
    value: number
  }

  export interface StateResponseRecordEntriesKeyFieldEvent {
    field: '$.record.entries[].key'
    value: string
    index: number
  }

  export interface StateResponseRecordEntriesValueFieldEvent {
    field: '$.record.entries[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StateResponseRecordAppliedIdFieldEvent {
    field: '$.record.applied[].id'
    value: string
    index: number
  }

  export interface StateResponseRecordAppliedOutputFieldEvent {
    field: '$.record.applied[].output'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StateResponseRecordAppliedOutputKeptFieldEvent {
    field: '$.record.applied[].outputKept'
    value: boolean
    index: number
  }

  export interface StateResponseVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface StateResponseOutputFieldEvent {
    field: '$.output'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StateResponseOutputKeptFieldEvent {
    field: '$.outputKept'
    value: boolean
  }

  export interface StateResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<StateResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StateResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateResponse>): StateResponse {
    return decodeMessage(buf, StateResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateResponse>): Generator<StateResponseStatusFieldEvent | StateResponseRecordVersionFieldEvent | StateResponseRecordEntriesKeyFieldEvent | StateResponseRecordEntriesValueFieldEvent | StateResponseRecordAppliedIdFieldEvent | StateResponseRecordAppliedOutputFieldEvent | StateResponseRecordAppliedOutputKeptFieldEvent | StateResponseVersionFieldEvent | StateResponseOutputFieldEvent | StateResponseOutputKeptFieldEvent | StateResponseMessageFieldEvent> {
    return streamMessage(buf, StateResponse.codec(), opts)
  }
}
