/** What a timed-out race answers: rejects with `reject()`'s error, or resolves with `resolve`. */
export type TimeoutOutcome<U> = { reject: () => Error } | { resolve: U }

/**
 * Settles as `promise` does unless `ms` pass first; then it rejects or
 * resolves as `onTimeout` says (the work itself goes on). The timer is
 * cleared as soon as the race is decided.
 */
export function withTimeout<T, U = never> (promise: Promise<T>, ms: number, onTimeout: TimeoutOutcome<U>): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<U>((resolve, reject) => {
    timer = setTimeout(() => 'reject' in onTimeout ? reject(onTimeout.reject()) : resolve(onTimeout.resolve), ms)
  })
  promise.catch(() => {}) // a late failure after the timeout is already accounted for
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
