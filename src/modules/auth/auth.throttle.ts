import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { AuthAccountErrors } from './auth.errors.js'

export interface AuthThrottleOptions {
  /** Counters live here, exact across instances; undefined (embedded mode) counts in this process. */
  redis: Redis | undefined
  /** Builds the key prefix of one counter. */
  keyPrefix: (name: 'login-failures' | 'login-lockout' | 'register-address' | 'register-account') => string
  /** Consecutive failed logins of one account before it is locked. @default 5 */
  lockoutThreshold: number
  /** First lockout in seconds; doubles with each further failure. @default 30 */
  lockoutBaseS: number
  /** Longest lockout in seconds. @default 900 */
  lockoutMaxS: number
  /** Registration attempts per client address per day. @default 20 */
  registerPerAddressPerDay: number
  /** Registration attempts per email and per username per hour. @default 3 */
  registerPerAccountPerHour: number
}

// Failed logins are remembered this long after the first one (rate-limiter-flexible fixed window).
const FAILURE_MEMORY_S = 24 * 3600
const FAILURE_POINTS = 1_000_000

function retryError<E extends Error> (err: E, retryMs: number): E {
  return Object.assign(err, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryMs / 1000))) } })
}

/**
 * Login lockout per account and registration caps per address and per target
 * account, on rate-limiter-flexible in Redis (atomic, so exact across
 * instances; an in-memory insurance limiter answers while Redis is down).
 * They hold whatever token the caller attaches: the subjects are the
 * address and the account, never the token's user.
 *
 * Lockout: after `lockoutThreshold` consecutive failures the account is
 * locked for `lockoutBaseS`, doubling with each further failure up to
 * `lockoutMaxS`; a success clears the count. With the defaults an attacker
 * gets 5 guesses, then one per 30, 60, … 900 s: about 100 guesses a day per
 * account, from any number of addresses.
 */
export function createAuthThrottle (opts: AuthThrottleOptions) {
  const limiter = (name: Parameters<AuthThrottleOptions['keyPrefix']>[0], points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: opts.keyPrefix(name), points, duration })
    if (!opts.redis) return memory
    return new RateLimiterRedis({
      storeClient: opts.redis, keyPrefix: opts.keyPrefix(name), points, duration, insuranceLimiter: memory, rejectIfRedisNotReady: true
    })
  }
  const failures = limiter('login-failures', FAILURE_POINTS, FAILURE_MEMORY_S)
  const lockouts = limiter('login-lockout', 1, 1)
  const byAddress = limiter('register-address', opts.registerPerAddressPerDay, 24 * 3600)
  const byAccount = limiter('register-account', opts.registerPerAccountPerHour, 3600)

  /** Seconds the account is locked for after its `failed`-th consecutive failure (0: not locked). */
  function lockoutS (failed: number): number {
    if (failed < opts.lockoutThreshold) return 0
    return Math.min(opts.lockoutMaxS, opts.lockoutBaseS * 2 ** Math.min(30, failed - opts.lockoutThreshold))
  }

  async function consume (limiterOf: RateLimiterAbstract, subject: string): Promise<void> {
    try {
      await limiterOf.consume(subject)
    } catch (rejection) {
      // rate-limiter-flexible rejects with a RateLimiterRes (not an Error) when the limit is hit.
      if (!(rejection instanceof RateLimiterRes)) throw rejection
      throw retryError(new AuthAccountErrors.REGISTRATION_LIMITED(Math.ceil(rejection.msBeforeNext / 1000)), rejection.msBeforeNext)
    }
  }

  return {
    lockoutS,

    /** Throws AUTH_LOGIN_LOCKED (429 + Retry-After) while the account is locked; checked before the password. */
    async assertLoginAllowed (account: string): Promise<void> {
      const res = await lockouts.get(account)
      if (res !== null && res.consumedPoints > 1) {
        throw retryError(new AuthAccountErrors.LOGIN_LOCKED(Math.ceil(res.msBeforeNext / 1000)), res.msBeforeNext)
      }
    },

    /** Counts a failed login and locks the account once the threshold is reached. */
    async loginFailed (account: string): Promise<void> {
      const res = await failures.penalty(account, 1)
      const s = lockoutS(res.consumedPoints)
      if (s > 0) await lockouts.block(account, s)
    },

    /** A successful login clears the account's failure count. */
    async loginSucceeded (account: string): Promise<void> {
      await failures.delete(account)
    },

    /** Counts a registration attempt of `address` for these accounts; throws AUTH_REGISTRATION_LIMITED (429) past a cap. */
    async registration (address: string, accounts: string[]): Promise<void> {
      await consume(byAddress, address)
      for (const account of accounts) await consume(byAccount, account)
    }
  }
}

export type AuthThrottle = ReturnType<typeof createAuthThrottle>
