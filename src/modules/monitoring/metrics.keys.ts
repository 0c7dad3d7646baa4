import type { RedisDecorator } from '../../plugins/redis.js'

/** Redis keys of metrics, business metrics and search analytics (STYLE.md rule 9: built only here). */
export const metricsKeys = {
  /** Sorted set: instance id → last publish time (epoch ms). */
  instances: (redis: RedisDecorator) => redis.key('monitoring', 'instances'),
  /** One instance's latest published snapshot (JSON), expiring when it stops publishing. */
  instance: (redis: RedisDecorator, id: string) => redis.key('monitoring', 'instance', id),
  /** One instance's per-second chart points of the last 15 minutes (list of JSON, newest first). */
  instanceSeries: (redis: RedisDecorator, id: string) => redis.key('monitoring', 'series', id),
  /** The latest business metrics (JSON), written by whichever instance computed them. */
  business: (redis: RedisDecorator) => redis.key('monitoring', 'business'),
  /** Lock so one instance computes business metrics per interval. */
  businessLock: (redis: RedisDecorator) => redis.key('monitoring', 'business', 'lock'),
  /** A stream token's nonce once it has opened a stream (single use), until the token would expire. */
  streamTicket: (redis: RedisDecorator, nonce: string) => redis.key('monitoring', 'stream-ticket', nonce),
  /** Sorted sets per UTC hour: normalised query → searches, and → zero-result searches. */
  searchTop: (redis: RedisDecorator, hour: number) => redis.key('search', 'top', hour),
  searchZero: (redis: RedisDecorator, hour: number) => redis.key('search', 'zero', hour),
  /** Hash per UTC hour: total and zero-result search counts. */
  searchTotals: (redis: RedisDecorator, hour: number) => redis.key('search', 'totals', hour),
  /** Capped list of the slowest recent searches (JSON). */
  searchSlow: (redis: RedisDecorator) => redis.key('search', 'slow')
}
