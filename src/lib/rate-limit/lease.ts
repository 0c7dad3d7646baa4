import { AsyncResource } from 'node:async_hooks'
import type { Redis } from 'ioredis'
import { turnBatchOf, type CommandTarget, type TurnBatch } from '../redis/index.js'
import type { LimitOutcome } from './headers.js'

/**
 * Leased rate-limit budgets: each instance takes a client's points from the
 * shared GCRA state in Redis a batch at a time and serves the requests of that
 * client from the batch in process, so a request on a hot route costs a Map
 * lookup instead of a Redis round trip.
 *
 * The script is the GCRA of `rate-limit-store.ts` (same key, same state: the
 * theoretical arrival time from Redis' clock; each point moves it
 * `window/limit` ms ahead, never more than one window + 1 ms ahead) taking
 * `min(wanted, free)` points in one atomic call instead of all-or-nothing.
 * With `wanted = 1` it answers exactly as the per-request script does.
 *
 * ARGV: [1] points wanted, [2] limit, [3] window s.
 * Reply: {granted, ms}: granted > 0 → ms until the budget is whole again;
 * granted = 0 → ms until the next point is free (nothing was written).
 */
export const GCRA_LEASE_LUA = `
local want = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3]) * 1000
local interval = window / limit
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local free = math.floor((window + 1 - (tat - now)) / interval)
local granted = math.min(want, free)
if granted < 1 then
  return {0, math.ceil(tat + interval - now - window)}
end
local ahead = tat + granted * interval - now
redis.call('SET', KEYS[1], string.format('%.17g', now + ahead), 'PX', math.ceil(ahead))
return {granted, math.ceil(ahead)}
`

const LEASE_COMMAND = 'techmartLeaseGcra'

type LeaseReply = [granted: number, ms: number]

type LeaseReplyCallback = (err: Error | null | undefined, reply?: LeaseReply) => void

type LeaseCommand = Record<typeof LEASE_COMMAND, (key: string, want: number, limit: number, windowS: number, callback: LeaseReplyCallback) => unknown>

/** Defines the lease script on a connection (EVALSHA, falling back to EVAL once per connection). */
export function defineLeaseCommand (client: Redis): void {
  client.defineCommand(LEASE_COMMAND, { numberOfKeys: 1, lua: GCRA_LEASE_LUA })
}

/**
 * A lease never holds more than a tenth of the client's limit: the overshoot
 * it allows stays a small share of the limit, and a route of fewer than 20
 * points (login-like limits) leases one point at a time, i.e. counts every
 * request in Redis.
 */
export const LEASE_SHARE_DIVISOR = 10

/** Points one lease takes for `limit` (the load-scaled limit): `min(maxBatch, ⌊limit / 10⌋)`, at least 1. */
export function leaseBatch (limit: number, maxBatch: number): number {
  return Math.max(1, Math.min(maxBatch, Math.floor(limit / LEASE_SHARE_DIVISOR)))
}

/**
 * A lease asks for its next points when it is down to a quarter of a batch (a refill), so that a
 * client's next requests do not wait for Redis: at 1,000 connections a turn of the event loop
 * lasts tens of milliseconds, and a refill asked for with the last point was still in flight
 * when the client's next request came. Below 4 (small limits, high load levels) the refill is
 * asked for with the last point. A batch of 1 never refills: every request counts in Redis.
 */
export function refillAt (batch: number): number {
  return batch === 1 ? -1 : Math.floor(batch / 4)
}

/**
 * After a failed lease call (a timeout: Redis connected but not answering), the route counts on
 * the insurance limiter this long before it asks Redis again, instead of making every client
 * without a lease wait for its own timeout.
 */
const REDIS_RETRY_AFTER_FAILURE_MS = 1000

export type LimitCallback = (err: Error | null, outcome?: LimitOutcome) => void

/**
 * `done` made to run in the async context of the request that called, when another request's
 * Redis reply calls it back (its timings and trace stay its own). Not AsyncResource.bind: on
 * Node 20 each bind also builds two deprecation wrappers for the bound function's
 * `asyncResource` property, 1.3 % of the server's busy CPU in a mixed-load profile.
 */
function inCallerScope (done: LimitCallback): LimitCallback {
  const resource = new AsyncResource('techmart:rate-limit-lease')
  return (err, outcome) => { resource.runInAsyncScope(done, undefined, err, outcome) }
}

/**
 * Counts one request per call without a lease: the per-request limiter (GCRA in Redis, the
 * insurance limiter when Redis is not connected), or with `redis` false the insurance limiter alone.
 */
export type CountEach = (clientKey: string, limit: number, redis: boolean) => Promise<LimitOutcome>

