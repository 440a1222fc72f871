import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface InvokeRequest {
  cid: Uint8Array<ArrayBuffer>
  input: Uint8Array<ArrayBuffer>
  deadlineMs: number
  reservation: Uint8Array<ArrayBuffer>
  invocationId: string
  state?: InvokeState
  inputs: InputRef[]
  keepOutput: boolean
  nameRecord: Uint8Array<ArrayBuffer>
  price: number
  traceparent?: string
}

export namespace InvokeRequest {
  let _codec: Codec<InvokeRequest>

  export const codec = (): Codec<InvokeRequest> => {
    if (_codec == null) {
      _codec = message<InvokeRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.cid != null && obj.cid.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.cid)
        }

        if ((obj.input != null && obj.input.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.input)
        }

        if ((obj.deadlineMs != null && obj.deadlineMs !== 0)) {
          w.uint32(24)
          w.uint32(obj.deadlineMs)
        }

        if ((obj.reservation != null && obj.reservation.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.reservation)
        }

        if ((obj.invocationId != null && obj.invocationId !== '')) {
          w.uint32(42)
          w.string(obj.invocationId)
        }

        if (obj.state != null) {
          w.uint32(50)
          InvokeState.codec().encode(obj.state, w)
        }

        if (obj.inputs != null && obj.inputs.length > 0) {
          for (const value of obj.inputs) {
            w.uint32(58)
            InputRef.codec().encode(value, w)
          }
        }

        if ((obj.keepOutput != null && obj.keepOutput !== false)) {
          w.uint32(64)
          w.bool(obj.keepOutput)
        }

        if ((obj.nameRecord != null && obj.nameRecord.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.nameRecord)
        }

        if ((obj.price != null && obj.price !== 0)) {
          w.uint32(81)
          w.double(obj.price)
        }

