import type { RedisDecorator } from '../../../plugins/redis.js'

/** Redis keys of the business metrics (built only here, so no other file spells a key). */
export const businessKeys = {
  /** The latest business metrics (JSON), written by whichever instance computed them. */
  business: (redis: RedisDecorator) => redis.key('monitoring', 'business'),
  /** Lock so one instance computes business metrics per interval. */
  businessLock: (redis: RedisDecorator) => redis.key('monitoring', 'business', 'lock')
}
