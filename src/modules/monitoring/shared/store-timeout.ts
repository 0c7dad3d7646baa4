import createError from '@fastify/error'
import { withTimeout } from '../../../lib/timeout.js'

export const StoreTimeoutError = createError<'ALERTS_STORE_TIMEOUT', 503, [string, number]>(
  'ALERTS_STORE_TIMEOUT', 'The alert store did not answer %s within %s ms', 503)

/**
 * Rejects when `promise` has not settled within `ms` (the work itself goes
 * on). A PostgreSQL that accepts connections and never answers must not
 * stall alert evaluation: the alert that says so has to fire.
 */
export function withStoreTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(promise, ms, { reject: () => new StoreTimeoutError(what, ms) })
}
