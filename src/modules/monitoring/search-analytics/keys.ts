import type { RedisDecorator } from '../../../plugins/redis.js'

/** Redis keys of search analytics (built only here, so no other file spells a key). */
export const searchAnalyticsKeys = {
  /** Sorted sets per UTC hour: normalised query → searches, and → zero-result searches. */
  searchTop: (redis: RedisDecorator, hour: number) => redis.key('search', 'top', hour),
  searchZero: (redis: RedisDecorator, hour: number) => redis.key('search', 'zero', hour),
  /** Hash per UTC hour: total and zero-result search counts. */
  searchTotals: (redis: RedisDecorator, hour: number) => redis.key('search', 'totals', hour),
  /** Capped list of the slowest recent searches (JSON). */
  searchSlow: (redis: RedisDecorator) => redis.key('search', 'slow')
}
