import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface CallForBids {
  auctionId: string
  cid: Uint8Array<ArrayBuffer>
  inputBytes: number
  deadlineMs: number
  release: Uint8Array<ArrayBuffer>[]
  inputs: InputLocation[]
  nameRecord: Uint8Array<ArrayBuffer>
}

export namespace CallForBids {
  let _codec: Codec<CallForBids>

  export const codec = (): Codec<CallForBids> => {
    if (_codec == null) {
      _codec = message<CallForBids>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.auctionId != null && obj.auctionId !== '')) {
          w.uint32(10)
          w.string(obj.auctionId)
        }

        if ((obj.cid != null && obj.cid.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.cid)
        }

        if ((obj.inputBytes != null && obj.inputBytes !== 0)) {
          w.uint32(24)
          w.uint32(obj.inputBytes)
        }

        if ((obj.deadlineMs != null && obj.deadlineMs !== 0)) {
          w.uint32(32)
          w.uint32(obj.deadlineMs)
        }

        if (obj.release != null && obj.release.length > 0) {
          for (const value of obj.release) {
            w.uint32(42)
            w.bytes(value)
          }
        }

        if (obj.inputs != null && obj.inputs.length > 0) {
          for (const value of obj.inputs) {
            w.uint32(50)
            InputLocation.codec().encode(value, w)
          }
        }

