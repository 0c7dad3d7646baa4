import type { RedisDecorator } from '../../plugins/redis.js'

/** Redis keys of the orders module (built only here, so every key of the module is under one prefix and can be found). */
export const ordersKeys = {
  /** Lease so one instance looks for expired pending orders per interval. */
  expiryLock: (redis: RedisDecorator) => redis.key('orders', 'expiry', 'lock')
}