        if (obj.traceparent != null) {
          w.uint32(90)
          w.string(obj.traceparent)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          cid: uint8ArrayAlloc(0),
          input: uint8ArrayAlloc(0),
          deadlineMs: 0,
          reservation: uint8ArrayAlloc(0),
          invocationId: '',
          inputs: [],
          keepOutput: false,
          nameRecord: uint8ArrayAlloc(0),
          price: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.cid = reader.bytes()
              break
            }
            case 2: {
              obj.input = reader.bytes()
              break
            }
            case 3: {
              obj.deadlineMs = reader.uint32()
              break
            }
            case 4: {
              obj.reservation = reader.bytes()
              break
            }
            case 5: {
              obj.invocationId = reader.string()
              break
            }
            case 6: {
              obj.state = InvokeState.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.state
              })
              break
            }
            case 7: {
              if (opts.limits?.inputs != null && obj.inputs.length === opts.limits.inputs) {
                throw new MaxLengthError('Decode error - repeated field "inputs" had too many elements')
              }

              if (obj.inputs.length === 64) {
                throw new MaxLengthError('Decode error - repeated field "inputs" had too many elements')
              }

              obj.inputs.push(InputRef.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.inputs$
              }))
              break
            }
            case 8: {
              obj.keepOutput = reader.bool()
              break
            }
            case 9: {
              obj.nameRecord = reader.bytes()
              break
            }
            case 10: {
              obj.price = reader.double()
              break
            }
            case 11: {
              obj.traceparent = reader.string()
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
          inputs: 64
        }

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
            case 2: {
              yield {
                field: `${prefix}.input`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.deadlineMs`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.reservation`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.invocationId`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield * InvokeState.codec().stream(reader, reader.uint32(), `${prefix}.state`, {
                limits: opts.limits?.state
              })

              break
            }
            case 7: {
              if (opts.limits?.inputs != null && obj.inputs === opts.limits.inputs) {
                throw new MaxLengthError('Streaming decode error - repeated field "inputs" had too many elements')
              }

              if (obj.inputs === 64) {
                throw new MaxLengthError('Streaming decode error - repeated field "inputs" had too many elements')
              }

              for (const evt of InputRef.codec().stream(reader, reader.uint32(), `${prefix}.inputs[]`, {
                limits: opts.limits?.inputs$
              })) {
                yield {
                  ...evt,
                  index: obj.inputs
                }
              }

              obj.inputs++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.keepOutput`,
                value: reader.bool()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.nameRecord`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.price`,
                value: reader.double()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.traceparent`,
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

  export interface InvokeRequestCidFieldEvent {
    field: '$.cid'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeRequestInputFieldEvent {
    field: '$.input'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeRequestDeadlineMsFieldEvent {
    field: '$.deadlineMs'
    value: number
  }

  export interface InvokeRequestReservationFieldEvent {
    field: '$.reservation'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeRequestInvocationIdFieldEvent {
    field: '$.invocationId'
    value: string
  }

  export interface InvokeRequestStateModelFieldEvent {
    field: '$.state.model'
    value: InvokeState.Model
  }

  export interface InvokeRequestStateKeyFieldEvent {
    field: '$.state.key'
    value: string
  }

  export interface InvokeRequestStateClientStateFieldEvent {
    field: '$.state.clientState'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeRequestInputsPeerFieldEvent {
    field: '$.inputs[].peer'
    value: string
    index: number
  }

  export interface InvokeRequestInputsRefFieldEvent {
    field: '$.inputs[].ref'
    value: string
    index: number
  }

  export interface InvokeRequestInputsStepFieldEvent {
    field: '$.inputs[].step'
    value: string
    index: number
  }

  export interface InvokeRequestInputsBytesFieldEvent {
    field: '$.inputs[].bytes'
    value: number
    index: number
  }

  export interface InvokeRequestKeepOutputFieldEvent {
    field: '$.keepOutput'
    value: boolean
  }

  export interface InvokeRequestNameRecordFieldEvent {
    field: '$.nameRecord'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeRequestPriceFieldEvent {
    field: '$.price'
    value: number
  }

  export interface InvokeRequestTraceparentFieldEvent {
    field: '$.traceparent'
    value: string
  }

  export function encode (obj: Partial<InvokeRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InvokeRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeRequest>): InvokeRequest {
    return decodeMessage(buf, InvokeRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeRequest>): Generator<InvokeRequestCidFieldEvent | InvokeRequestInputFieldEvent | InvokeRequestDeadlineMsFieldEvent | InvokeRequestReservationFieldEvent | InvokeRequestInvocationIdFieldEvent | InvokeRequestStateModelFieldEvent | InvokeRequestStateKeyFieldEvent | InvokeRequestStateClientStateFieldEvent | InvokeRequestInputsPeerFieldEvent | InvokeRequestInputsRefFieldEvent | InvokeRequestInputsStepFieldEvent | InvokeRequestInputsBytesFieldEvent | InvokeRequestKeepOutputFieldEvent | InvokeRequestNameRecordFieldEvent | InvokeRequestPriceFieldEvent | InvokeRequestTraceparentFieldEvent> {
    return streamMessage(buf, InvokeRequest.codec(), opts)
  }
}

export interface InputRef {
  peer: string
  ref: string
  step: string
  bytes: number
}

export namespace InputRef {
  let _codec: Codec<InputRef>

  export const codec = (): Codec<InputRef> => {
    if (_codec == null) {
      _codec = message<InputRef>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer !== '')) {
          w.uint32(10)
          w.string(obj.peer)
        }

        if ((obj.ref != null && obj.ref !== '')) {
          w.uint32(18)
          w.string(obj.ref)
        }

        if ((obj.step != null && obj.step !== '')) {
          w.uint32(26)
          w.string(obj.step)
        }

        if ((obj.bytes != null && obj.bytes !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.bytes)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: '',
          ref: '',
          step: '',
          bytes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.string()
              break
            }
            case 2: {
              obj.ref = reader.string()
              break
            }
            case 3: {
              obj.step = reader.string()
              break
            }
            case 4: {
              obj.bytes = reader.uint64Number()
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
                field: `${prefix}.peer`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.ref`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.step`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.bytes`,
                value: reader.uint64Number()
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

  export interface InputRefPeerFieldEvent {
    field: '$.peer'
    value: string
  }

  export interface InputRefRefFieldEvent {
    field: '$.ref'
    value: string
  }

  export interface InputRefStepFieldEvent {
    field: '$.step'
    value: string
  }

  export interface InputRefBytesFieldEvent {
    field: '$.bytes'
    value: number
  }

  export function encode (obj: Partial<InputRef>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InputRef.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InputRef>): InputRef {
    return decodeMessage(buf, InputRef.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InputRef>): Generator<InputRefPeerFieldEvent | InputRefRefFieldEvent | InputRefStepFieldEvent | InputRefBytesFieldEvent> {
    return streamMessage(buf, InputRef.codec(), opts)
  }
}

export interface InvokeState {
  model: InvokeState.Model
  key: string
  clientState: Uint8Array<ArrayBuffer>
}

export namespace InvokeState {
  export enum Model {
    NONE = 'NONE',
    IN_CLIENT = 'IN_CLIENT',
    IN_FUNCTION = 'IN_FUNCTION',
    IN_EDGE = 'IN_EDGE',
    EXTERNAL = 'EXTERNAL'
  }

  enum __ModelValues {
    NONE = 0,
    IN_CLIENT = 1,
    IN_FUNCTION = 2,
    IN_EDGE = 3,
    EXTERNAL = 4
  }

  export namespace Model {
    export const codec = (): Codec<Model> => {
      return enumeration<Model>(__ModelValues)
    }
  }

  let _codec: Codec<InvokeState>

  export const codec = (): Codec<InvokeState> => {
    if (_codec == null) {
      _codec = message<InvokeState>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.model != null && __ModelValues[obj.model] !== 0) {
          w.uint32(8)
          InvokeState.Model.codec().encode(obj.model, w)
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(18)
          w.string(obj.key)
        }

        if ((obj.clientState != null && obj.clientState.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.clientState)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          model: Model.NONE,
          key: '',
          clientState: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.model = InvokeState.Model.codec().decode(reader)
              break
            }
            case 2: {
              obj.key = reader.string()
              break
            }
            case 3: {
              obj.clientState = reader.bytes()
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
                field: `${prefix}.model`,
                value: InvokeState.Model.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.clientState`,
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

  export interface InvokeStateModelFieldEvent {
    field: '$.model'
    value: InvokeState.Model
  }

  export interface InvokeStateKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface InvokeStateClientStateFieldEvent {
    field: '$.clientState'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<InvokeState>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InvokeState.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeState>): InvokeState {
    return decodeMessage(buf, InvokeState.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeState>): Generator<InvokeStateModelFieldEvent | InvokeStateKeyFieldEvent | InvokeStateClientStateFieldEvent> {
    return streamMessage(buf, InvokeState.codec(), opts)
  }
}

export interface InvokeResponse {
  status: InvokeResponse.Status
  output: Uint8Array<ArrayBuffer>
  durationUs: number
  fuel: number
  cold: boolean
  fetched: boolean
  message: string
  stateVersion: number
  stateBytes: number
  clientState: Uint8Array<ArrayBuffer>
  outputBytes: number
  inputBytesMoved: number
  receipt?: Receipt
  logs: string[]
  timings?: Timings
}

export namespace InvokeResponse {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND',
    REFUSED = 'REFUSED',
    TIMEOUT = 'TIMEOUT',
    OUT_OF_FUEL = 'OUT_OF_FUEL',
    OUT_OF_MEMORY = 'OUT_OF_MEMORY',
    TRAP = 'TRAP',
    TOO_LARGE = 'TOO_LARGE',
    DEADLINE = 'DEADLINE',
    INVALID_MODULE = 'INVALID_MODULE',
    ERROR = 'ERROR',
    CONFLICT = 'CONFLICT',
    STOPPING = 'STOPPING',
    STATE_CONFLICT = 'STATE_CONFLICT',
    STATE_UNAVAILABLE = 'STATE_UNAVAILABLE',
    STATE_TOO_LARGE = 'STATE_TOO_LARGE',
    STATE_INVALID = 'STATE_INVALID',
    STATE_KEY_INVALID = 'STATE_KEY_INVALID',
    STATE_UNSUPPORTED = 'STATE_UNSUPPORTED',
    INPUT_UNAVAILABLE = 'INPUT_UNAVAILABLE',
    INPUT_INVALID = 'INPUT_INVALID',
    UNTRUSTED = 'UNTRUSTED'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    OK = 1,
    NOT_FOUND = 2,
    REFUSED = 3,
    TIMEOUT = 4,
    OUT_OF_FUEL = 5,
    OUT_OF_MEMORY = 6,
    TRAP = 7,
    TOO_LARGE = 8,
    DEADLINE = 9,
    INVALID_MODULE = 10,
    ERROR = 11,
    CONFLICT = 12,
    STOPPING = 13,
    STATE_CONFLICT = 14,
    STATE_UNAVAILABLE = 15,
    STATE_TOO_LARGE = 16,
    STATE_INVALID = 17,
    STATE_KEY_INVALID = 18,
    STATE_UNSUPPORTED = 19,
    INPUT_UNAVAILABLE = 20,
    INPUT_INVALID = 21,
    UNTRUSTED = 22
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<InvokeResponse>

  export const codec = (): Codec<InvokeResponse> => {
    if (_codec == null) {
      _codec = message<InvokeResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          InvokeResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.output != null && obj.output.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.output)
        }

        if ((obj.durationUs != null && obj.durationUs !== 0)) {
          w.uint32(24)
          w.uint32(obj.durationUs)
        }

        if ((obj.fuel != null && obj.fuel !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.fuel)
        }

        if ((obj.cold != null && obj.cold !== false)) {
          w.uint32(40)
          w.bool(obj.cold)
        }

        if ((obj.fetched != null && obj.fetched !== false)) {
          w.uint32(48)
          w.bool(obj.fetched)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(58)
          w.string(obj.message)
        }

        if ((obj.stateVersion != null && obj.stateVersion !== 0)) {
          w.uint32(64)
          w.uint64Number(obj.stateVersion)
        }

        if ((obj.stateBytes != null && obj.stateBytes !== 0)) {
          w.uint32(72)
          w.uint64Number(obj.stateBytes)
        }

        if ((obj.clientState != null && obj.clientState.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.clientState)
        }

        if ((obj.outputBytes != null && obj.outputBytes !== 0)) {
          w.uint32(88)
          w.uint64Number(obj.outputBytes)
        }

        if ((obj.inputBytesMoved != null && obj.inputBytesMoved !== 0)) {
          w.uint32(96)
          w.uint64Number(obj.inputBytesMoved)
        }

        if (obj.receipt != null) {
          w.uint32(106)
          Receipt.codec().encode(obj.receipt, w)
        }

        if (obj.logs != null && obj.logs.length > 0) {
          for (const value of obj.logs) {
            w.uint32(114)
            w.string(value)
          }
        }

        if (obj.timings != null) {
          w.uint32(122)
          Timings.codec().encode(obj.timings, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.UNKNOWN,
          output: uint8ArrayAlloc(0),
          durationUs: 0,
          fuel: 0,
          cold: false,
          fetched: false,
          message: '',
          stateVersion: 0,
          stateBytes: 0,
          clientState: uint8ArrayAlloc(0),
          outputBytes: 0,
          inputBytesMoved: 0,
          logs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = InvokeResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.output = reader.bytes()
              break
            }
            case 3: {
              obj.durationUs = reader.uint32()
              break
            }
            case 4: {
              obj.fuel = reader.uint64Number()
              break
            }
            case 5: {
              obj.cold = reader.bool()
              break
            }
            case 6: {
              obj.fetched = reader.bool()
              break
            }
            case 7: {
              obj.message = reader.string()
              break
            }
            case 8: {
              obj.stateVersion = reader.uint64Number()
              break
            }
            case 9: {
              obj.stateBytes = reader.uint64Number()
              break
            }
            case 10: {
              obj.clientState = reader.bytes()
              break
            }
            case 11: {
              obj.outputBytes = reader.uint64Number()
              break
            }
            case 12: {
              obj.inputBytesMoved = reader.uint64Number()
              break
            }
            case 13: {
              obj.receipt = Receipt.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.receipt
              })
              break
            }
            case 14: {
              if (opts.limits?.logs != null && obj.logs.length === opts.limits.logs) {
                throw new MaxLengthError('Decode error - repeated field "logs" had too many elements')
              }

              if (obj.logs.length === 64) {
                throw new MaxLengthError('Decode error - repeated field "logs" had too many elements')
              }

              obj.logs.push(reader.string())
              break
            }
            case 15: {
              obj.timings = Timings.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.timings
              })
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
          logs: 64
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: InvokeResponse.Status.codec().decode(reader)
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
                field: `${prefix}.durationUs`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.fuel`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.cold`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.fetched`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.stateVersion`,
                value: reader.uint64Number()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.stateBytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.clientState`,
                value: reader.bytes()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.outputBytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.inputBytesMoved`,
                value: reader.uint64Number()
              }
              break
            }
            case 13: {
              yield * Receipt.codec().stream(reader, reader.uint32(), `${prefix}.receipt`, {
                limits: opts.limits?.receipt
              })

              break
            }
            case 14: {
              if (opts.limits?.logs != null && obj.logs === opts.limits.logs) {
                throw new MaxLengthError('Streaming decode error - repeated field "logs" had too many elements')
              }

              if (obj.logs === 64) {
                throw new MaxLengthError('Streaming decode error - repeated field "logs" had too many elements')
              }

              yield {
                field: `${prefix}.logs[]`,
                index: obj.logs,
                value: reader.string()
              }

              obj.logs++

              break
            }
            case 15: {
              yield * Timings.codec().stream(reader, reader.uint32(), `${prefix}.timings`, {
                limits: opts.limits?.timings
              })

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

  export interface InvokeResponseStatusFieldEvent {
    field: '$.status'
    value: InvokeResponse.Status
  }

  export interface InvokeResponseOutputFieldEvent {
    field: '$.output'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeResponseDurationUsFieldEvent {
    field: '$.durationUs'
    value: number
  }

  export interface InvokeResponseFuelFieldEvent {
    field: '$.fuel'
    value: number
  }

  export interface InvokeResponseColdFieldEvent {
    field: '$.cold'
    value: boolean
  }

  export interface InvokeResponseFetchedFieldEvent {
    field: '$.fetched'
    value: boolean
  }

  export interface InvokeResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface InvokeResponseStateVersionFieldEvent {
    field: '$.stateVersion'
    value: number
  }

  export interface InvokeResponseStateBytesFieldEvent {
    field: '$.stateBytes'
    value: number
  }

  export interface InvokeResponseClientStateFieldEvent {
    field: '$.clientState'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeResponseOutputBytesFieldEvent {
    field: '$.outputBytes'
    value: number
  }

  export interface InvokeResponseInputBytesMovedFieldEvent {
    field: '$.inputBytesMoved'
    value: number
  }

  export interface InvokeResponseReceiptBodyFieldEvent {
    field: '$.receipt.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeResponseReceiptSignatureFieldEvent {
    field: '$.receipt.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeResponseLogsFieldEvent {
    field: '$.logs[]'
    index: number
    value: string
  }

  export interface InvokeResponseTimingsProvidersUsFieldEvent {
    field: '$.timings.providersUs'
    value: number
  }

  export interface InvokeResponseTimingsTransferUsFieldEvent {
    field: '$.timings.transferUs'
    value: number
  }

  export interface InvokeResponseTimingsSanitizeUsFieldEvent {
    field: '$.timings.sanitizeUs'
    value: number
  }

  export interface InvokeResponseTimingsCompileUsFieldEvent {
    field: '$.timings.compileUs'
    value: number
  }

  export interface InvokeResponseTimingsQueueUsFieldEvent {
    field: '$.timings.queueUs'
    value: number
  }

  export interface InvokeResponseTimingsRunUsFieldEvent {
    field: '$.timings.runUs'
    value: number
  }

  export function encode (obj: Partial<InvokeResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InvokeResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeResponse>): InvokeResponse {
    return decodeMessage(buf, InvokeResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeResponse>): Generator<InvokeResponseStatusFieldEvent | InvokeResponseOutputFieldEvent | InvokeResponseDurationUsFieldEvent | InvokeResponseFuelFieldEvent | InvokeResponseColdFieldEvent | InvokeResponseFetchedFieldEvent | InvokeResponseMessageFieldEvent | InvokeResponseStateVersionFieldEvent | InvokeResponseStateBytesFieldEvent | InvokeResponseClientStateFieldEvent | InvokeResponseOutputBytesFieldEvent | InvokeResponseInputBytesMovedFieldEvent | InvokeResponseReceiptBodyFieldEvent | InvokeResponseReceiptSignatureFieldEvent | InvokeResponseLogsFieldEvent | InvokeResponseTimingsProvidersUsFieldEvent | InvokeResponseTimingsTransferUsFieldEvent | InvokeResponseTimingsSanitizeUsFieldEvent | InvokeResponseTimingsCompileUsFieldEvent | InvokeResponseTimingsQueueUsFieldEvent | InvokeResponseTimingsRunUsFieldEvent> {
    return streamMessage(buf, InvokeResponse.codec(), opts)
  }
}

export interface Timings {
  providersUs: number
  transferUs: number
  sanitizeUs: number
  compileUs: number
  queueUs: number
  runUs: number
}

export namespace Timings {
  let _codec: Codec<Timings>

  export const codec = (): Codec<Timings> => {
    if (_codec == null) {
      _codec = message<Timings>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.providersUs != null && obj.providersUs !== 0)) {
          w.uint32(8)
          w.uint32(obj.providersUs)
        }

        if ((obj.transferUs != null && obj.transferUs !== 0)) {
          w.uint32(16)
          w.uint32(obj.transferUs)
        }

        if ((obj.sanitizeUs != null && obj.sanitizeUs !== 0)) {
          w.uint32(24)
          w.uint32(obj.sanitizeUs)
        }

        if ((obj.compileUs != null && obj.compileUs !== 0)) {
          w.uint32(32)
          w.uint32(obj.compileUs)
        }

        if ((obj.queueUs != null && obj.queueUs !== 0)) {
          w.uint32(40)
          w.uint32(obj.queueUs)
        }

        if ((obj.runUs != null && obj.runUs !== 0)) {
          w.uint32(48)
          w.uint32(obj.runUs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          providersUs: 0,
          transferUs: 0,
          sanitizeUs: 0,
          compileUs: 0,
          queueUs: 0,
          runUs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.providersUs = reader.uint32()
              break
            }
            case 2: {
              obj.transferUs = reader.uint32()
              break
            }
            case 3: {
              obj.sanitizeUs = reader.uint32()
              break
            }
            case 4: {
              obj.compileUs = reader.uint32()
              break
            }
            case 5: {
              obj.queueUs = reader.uint32()
              break
            }
            case 6: {
              obj.runUs = reader.uint32()
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
                field: `${prefix}.providersUs`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.transferUs`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.sanitizeUs`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.compileUs`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.queueUs`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.runUs`,
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

  export interface TimingsProvidersUsFieldEvent {
    field: '$.providersUs'
    value: number
  }

  export interface TimingsTransferUsFieldEvent {
    field: '$.transferUs'
    value: number
  }

  export interface TimingsSanitizeUsFieldEvent {
    field: '$.sanitizeUs'
    value: number
  }

  export interface TimingsCompileUsFieldEvent {
    field: '$.compileUs'
    value: number
  }

  export interface TimingsQueueUsFieldEvent {
    field: '$.queueUs'
    value: number
  }

  export interface TimingsRunUsFieldEvent {
    field: '$.runUs'
    value: number
  }

  export function encode (obj: Partial<Timings>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Timings.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Timings>): Timings {
    return decodeMessage(buf, Timings.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Timings>): Generator<TimingsProvidersUsFieldEvent | TimingsTransferUsFieldEvent | TimingsSanitizeUsFieldEvent | TimingsCompileUsFieldEvent | TimingsQueueUsFieldEvent | TimingsRunUsFieldEvent> {
    return streamMessage(buf, Timings.codec(), opts)
  }
}

export interface Receipt {
  body: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace Receipt {
  let _codec: Codec<Receipt>

  export const codec = (): Codec<Receipt> => {
    if (_codec == null) {
      _codec = message<Receipt>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.body)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          body: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.body = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
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
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
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

  export interface ReceiptBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Receipt>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Receipt.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Receipt {
    return decodeMessage(buf, Receipt.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Generator<ReceiptBodyFieldEvent | ReceiptSignatureFieldEvent> {
    return streamMessage(buf, Receipt.codec(), opts)
  }
}

export interface ReceiptBody {
  invocationId: string
  cid: Uint8Array<ArrayBuffer>
  inputSha256: Uint8Array<ArrayBuffer>
  outputSha256: Uint8Array<ArrayBuffer>
  fuel: number
  durationUs: number
  price: number
  executor: Uint8Array<ArrayBuffer>
  auctioneer: Uint8Array<ArrayBuffer>
  timestamp: number
  status: number
}

export namespace ReceiptBody {
  let _codec: Codec<ReceiptBody>

  export const codec = (): Codec<ReceiptBody> => {
    if (_codec == null) {
      _codec = message<ReceiptBody>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.invocationId != null && obj.invocationId !== '')) {
          w.uint32(10)
          w.string(obj.invocationId)
        }

        if ((obj.cid != null && obj.cid.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.cid)
        }

        if ((obj.inputSha256 != null && obj.inputSha256.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.inputSha256)
        }

        if ((obj.outputSha256 != null && obj.outputSha256.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.outputSha256)
        }

        if ((obj.fuel != null && obj.fuel !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.fuel)
        }

        if ((obj.durationUs != null && obj.durationUs !== 0)) {
          w.uint32(48)
          w.uint32(obj.durationUs)
        }

        if ((obj.price != null && obj.price !== 0)) {
          w.uint32(57)
          w.double(obj.price)
        }

        if ((obj.executor != null && obj.executor.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.executor)
        }

        if ((obj.auctioneer != null && obj.auctioneer.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.auctioneer)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0)) {
          w.uint32(80)
          w.uint64Number(obj.timestamp)
        }

        if ((obj.status != null && obj.status !== 0)) {
          w.uint32(88)
          w.uint32(obj.status)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          invocationId: '',
          cid: uint8ArrayAlloc(0),
          inputSha256: uint8ArrayAlloc(0),
          outputSha256: uint8ArrayAlloc(0),
          fuel: 0,
          durationUs: 0,
          price: 0,
          executor: uint8ArrayAlloc(0),
          auctioneer: uint8ArrayAlloc(0),
          timestamp: 0,
          status: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.invocationId = reader.string()
              break
            }
            case 2: {
              obj.cid = reader.bytes()
              break
            }
            case 3: {
              obj.inputSha256 = reader.bytes()
              break
            }
            case 4: {
              obj.outputSha256 = reader.bytes()
              break
            }
            case 5: {
              obj.fuel = reader.uint64Number()
              break
            }
            case 6: {
              obj.durationUs = reader.uint32()
              break
            }
            case 7: {
              obj.price = reader.double()
              break
            }
            case 8: {
              obj.executor = reader.bytes()
              break
            }
            case 9: {
              obj.auctioneer = reader.bytes()
              break
            }
            case 10: {
              obj.timestamp = reader.uint64Number()
              break
            }
            case 11: {
              obj.status = reader.uint32()
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
                field: `${prefix}.invocationId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.cid`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.inputSha256`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.outputSha256`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.fuel`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.durationUs`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.price`,
                value: reader.double()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.executor`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.auctioneer`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64Number()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.status`,
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

  export interface ReceiptBodyInvocationIdFieldEvent {
    field: '$.invocationId'
    value: string
  }

  export interface ReceiptBodyCidFieldEvent {
    field: '$.cid'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptBodyInputSha256FieldEvent {
    field: '$.inputSha256'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptBodyOutputSha256FieldEvent {
    field: '$.outputSha256'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptBodyFuelFieldEvent {
    field: '$.fuel'
    value: number
  }

  export interface ReceiptBodyDurationUsFieldEvent {
    field: '$.durationUs'
    value: number
  }

  export interface ReceiptBodyPriceFieldEvent {
    field: '$.price'
    value: number
  }

  export interface ReceiptBodyExecutorFieldEvent {
    field: '$.executor'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptBodyAuctioneerFieldEvent {
    field: '$.auctioneer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptBodyTimestampFieldEvent {
    field: '$.timestamp'
    value: number
  }

  export interface ReceiptBodyStatusFieldEvent {
    field: '$.status'
    value: number
  }

  export function encode (obj: Partial<ReceiptBody>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReceiptBody.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReceiptBody>): ReceiptBody {
    return decodeMessage(buf, ReceiptBody.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReceiptBody>): Generator<ReceiptBodyInvocationIdFieldEvent | ReceiptBodyCidFieldEvent | ReceiptBodyInputSha256FieldEvent | ReceiptBodyOutputSha256FieldEvent | ReceiptBodyFuelFieldEvent | ReceiptBodyDurationUsFieldEvent | ReceiptBodyPriceFieldEvent | ReceiptBodyExecutorFieldEvent | ReceiptBodyAuctioneerFieldEvent | ReceiptBodyTimestampFieldEvent | ReceiptBodyStatusFieldEvent> {
    return streamMessage(buf, ReceiptBody.codec(), opts)
  }
}