interface Lease {
  /** The load-scaled limit the points were granted under; another limit needs another lease. */
  limit: number
  /** Points a call keeps for the client under that limit (`leaseBatch`), and the refill mark (`refillAt`). */
  batch: number
  refillAt: number
  /** Points still to hand out in this process. */
  left: number
  /** Local epoch ms at which the client's shared budget is whole again, as of the last grant. */
  fullAt: number
  /** Local epoch ms after which unused points are dropped (one window after the grant). */
  expiresAt: number
  /** Local epoch ms until which Redis refused this client (0 = no refusal known). */
  refusedUntil: number
  /** Requests queued behind the Redis call in flight; undefined when none is in flight. */
  waiting: LimitCallback[] | undefined
}

/**
 * Leases by client key in two generations: a lease untouched for a whole
 * generation (one window) moves to the old one, and the old one is dropped
 * at the next turn. Memory stays bounded by the clients active in the last two
 * windows, without a timer or a scan; at `maxEntries` the turn comes early
 * (the dropped leases' clients lease again).
 */
class LeaseTable {
  private current = new Map<string, Lease>()
  private previous = new Map<string, Lease>()
  private turnedAt: number

  constructor (private readonly generationMs: number, private readonly maxEntries: number, now: number) {
    this.turnedAt = now
  }

  get size (): number { return this.current.size + this.previous.size }

  get (key: string, now: number): Lease | undefined {
    if (now - this.turnedAt >= this.generationMs) this.turn(now)
    const lease = this.current.get(key)
    if (lease !== undefined) return lease
    const old = this.previous.get(key)
    if (old !== undefined) {
      this.previous.delete(key)
      this.current.set(key, old)
    }
    return old
  }

  set (key: string, lease: Lease, now: number): void {
    if (this.current.size >= this.maxEntries) this.turn(now)
    this.current.set(key, lease)
  }

  private turn (now: number): void {
    this.previous = this.current
    this.current = new Map()
    this.turnedAt = now
  }
}

/** What a limiter did since start: the cost side of leasing. */
export interface LeaseStats {
  /** Requests answered from a lease (allowed) or a known refusal, without Redis. */
  local: number
  /** Lease calls to Redis (one per batch, per refusal, or per request when the batch is 1). */
  redisCalls: number
  /** Requests counted one by one: Redis not connected, a failed lease call, or no Redis at all. */
  perRequest: number
  /** Leases held now. */
  held: number
}

export interface LeasedLimiterOptions {
  /** The rate-limit connection (undefined without Redis: every request goes to `countEach`). */
  client: Redis | undefined
  /** Every key is `${keyPrefix}:${clientKey}`, the same keys as the per-request limiter. */
  keyPrefix: string
  durationS: number
  /** Largest lease (`RATE_LIMIT_LEASE_BATCH`); see `leaseBatch`. */
  maxBatch: number
  /** The per-request path, for outages and failed calls. */
  countEach: CountEach
  /** Most client keys held at once by this route. @default 100_000 */
  maxEntries?: number
  now?: () => number
}

/**
 * The limiter of one leased route. `consume` answers synchronously (its
 * callback runs before it returns) while the client's lease has points or a
 * refusal from Redis still stands; otherwise one Redis call takes
 * `queued + batch − 1` points, serves the requests queued behind it in their
 * order and keeps the rest. Requests of the same client that arrive while the
 * call is in flight wait for it instead of making calls of their own. A lease
 * down to its refill mark (`refillAt`) asks for its next points while it still
 * serves the client, so a client that is not bursting does not wait.
 *
 * A lease is valid for one window after its grant and only under the limit it
 * was granted under: when the load level changes a route's limit, each client's
 * next request leases again under the new limit (its unused points are dropped;
 * Redis has counted them, so dropping can only cost the client, at most one
 * batch). Bound on the overshoot: the points a lease holds when a client's
 * shared budget refills are points Redis no longer counts, so over any span a
 * client gets at most what per-request GCRA would allow plus `batch − 1` per
 * instance that holds a lease for it (`instances × (batch − 1)`; with the
 * default batch of 20 and a limit of 300, 19 requests per instance, 6 %).
 */
export class LeasedLimiter {
  private readonly leases: LeaseTable
  private readonly windowMs: number
  private readonly now: () => number
  private readonly client: Redis | undefined
  /**
   * Lease calls go out at the end of the turn with the other calls of the turn, every route's:
   * one write instead of one each (in a mixed-load profile they were 5 % of the event loop's
   * time, written one by one), and requests of the client queued meanwhile are in the call.
   */
  private readonly calls: TurnBatch | undefined
  private readonly counts = { local: 0, redisCalls: 0, perRequest: 0 }
  private redisFailedUntil = 0

  constructor (private readonly opts: LeasedLimiterOptions) {
    this.windowMs = opts.durationS * 1000
    this.now = opts.now ?? Date.now
    this.client = opts.client
    this.calls = opts.client === undefined ? undefined : turnBatchOf(opts.client)
    this.leases = new LeaseTable(this.windowMs, opts.maxEntries ?? 100_000, this.now())
  }

  stats (): LeaseStats {
    return { ...this.counts, held: this.leases.size }
  }

