import type { RedisDecorator } from '../../../plugins/redis.js'

/** Redis keys of the metrics snapshots and the stream (built only here, so no other file spells a key). */
export const metricsKeys = {
  /** Sorted set: instance id → last publish time (epoch ms). */
  instances: (redis: RedisDecorator) => redis.key('monitoring', 'instances'),
  /** One instance's latest published snapshot (JSON), expiring when it stops publishing. */
  instance: (redis: RedisDecorator, id: string) => redis.key('monitoring', 'instance', id),
  /** One instance's per-second chart points of the last 15 minutes (list of JSON, newest first). */
  instanceSeries: (redis: RedisDecorator, id: string) => redis.key('monitoring', 'series', id),
  /** A stream token's nonce once it has opened a stream (single use), until the token would expire. */
  streamTicket: (redis: RedisDecorator, nonce: string) => redis.key('monitoring', 'stream-ticket', nonce)
}
