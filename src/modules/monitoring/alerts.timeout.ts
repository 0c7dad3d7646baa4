import createError from '@fastify/error'

export const StoreTimeoutError = createError<'ALERTS_STORE_TIMEOUT', 503, [string, number]>(
  'ALERTS_STORE_TIMEOUT', 'The alert store did not answer %s within %s ms', 503)

/**
 * Rejects when `promise` has not settled within `ms` (the work itself goes
 * on). A PostgreSQL that accepts connections and never answers must not
 * stall alert evaluation: the alert that says so has to fire.
 */
export function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(what, ms)), ms)
  })
  promise.catch(() => {}) // a late failure after the timeout is already accounted for
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
