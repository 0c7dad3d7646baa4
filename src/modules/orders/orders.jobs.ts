import type { FastifyBaseLogger } from 'fastify'
import { runExclusive } from '../../lib/redis/index.js'
import type { RedisDecorator } from '../../plugins/redis.js'
import { ordersKeys } from './orders.keys.js'
import type { OrdersService } from './orders.service.js'

export interface PendingExpiryOptions {
  orders: Pick<OrdersService, 'expirePending'>
  redis: RedisDecorator
  /** This instance's id, written into the lease. */
  holder: string
  intervalMs: number
  log: FastifyBaseLogger
}

/**
 * Every `intervalMs`, one instance (the first to take the lease) cancels
 * the unpaid pending orders that have expired. The lease saves the other
 * instances the work; correctness does not rest on it: `expirePending`
 * cancels each order once even when several instances run it (Redis down).
 * A run still going when the next tick comes is not started twice.
 */
export function startPendingExpiry (opts: PendingExpiryOptions): { stop: () => void } {
  let running = false
  const tick = async () => {
    if (running) return
    running = true
    try {
      await runExclusive(opts.redis, ordersKeys.expiryLock(opts.redis), opts.holder, opts.intervalMs - 250, async () => {
        await opts.orders.expirePending()
      })
    } catch (err) {
      opts.log.warn({ err }, 'pending order expiry failed; retrying next interval')
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => { tick().catch(() => {}) }, opts.intervalMs).unref()
  return { stop: () => clearInterval(timer) }
}
