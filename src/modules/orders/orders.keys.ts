import type { RedisDecorator } from '../../plugins/redis.js'

/** Redis keys of the orders module (STYLE.md rule 9: built only here). */
export const ordersKeys = {
  /** Lease so one instance looks for expired pending orders per interval. */
  expiryLock: (redis: RedisDecorator) => redis.key('orders', 'expiry', 'lock')
}
