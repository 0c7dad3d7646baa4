import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import type { LimitOutcome } from './headers.js'
import { defineLeaseCommand } from './lease.js'

/**
 * GCRA (generic cell rate algorithm) in one atomic Lua call, plugged into
 * rate-limiter-flexible's RateLimiterRedis through `customIncrTtlLuaScript`
 * (same arguments and `{consumed, ttlMs}` reply as its built-in script).
 *
 * Why not the built-in fixed window: INCR per window counts exactly but lets
 * a client send 2× the limit across a window edge. A sliding log keyed by
 * the second collapses all requests of one second into one ZSET member. GCRA keeps one
 * number per client (the theoretical arrival time, TAT, in ms from Redis'
 * own clock so every instance agrees): each request moves it `window/limit`
 * ms ahead and is refused when that would put it more than one window ahead.
 * That is an exact count (request n of a burst sees `n` used, whatever the
 * second it arrives in), smooth at edges, and — because the state is time,
 * not a count — a limit that changes with load applies at once without
 * resetting anyone's budget. A refused request does not move the TAT, so
 * `Retry-After` is exact. The 1 ms slack absorbs floating-point rounding of
 * `window/limit` sums.
 *
 * ARGV: [1] points to consume, [2] window s, [3] limit, [4] window s.
 * Reply: allowed → {used, ms until fully replenished}; refused → {limit + 1, ms until next allowed}.
 */
export const GCRA_LUA = `
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[2]) * 1000
local interval = window / limit
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local ahead = tat + cost * interval - now
if ahead > window + 1 then
  return {limit + 1, math.ceil(ahead - window)}
end
redis.call('SET', KEYS[1], string.format('%.17g', now + ahead), 'PX', math.ceil(ahead))
return {math.ceil(ahead / interval - 1e-6), math.ceil(ahead)}
`

/**
 * The rate limiter's own connection, with the lease script defined. Not auto-pipelined:
 * RateLimiterRedis defines its Lua command when it is first built for a limit (at the first
 * exact-route request after a load-level change), and a command defined while the tick's
 * auto-pipeline is pending is missing from that pipeline. ioredis (5.11) then gets fewer replies
 * than it queued callbacks and throws `results[i] is not iterable` from a nextTick, which killed
 * both workers of a mixed load test at their first level change. Lease calls still share writes:
 * those of one turn of the event loop leave as one explicit pipeline (`TurnBatch`,
 * `lib/redis/turn-batch.ts`), built when it is sent, after any definition.
 */
export async function connectLimiterClient (base: Redis, connectionName: string): Promise<Redis> {
  const client = base.duplicate({ connectionName, enableAutoPipelining: false })
  // Outages are logged once by the redis plugin; without a listener ioredis prints each one.
  client.on('error', () => {})
  await client.connect()
  defineLeaseCommand(client)
  return client
}

export interface RouteLimiterOptions {
  /**
   * A connection used only by rate limiting: RateLimiterRedis defines its
   * script on the client. Undefined without Redis (embedded mode): the
   * in-memory insurance limiter then counts every request itself.
   */
  client: Redis | undefined
  /** Every key is `${keyPrefix}:${clientKey}`. */
  keyPrefix: string
  /** The route's base limit (before load scaling) and window. */
  points: number
  durationS: number
}

/**
 * The limiter of one route. Limits scale with load, so it keeps one
 * RateLimiterRedis per effective limit (at most a handful: 4 levels × 2
 * tightening states), all on the same keys: they share each client's GCRA
 * state and differ only in the limit they enforce.
 *
 * Redis unreachable → the shared in-memory insurance limiter (fixed window of
 * the base limit, per instance) answers instead, and the effective limit is
 * enforced on its count here. Nothing fails open or closed: login stays
 * limited during an outage, at worst at N× its budget across N instances.
 */
export class RouteLimiter {
  private readonly byLimit = new Map<number, RateLimiterRedis>()
  private readonly insurance: RateLimiterMemory

  constructor (private readonly opts: RouteLimiterOptions) {
    this.insurance = new RateLimiterMemory({ points: opts.points, duration: opts.durationS, keyPrefix: opts.keyPrefix })
  }

  get basePoints (): number { return this.opts.points }
  get durationS (): number { return this.opts.durationS }

  private limiterFor (limit: number, redis: boolean): RateLimiterRedis | RateLimiterMemory {
    if (!this.opts.client || !redis) return this.insurance
    let limiter = this.byLimit.get(limit)
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.opts.client,
        points: limit,
        duration: this.opts.durationS,
        keyPrefix: this.opts.keyPrefix,
        customIncrTtlLuaScript: GCRA_LUA,
        insuranceLimiter: this.insurance,
        // Go to the insurance limiter at once while disconnected instead of queueing or timing out.
        rejectIfRedisNotReady: true
      })
      this.byLimit.set(limit, limiter)
    }
    return limiter
  }

  /**
   * Counts one request of `clientKey` against `limit` (the load-scaled limit, ≤ base); with
   * `redis` false on the insurance limiter alone (a lease call to Redis has just failed).
   */
  async consume (clientKey: string, limit: number, redis = true): Promise<LimitOutcome> {
    let res: RateLimiterRes
    let allowed = true
    try {
      res = await this.limiterFor(limit, redis).consume(clientKey)
    } catch (rejection) {
      // rate-limiter-flexible rejects with a RateLimiterRes (not an Error) when the limit is hit.
      if (!(rejection instanceof RateLimiterRes)) throw rejection
      res = rejection
      allowed = false
    }
    // Only the insurance limiter (counting up to the base limit) can resolve above `limit`.
    if (res.consumedPoints > limit) allowed = false
    return {
      allowed,
      limit,
      remaining: allowed ? Math.max(0, limit - res.consumedPoints) : 0,
      windowS: this.opts.durationS,
      resetMs: res.msBeforeNext
    }
  }
}
