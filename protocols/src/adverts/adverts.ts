import { TypedEventEmitter } from 'main-event'
import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub'
import {
  ADVERTS_TOPIC, DEFAULT_INTERVAL_MS, MIN_PUBLISH_GAP_MS, TTL_INTERVALS
} from './constants.js'
import { CapacityAdvert } from './pb/advert.js'
import { PeerView, type PeerEntry } from './peer-view.js'
import { validateAdvert, type RejectReason } from './validate.js'
import type {
  AdvertFields, CapacityAdvertsComponents, CapacityAdvertsEvents, CapacityAdvertsInit, CapacityAdverts as CapacityAdvertsInterface
} from './index.js'
import type { Logger, PeerId, Startable } from '@libp2p/interface'

/**
 * Publishes this node's capacity on the adverts topic and keeps the view of everyone else's.
 * Mechanism only: what the node advertises comes from the daemon through `setSource`.
 */
export class CapacityAdverts extends TypedEventEmitter<CapacityAdvertsEvents> implements CapacityAdvertsInterface, Startable {
  readonly topic = ADVERTS_TOPIC
  readonly intervalMs: number
  readonly ttlMs: number
  private readonly components: CapacityAdvertsComponents
  private readonly log: Logger
  private readonly view = new PeerView()
  private source?: () => AdvertFields
  // starts from the clock so a restarted node's adverts are never older than its last life's
  private seq = Date.now() * 1000
  private lastPublish = 0
  private publishTimer?: ReturnType<typeof setInterval>
  private sweepTimer?: ReturnType<typeof setInterval>
  private soonTimer?: ReturnType<typeof setTimeout>
  private running = false

  constructor (components: CapacityAdvertsComponents, init: CapacityAdvertsInit) {
    super()
    this.components = components
    this.log = components.logger.forComponent('faasmesh:adverts')
    this.intervalMs = init.intervalMs ?? DEFAULT_INTERVAL_MS
    this.ttlMs = init.ttlMs ?? this.intervalMs * TTL_INTERVALS
  }

  readonly [Symbol.toStringTag] = 'faasmesh:adverts'

  setSource (source: () => AdvertFields): void {
    this.source = source
  }

  peers (): PeerEntry[] {
    return this.view.list()
  }

  async start (): Promise<void> {
    this.running = true
  }

  /** gossipsub starts alongside this service: subscribe only once every service is up. */
  async afterStart (): Promise<void> {
    const { pubsub, events } = this.components
    pubsub.topicValidators.set(this.topic, this.validate)
    pubsub.addEventListener('message', this.onMessage)
    events.addEventListener('peer:disconnect', this.onDisconnect)
    pubsub.subscribe(this.topic)
    this.publishTimer = setInterval(() => { this.publish('interval') }, this.intervalMs)
    this.sweepTimer = setInterval(() => { this.sweep() }, Math.max(100, Math.floor(this.ttlMs / 4)))
  }

  async beforeStop (): Promise<void> {
    const { pubsub, events } = this.components
    pubsub.unsubscribe(this.topic)
    pubsub.removeEventListener('message', this.onMessage)
    events.removeEventListener('peer:disconnect', this.onDisconnect)
    if (pubsub.topicValidators.get(this.topic) === this.validate) pubsub.topicValidators.delete(this.topic)
  }

  async stop (): Promise<void> {
    this.running = false
    clearInterval(this.publishTimer)
    clearInterval(this.sweepTimer)
    clearTimeout(this.soonTimer)
    this.view.clear()
  }

  /** Publishes promptly (rate-limited), e.g. when slots were freed or exhausted. */
  publishSoon (): void {
    if (!this.running || this.soonTimer != null) return
    const wait = Math.max(0, this.lastPublish + MIN_PUBLISH_GAP_MS - Date.now())
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined
      this.publish('change')
    }, wait)
  }

  private publish (trigger: 'interval' | 'change'): void {
    if (!this.running || this.source == null) return
    const { pubsub } = this.components
    // gossipsub refuses to publish with nobody subscribed; there is nobody to tell anyway
    if (pubsub.getSubscribers(this.topic).length === 0) return
    let advert: CapacityAdvert
    try {
      advert = { ...this.source(), seq: ++this.seq, timestamp: Date.now() }
    } catch (err) {
      this.log.error('advert source failed - %e', err)
      return
    }
    this.lastPublish = Date.now()
    const data = CapacityAdvert.encode(advert)
    pubsub.publish(this.topic, data).then(() => {
      this.safeDispatchEvent('advert:sent', { detail: { bytes: data.byteLength, trigger } })
    }, (err: any) => {
      this.log('could not publish advert - %e', err)
    })
  }

  /** The topic validator: the only gate adverts pass. Never throws. */
  private readonly validate = (peer: PeerId, message: Message): TopicValidatorResult => {
    try {
      if (message.type !== 'signed') return this.reject(peer, 'unsigned', 'message is not signed')
      const from = message.from.toString()
      const result = validateAdvert(message.data, { from, now: Date.now(), lastSeq: this.view.get(from)?.advert.seq })
      if (!result.ok) return this.reject(message.from, result.reason, result.detail)
      return TopicValidatorResult.Accept
    } catch (err) {
      this.log.error('advert validation failed - %e', err)
      return TopicValidatorResult.Ignore
    }
  }

  private reject (peer: PeerId, reason: RejectReason, detail: string): TopicValidatorResult {
    this.log('rejected advert from %p: %s (%s)', peer, reason, detail)
    this.safeDispatchEvent('advert:rejected', { detail: { from: peer, reason } })
    return TopicValidatorResult.Reject
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const message = evt.detail
    if (message.topic !== this.topic || message.type !== 'signed') return
    if (message.from.equals(this.components.peerId)) return
    try {
      // validated already: decoding cannot fail here, but a handler must never throw
      const advert = CapacityAdvert.decode(message.data)
      const from = message.from.toString()
      const previous = this.view.get(from)
      if (previous != null && advert.seq <= previous.advert.seq) return
      const isNew = this.view.upsert(message.from, advert, Date.now())
      this.safeDispatchEvent('advert:received', { detail: { from: message.from, advert, delayMs: Date.now() - advert.timestamp } })
      this.safeDispatchEvent(isNew ? 'peer:join' : 'peer:update', { detail: this.view.get(from)! })
    } catch (err) {
      this.log.error('could not handle advert - %e', err)
    }
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const entry = this.view.remove(evt.detail.toString())
    if (entry != null) this.safeDispatchEvent('peer:leave', { detail: { peerId: entry.peerId, reason: 'disconnected' } })
  }

  private sweep (): void {
    for (const entry of this.view.expire(Date.now(), this.ttlMs)) {
      this.safeDispatchEvent('peer:leave', { detail: { peerId: entry.peerId, reason: 'expired' } })
    }
  }
}