        if ((obj.nameRecord != null && obj.nameRecord.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.nameRecord)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          auctionId: '',
          cid: uint8ArrayAlloc(0),
          inputBytes: 0,
          deadlineMs: 0,
          release: [],
          inputs: [],
          nameRecord: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.auctionId = reader.string()
              break
            }
            case 2: {
              obj.cid = reader.bytes()
              break
            }
            case 3: {
              obj.inputBytes = reader.uint32()
              break
            }
            case 4: {
              obj.deadlineMs = reader.uint32()
              break
            }
            case 5: {
              if (opts.limits?.release != null && obj.release.length === opts.limits.release) {
                throw new MaxLengthError('Decode error - repeated field "release" had too many elements')
              }

              if (obj.release.length === 64) {
                throw new MaxLengthError('Decode error - repeated field "release" had too many elements')
              }

              obj.release.push(reader.bytes())
              break
            }
            case 6: {
              if (opts.limits?.inputs != null && obj.inputs.length === opts.limits.inputs) {
                throw new MaxLengthError('Decode error - repeated field "inputs" had too many elements')
              }

              if (obj.inputs.length === 64) {
                throw new MaxLengthError('Decode error - repeated field "inputs" had too many elements')
              }

              obj.inputs.push(InputLocation.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.inputs$
              }))
              break
            }
            case 7: {
              obj.nameRecord = reader.bytes()
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
          release: 64,
          inputs: 64
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.auctionId`,
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
                field: `${prefix}.inputBytes`,
                value: reader.uint32()
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
            case 5: {
              if (opts.limits?.release != null && obj.release === opts.limits.release) {
                throw new MaxLengthError('Streaming decode error - repeated field "release" had too many elements')
              }

              if (obj.release === 64) {
                throw new MaxLengthError('Streaming decode error - repeated field "release" had too many elements')
              }

              yield {
                field: `${prefix}.release[]`,
                index: obj.release,
                value: reader.bytes()
              }

              obj.release++

              break
            }
            case 6: {
              if (opts.limits?.inputs != null && obj.inputs === opts.limits.inputs) {
                throw new MaxLengthError('Streaming decode error - repeated field "inputs" had too many elements')
              }

              if (obj.inputs === 64) {
                throw new MaxLengthError('Streaming decode error - repeated field "inputs" had too many elements')
              }

              for (const evt of InputLocation.codec().stream(reader, reader.uint32(), `${prefix}.inputs[]`, {
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
            case 7: {
              yield {
                field: `${prefix}.nameRecord`,
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

  export interface CallForBidsAuctionIdFieldEvent {
    field: '$.auctionId'
    value: string
  }

  export interface CallForBidsCidFieldEvent {
    field: '$.cid'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CallForBidsInputBytesFieldEvent {
    field: '$.inputBytes'
    value: number
  }

  export interface CallForBidsDeadlineMsFieldEvent {
    field: '$.deadlineMs'
    value: number
  }

  export interface CallForBidsReleaseFieldEvent {
    field: '$.release[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface CallForBidsInputsPeerFieldEvent {
    field: '$.inputs[].peer'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface CallForBidsInputsBytesFieldEvent {
    field: '$.inputs[].bytes'
    value: number
    index: number
  }

  export interface CallForBidsNameRecordFieldEvent {
    field: '$.nameRecord'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CallForBids>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CallForBids.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CallForBids>): CallForBids {
    return decodeMessage(buf, CallForBids.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CallForBids>): Generator<CallForBidsAuctionIdFieldEvent | CallForBidsCidFieldEvent | CallForBidsInputBytesFieldEvent | CallForBidsDeadlineMsFieldEvent | CallForBidsReleaseFieldEvent | CallForBidsInputsPeerFieldEvent | CallForBidsInputsBytesFieldEvent | CallForBidsNameRecordFieldEvent> {
    return streamMessage(buf, CallForBids.codec(), opts)
  }
}

export interface InputLocation {
  peer: Uint8Array<ArrayBuffer>
  bytes: number
}

export namespace InputLocation {
  let _codec: Codec<InputLocation>

  export const codec = (): Codec<InputLocation> => {
    if (_codec == null) {
      _codec = message<InputLocation>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peer)
        }

        if ((obj.bytes != null && obj.bytes !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.bytes)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: uint8ArrayAlloc(0),
          bytes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.bytes()
              break
            }
            case 2: {
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
                value: reader.bytes()
              }
              break
            }
            case 2: {
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

  export interface InputLocationPeerFieldEvent {
    field: '$.peer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InputLocationBytesFieldEvent {
    field: '$.bytes'
    value: number
  }

  export function encode (obj: Partial<InputLocation>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InputLocation.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InputLocation>): InputLocation {
    return decodeMessage(buf, InputLocation.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InputLocation>): Generator<InputLocationPeerFieldEvent | InputLocationBytesFieldEvent> {
    return streamMessage(buf, InputLocation.codec(), opts)
  }
}

export interface Bid {
  status: Bid.Status
  auctionId: string
  estimatedMs: number
  price: number
  reservation: Uint8Array<ArrayBuffer>
  reservationTtlMs: number
  code: Bid.Code
  reason: Bid.Reason
}

export namespace Bid {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    BID = 'BID',
    DECLINED = 'DECLINED'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    BID = 1,
    DECLINED = 2
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  export enum Code {
    ABSENT = 'ABSENT',
    STORED = 'STORED',
    WARM = 'WARM'
  }

  enum __CodeValues {
    ABSENT = 0,
    STORED = 1,
    WARM = 2
  }

  export namespace Code {
    export const codec = (): Codec<Code> => {
      return enumeration<Code>(__CodeValues)
    }
  }

  export enum Reason {
    NONE = 'NONE',
    FULL = 'FULL',
    DEADLINE = 'DEADLINE',
    RELEASED = 'RELEASED',
    EXCLUDED = 'EXCLUDED',
    STOPPING = 'STOPPING',
    UNTRUSTED = 'UNTRUSTED',
    LIMITED = 'LIMITED',
    BATTERY = 'BATTERY'
  }

  enum __ReasonValues {
    NONE = 0,
    FULL = 1,
    DEADLINE = 2,
    RELEASED = 3,
    EXCLUDED = 4,
    STOPPING = 5,
    UNTRUSTED = 6,
    LIMITED = 7,
    BATTERY = 8
  }

  export namespace Reason {
    export const codec = (): Codec<Reason> => {
      return enumeration<Reason>(__ReasonValues)
    }
  }

  let _codec: Codec<Bid>

  export const codec = (): Codec<Bid> => {
    if (_codec == null) {
      _codec = message<Bid>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          Bid.Status.codec().encode(obj.status, w)
        }

        if ((obj.auctionId != null && obj.auctionId !== '')) {
          w.uint32(18)
          w.string(obj.auctionId)
        }

        if ((obj.estimatedMs != null && obj.estimatedMs !== 0)) {
          w.uint32(24)
          w.uint32(obj.estimatedMs)
        }

        if ((obj.price != null && obj.price !== 0)) {
          w.uint32(33)
          w.double(obj.price)
        }

        if ((obj.reservation != null && obj.reservation.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.reservation)
        }

        if ((obj.reservationTtlMs != null && obj.reservationTtlMs !== 0)) {
          w.uint32(48)
          w.uint32(obj.reservationTtlMs)
        }

        if (obj.code != null && __CodeValues[obj.code] !== 0) {
          w.uint32(56)
          Bid.Code.codec().encode(obj.code, w)
        }

        if (obj.reason != null && __ReasonValues[obj.reason] !== 0) {
          w.uint32(64)
          Bid.Reason.codec().encode(obj.reason, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.UNKNOWN,
          auctionId: '',
          estimatedMs: 0,
          price: 0,
          reservation: uint8ArrayAlloc(0),
          reservationTtlMs: 0,
          code: Code.ABSENT,
          reason: Reason.NONE
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = Bid.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.auctionId = reader.string()
              break
            }
            case 3: {
              obj.estimatedMs = reader.uint32()
              break
            }
            case 4: {
              obj.price = reader.double()
              break
            }
            case 5: {
              obj.reservation = reader.bytes()
              break
            }
            case 6: {
              obj.reservationTtlMs = reader.uint32()
              break
            }
            case 7: {
              obj.code = Bid.Code.codec().decode(reader)
              break
            }
            case 8: {
              obj.reason = Bid.Reason.codec().decode(reader)
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
                value: Bid.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.auctionId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.estimatedMs`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.price`,
                value: reader.double()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.reservation`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.reservationTtlMs`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.code`,
                value: Bid.Code.codec().decode(reader)
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.reason`,
                value: Bid.Reason.codec().decode(reader)
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

  export interface BidStatusFieldEvent {
    field: '$.status'
    value: Bid.Status
  }

  export interface BidAuctionIdFieldEvent {
    field: '$.auctionId'
    value: string
  }

  export interface BidEstimatedMsFieldEvent {
    field: '$.estimatedMs'
    value: number
  }

  export interface BidPriceFieldEvent {
    field: '$.price'
    value: number
  }

  export interface BidReservationFieldEvent {
    field: '$.reservation'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BidReservationTtlMsFieldEvent {
    field: '$.reservationTtlMs'
    value: number
  }

  export interface BidCodeFieldEvent {
    field: '$.code'
    value: Bid.Code
  }

  export interface BidReasonFieldEvent {
    field: '$.reason'
    value: Bid.Reason
  }

  export function encode (obj: Partial<Bid>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Bid.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Bid>): Bid {
    return decodeMessage(buf, Bid.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Bid>): Generator<BidStatusFieldEvent | BidAuctionIdFieldEvent | BidEstimatedMsFieldEvent | BidPriceFieldEvent | BidReservationFieldEvent | BidReservationTtlMsFieldEvent | BidCodeFieldEvent | BidReasonFieldEvent> {
    return streamMessage(buf, Bid.codec(), opts)
  }
}
