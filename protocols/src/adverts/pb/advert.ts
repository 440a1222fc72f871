import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface CapacityAdvert {
  seq: number
  timestamp: number
  slotsTotal: number
  slotsFree: number
  queueLength: number
  speed: number
  memoryFreeBytes: number
  warmCids: Uint8Array<ArrayBuffer>[]
  tags: Tag[]
  multiaddrs: Uint8Array<ArrayBuffer>[]
  httpAddrs: string[]
  batteryPercent?: number
}

export namespace CapacityAdvert {
  let _codec: Codec<CapacityAdvert>

  export const codec = (): Codec<CapacityAdvert> => {
    if (_codec == null) {
      _codec = message<CapacityAdvert>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.seq)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.timestamp)
        }

        if ((obj.slotsTotal != null && obj.slotsTotal !== 0)) {
          w.uint32(24)
          w.uint32(obj.slotsTotal)
        }

        if ((obj.slotsFree != null && obj.slotsFree !== 0)) {
          w.uint32(32)
          w.uint32(obj.slotsFree)
        }

        if ((obj.queueLength != null && obj.queueLength !== 0)) {
          w.uint32(40)
          w.uint32(obj.queueLength)
        }

        if ((obj.speed != null && obj.speed !== 0)) {
          w.uint32(49)
          w.double(obj.speed)
        }

        if ((obj.memoryFreeBytes != null && obj.memoryFreeBytes !== 0)) {
          w.uint32(56)
          w.uint64Number(obj.memoryFreeBytes)
        }

        if (obj.warmCids != null && obj.warmCids.length > 0) {
          for (const value of obj.warmCids) {
            w.uint32(66)
            w.bytes(value)
          }
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(74)
            Tag.codec().encode(value, w)
          }
        }

        if (obj.multiaddrs != null && obj.multiaddrs.length > 0) {
          for (const value of obj.multiaddrs) {
            w.uint32(82)
            w.bytes(value)
          }
        }

        if (obj.httpAddrs != null && obj.httpAddrs.length > 0) {
          for (const value of obj.httpAddrs) {
            w.uint32(90)
            w.string(value)
          }
        }

        if (obj.batteryPercent != null) {
          w.uint32(96)
          w.uint32(obj.batteryPercent)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0,
          timestamp: 0,
          slotsTotal: 0,
          slotsFree: 0,
          queueLength: 0,
          speed: 0,
          memoryFreeBytes: 0,
          warmCids: [],
          tags: [],
          multiaddrs: [],
          httpAddrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.seq = reader.uint64Number()
              break
            }
            case 2: {
              obj.timestamp = reader.uint64Number()
              break
            }
            case 3: {
              obj.slotsTotal = reader.uint32()
              break
            }
            case 4: {
              obj.slotsFree = reader.uint32()
              break
            }
            case 5: {
              obj.queueLength = reader.uint32()
              break
            }
            case 6: {
              obj.speed = reader.double()
              break
            }
            case 7: {
              obj.memoryFreeBytes = reader.uint64Number()
              break
            }
            case 8: {
              if (opts.limits?.warmCids != null && obj.warmCids.length === opts.limits.warmCids) {
                throw new MaxLengthError('Decode error - repeated field "warmCids" had too many elements')
              }

              if (obj.warmCids.length === 64) {
                throw new MaxLengthError('Decode error - repeated field "warmCids" had too many elements')
              }

              obj.warmCids.push(reader.bytes())
              break
            }
            case 9: {
              if (opts.limits?.tags != null && obj.tags.length === opts.limits.tags) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              if (obj.tags.length === 16) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              obj.tags.push(Tag.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.tags$
              }))
              break
            }
            case 10: {
              if (opts.limits?.multiaddrs != null && obj.multiaddrs.length === opts.limits.multiaddrs) {
                throw new MaxLengthError('Decode error - repeated field "multiaddrs" had too many elements')
              }

              if (obj.multiaddrs.length === 16) {
                throw new MaxLengthError('Decode error - repeated field "multiaddrs" had too many elements')
              }

              obj.multiaddrs.push(reader.bytes())
              break
            }
            case 11: {
              if (opts.limits?.httpAddrs != null && obj.httpAddrs.length === opts.limits.httpAddrs) {
                throw new MaxLengthError('Decode error - repeated field "httpAddrs" had too many elements')
              }

              if (obj.httpAddrs.length === 4) {
                throw new MaxLengthError('Decode error - repeated field "httpAddrs" had too many elements')
              }

              obj.httpAddrs.push(reader.string())
              break
            }
            case 12: {
              obj.batteryPercent = reader.uint32()
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
          warmCids: 64,
          tags: 16,
          multiaddrs: 16,
          httpAddrs: 4
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.slotsTotal`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.slotsFree`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.queueLength`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.speed`,
                value: reader.double()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.memoryFreeBytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 8: {
              if (opts.limits?.warmCids != null && obj.warmCids === opts.limits.warmCids) {
                throw new MaxLengthError('Streaming decode error - repeated field "warmCids" had too many elements')
              }

              if (obj.warmCids === 64) {
                throw new MaxLengthError('Streaming decode error - repeated field "warmCids" had too many elements')
              }

              yield {
                field: `${prefix}.warmCids[]`,
                index: obj.warmCids,
                value: reader.bytes()
              }

              obj.warmCids++

              break
            }
            case 9: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              if (obj.tags === 16) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              for (const evt of Tag.codec().stream(reader, reader.uint32(), `${prefix}.tags[]`, {
                limits: opts.limits?.tags$
              })) {
                yield {
                  ...evt,
                  index: obj.tags
                }
              }

              obj.tags++

              break
            }
            case 10: {
              if (opts.limits?.multiaddrs != null && obj.multiaddrs === opts.limits.multiaddrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "multiaddrs" had too many elements')
              }

              if (obj.multiaddrs === 16) {
                throw new MaxLengthError('Streaming decode error - repeated field "multiaddrs" had too many elements')
              }

              yield {
                field: `${prefix}.multiaddrs[]`,
                index: obj.multiaddrs,
                value: reader.bytes()
              }

              obj.multiaddrs++

              break
            }
            case 11: {
              if (opts.limits?.httpAddrs != null && obj.httpAddrs === opts.limits.httpAddrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "httpAddrs" had too many elements')
              }

              if (obj.httpAddrs === 4) {
                throw new MaxLengthError('Streaming decode error - repeated field "httpAddrs" had too many elements')
              }

              yield {
                field: `${prefix}.httpAddrs[]`,
                index: obj.httpAddrs,
                value: reader.string()
              }

              obj.httpAddrs++

              break
            }
            case 12: {
              yield {
                field: `${prefix}.batteryPercent`,
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

  export interface CapacityAdvertSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface CapacityAdvertTimestampFieldEvent {
    field: '$.timestamp'
    value: number
  }

  export interface CapacityAdvertSlotsTotalFieldEvent {
    field: '$.slotsTotal'
    value: number
  }

  export interface CapacityAdvertSlotsFreeFieldEvent {
    field: '$.slotsFree'
    value: number
  }

  export interface CapacityAdvertQueueLengthFieldEvent {
    field: '$.queueLength'
    value: number
  }

  export interface CapacityAdvertSpeedFieldEvent {
    field: '$.speed'
    value: number
  }

  export interface CapacityAdvertMemoryFreeBytesFieldEvent {
    field: '$.memoryFreeBytes'
    value: number
  }

  export interface CapacityAdvertWarmCidsFieldEvent {
    field: '$.warmCids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface CapacityAdvertTagsKeyFieldEvent {
    field: '$.tags[].key'
    value: string
    index: number
  }

  export interface CapacityAdvertTagsValueFieldEvent {
    field: '$.tags[].value'
    value: string
    index: number
  }

  export interface CapacityAdvertMultiaddrsFieldEvent {
    field: '$.multiaddrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface CapacityAdvertHttpAddrsFieldEvent {
    field: '$.httpAddrs[]'
    index: number
    value: string
  }

  export interface CapacityAdvertBatteryPercentFieldEvent {
    field: '$.batteryPercent'
    value: number
  }

  export function encode (obj: Partial<CapacityAdvert>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CapacityAdvert.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CapacityAdvert>): CapacityAdvert {
    return decodeMessage(buf, CapacityAdvert.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CapacityAdvert>): Generator<CapacityAdvertSeqFieldEvent | CapacityAdvertTimestampFieldEvent | CapacityAdvertSlotsTotalFieldEvent | CapacityAdvertSlotsFreeFieldEvent | CapacityAdvertQueueLengthFieldEvent | CapacityAdvertSpeedFieldEvent | CapacityAdvertMemoryFreeBytesFieldEvent | CapacityAdvertWarmCidsFieldEvent | CapacityAdvertTagsKeyFieldEvent | CapacityAdvertTagsValueFieldEvent | CapacityAdvertMultiaddrsFieldEvent | CapacityAdvertHttpAddrsFieldEvent | CapacityAdvertBatteryPercentFieldEvent> {
    return streamMessage(buf, CapacityAdvert.codec(), opts)
  }
}

export interface Tag {
  key: string
  value: string
}

export namespace Tag {
  let _codec: Codec<Tag>

  export const codec = (): Codec<Tag> => {
    if (_codec == null) {
      _codec = message<Tag>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.value != null && obj.value !== '')) {
          w.uint32(18)
          w.string(obj.value)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          value: ''
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
              obj.value = reader.string()
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

  export interface TagKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface TagValueFieldEvent {
    field: '$.value'
    value: string
  }

  export function encode (obj: Partial<Tag>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Tag.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Tag>): Tag {
    return decodeMessage(buf, Tag.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Tag>): Generator<TagKeyFieldEvent | TagValueFieldEvent> {
    return streamMessage(buf, Tag.codec(), opts)
  }
}
