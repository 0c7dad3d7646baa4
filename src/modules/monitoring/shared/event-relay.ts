import type { Channel } from 'node:diagnostics_channel'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { RedisDecorator } from '../../../plugins/redis.js'

export interface EventRelayOptions {
  redis: RedisDecorator
  /** Redis pub/sub channel (includes the key prefix). */
  redisChannel: string
  /** The in-process channel the live stream subscribes to. */
  channel: Channel
  /** This instance's id: its own messages come back from Redis and are skipped. */
  origin: string
  log: FastifyBaseLogger
}

export type EventRelay = ReturnType<typeof createEventRelay>

/**
 * Publishes monitoring events on an in-process diagnostics channel and, via
 * Redis pub/sub, on the same channel of every other instance, so a
 * dashboard connected to any instance sees alerts evaluated by the leader
 * and profiles captured elsewhere. Local delivery never depends on Redis.
 */
export function createEventRelay (opts: EventRelayOptions) {
  let subscriber: Redis | undefined
  let publishFailing = false

  function onMessage (_channel: string, raw: string): void {
    try {
      const msg = JSON.parse(raw) as { origin?: string, payload?: unknown }
      if (msg.origin !== opts.origin && msg.payload !== undefined && opts.channel.hasSubscribers) opts.channel.publish(msg.payload)
    } catch (err) {
      opts.log.warn({ err: { message: (err as Error).message } }, 'ignoring malformed monitoring relay message')
    }
  }

  return {
    /** Subscribes to the other instances' events; a failure only costs cross-instance delivery. */
    async start (): Promise<void> {
      // No Redis at all (embedded mode): one process, so local delivery is all there is.
      if (opts.redis.embedded) return
      try {
        subscriber = opts.redis.duplicate()
        subscriber.on('error', () => {}) // the main client already logs outages
        if (subscriber.status === 'wait') await subscriber.connect()
        subscriber.on('message', onMessage)
        await subscriber.subscribe(opts.redisChannel)
      } catch (err) {
        opts.log.warn({ err: { message: (err as Error).message }, channel: opts.channel.name }, 'monitoring relay not subscribed; events stay local to this instance')
      }
    },
    publish (payload: unknown): void {
      if (opts.channel.hasSubscribers) opts.channel.publish(payload)
      if (!opts.redis.isReady()) return
      opts.redis.client.publish(opts.redisChannel, JSON.stringify({ origin: opts.origin, payload })).then(() => {
        publishFailing = false
      }, (err: Error) => {
        if (!publishFailing) opts.log.warn({ err: { message: err.message } }, 'monitoring relay publish failed')
        publishFailing = true
      })
    },
    close (): void {
      subscriber?.disconnect()
      subscriber = undefined
    }
  }
}