  /** Counts one request of `clientKey` against `limit` (load-scaled); `done` may run before this returns. */
  consume (clientKey: string, limit: number, done: LimitCallback): void {
    const now = this.now()
    const lease = this.leases.get(clientKey, now)
    if (lease !== undefined) {
      const valid = lease.limit === limit && lease.expiresAt > now
      if (valid && lease.left > 0) {
        lease.left--
        this.counts.local++
        const outcome = this.allowed(lease, now)
        if (lease.left === lease.refillAt && lease.waiting === undefined) this.refill(clientKey, lease, now)
        done(null, outcome)
        return
      }
      if (lease.waiting !== undefined) {
        lease.waiting.push(inCallerScope(done))
        return
      }
      if (valid && lease.refusedUntil > now) {
        this.counts.local++
        done(null, this.refused(lease, now))
        return
      }
    }
    const client = this.client
    if (client === undefined || client.status !== 'ready') {
      this.countEach(clientKey, limit, done)
      return
    }
    if (this.redisFailedUntil > now) {
      this.countEach(clientKey, limit, done, false)
      return
    }
    const batch = leaseBatch(limit, this.opts.maxBatch)
    const fresh: Lease = { limit, batch, refillAt: refillAt(batch), left: 0, fullAt: now, expiresAt: now + this.windowMs, refusedUntil: 0, waiting: [inCallerScope(done)] }
    this.leases.set(clientKey, fresh, now)
    this.request(clientKey, fresh)
  }

  /**
   * The lease is down to its refill mark: its next points are asked for now, while it still
   * serves the client, so the client's next requests find points instead of waiting for Redis.
   * Not while Redis is down or failing: the lease runs out and the usual path takes over.
   */
  private refill (clientKey: string, lease: Lease, now: number): void {
    if (this.client?.status !== 'ready' || this.redisFailedUntil > now) return
    lease.waiting = []
    this.request(clientKey, lease)
  }

  private countEach (clientKey: string, limit: number, done: LimitCallback, redis = true): void {
    this.counts.perRequest++
    this.opts.countEach(clientKey, limit, redis).then((outcome) => done(null, outcome), done)
  }

  /** One Redis call (sent at the end of the turn) for the queued requests plus a batch to keep. */
  private request (clientKey: string, lease: Lease): void {
    this.counts.redisCalls++
    this.calls!.add((target: CommandTarget) => {
      // Sized when sent: the client's requests queued since are in it, and what it holds is topped
      // up to `batch − 1` at most, so a refill never makes a lease hold more than a first call.
      const want = lease.waiting!.length + lease.batch - 1 - lease.left
      ;(target as unknown as LeaseCommand)[LEASE_COMMAND](`${this.opts.keyPrefix}:${clientKey}`, want, lease.limit, this.opts.durationS, (err, reply) => {
        this.granted(clientKey, lease, err ?? undefined, reply)
      })
    })
  }

  private granted (clientKey: string, lease: Lease, err: Error | undefined, reply: LeaseReply | undefined): void {
    const waiting = lease.waiting!
    lease.waiting = undefined
    const now = this.now()
    if (err !== undefined || reply === undefined) {
      // Timeout or connection lost mid-call: the insurance limiter counts these requests (a second
      // Redis call would make them wait for another timeout); the next request leases again.
      lease.expiresAt = 0
      this.redisFailedUntil = now + REDIS_RETRY_AFTER_FAILURE_MS
      for (const done of waiting) this.countEach(clientKey, lease.limit, done, false)
      return
    }
    const [granted, ms] = reply
    lease.expiresAt = now + this.windowMs
    if (granted === 0) {
      lease.refusedUntil = now + ms
      for (const done of waiting) done(null, this.refused(lease, now))
      return
    }
    lease.left += granted
    lease.fullAt = now + ms
    lease.refusedUntil = 0
    let served = 0
    while (served < waiting.length && lease.left > 0) {
      lease.left--
      waiting[served++](null, this.allowed(lease, now))
    }
    if (served < waiting.length) {
      // More requests queued than Redis granted: ask again for the rest (a refusal comes with its retry time).
      lease.waiting = waiting.slice(served)
      this.request(clientKey, lease)
    }
  }

  /**
   * Remaining = the limit less what Redis counts as used now (the last grant,
   * refilled since at `limit` per window), plus the points this lease still
   * holds: exact for a client served by one instance, an estimate within the
   * documented overshoot when several instances hold leases for it.
   */
  private allowed (lease: Lease, now: number): LimitOutcome {
    const resetMs = lease.fullAt > now ? lease.fullAt - now : 0
    const used = Math.ceil(resetMs * lease.limit / this.windowMs - 1e-6)
    const remaining = Math.min(lease.limit - 1, Math.max(0, lease.limit - used + lease.left))
    return { allowed: true, limit: lease.limit, remaining, windowS: this.opts.durationS, resetMs }
  }

  private refused (lease: Lease, now: number): LimitOutcome {
    return { allowed: false, limit: lease.limit, remaining: 0, windowS: this.opts.durationS, resetMs: Math.max(1, lease.refusedUntil - now) }
  }
}
