import type { RedisDecorator } from '../../plugins/redis.js'
import type { OrderStatus } from './orders.status.js'

/** Redis keys of the orders module (built only here, so every key of the module is under one prefix and can be found). */
export const ordersKeys = {
  /** Lease so one instance looks for expired pending orders per interval. */
  expiryLock: (redis: RedisDecorator) => redis.key('orders', 'expiry', 'lock')
}

/**
 * Cache tags of the orders module. The cache plugin prefixes keys as
 * `<prefix>:cache:user_orders:<key>`.
 *
 * - `orders:u:<userId>`: every cached page of the orders the user placed;
 *   bumped by each write of one of those orders: placement, a status change
 *   (cancellation, payment, shipping, delivery), a seller's fulfilment of a
 *   line, the expiry job's cancellation.
 */
export const OrdersTags = {
  buyer: (userId: number) => `orders:u:${userId}`
}

export const OrdersCacheKeys = {
  /** A page of the orders `userId` placed (GET /orders, scope `mine`), per status filter and paging. */
  placedPage: (userId: number, status: OrderStatus | undefined, page: number, pageSize: number) => `${userId}:${status ?? 'all'}:${page}:${pageSize}`
}

/** Fresh lifetime of a cached page of orders, in seconds. */
export const ORDERS_CACHE_TTL_S = 3600
/** Pages past this one are read from the database every time: shoppers look at the first pages. */
export const ORDERS_CACHED_PAGES = 3
