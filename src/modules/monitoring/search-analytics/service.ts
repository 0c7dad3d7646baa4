import type { FastifyBaseLogger } from 'fastify'
import type { RedisDecorator } from '../../../plugins/redis.js'
import type { SearchEvent } from '../../../lib/observability/index.js'
import { searchAnalyticsKeys } from './keys.js'
import type { SearchAnalytics, SlowSearch } from './schemas.js'

export const SEARCH_WINDOW_H = 24
const HOUR_MS = 3_600_000
// Hour buckets outlive the 24-hour window by one hour, then expire on their own.
const BUCKET_TTL_S = 25 * 3600
// Distinct queries kept per hour bucket (the rest are the long tail of typos).
const MAX_QUERIES_PER_HOUR = 2000
const MAX_SLOW = 100
const MAX_QUERY_LENGTH = 100
/** Searches counted in memory reach Redis within this. */
export const SEARCH_FLUSH_MS = 1000
/**
 * A summary is reused for at most this long (shared by every dashboard
 * watching this instance). With the flush, a search shows in the API within
 * SEARCH_FLUSH_MS + SEARCH_SUMMARY_MAX_AGE_MS; the dashboard polls every 2 s,
 * so it shows there within 4 s. Computing one costs a handful of Redis
 * commands, so at most one per second per instance stays cheap.
 */
export const SEARCH_SUMMARY_MAX_AGE_MS = 1000
const TOP_N = 10

/** Case, Unicode form, spacing and length normalised, so "  iPhone  15" and "iphone 15" count together. */
export function normaliseQuery (q: string): string {
  return q.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY_LENGTH)
}

export interface SearchAnalyticsOptions {
  redis: RedisDecorator
  /** Searches slower than this are listed. */
  slowMs: number
  log: FastifyBaseLogger
  /** Epoch milliseconds. @default Date.now */
  now?: () => number
}

export type SearchAnalyticsService = ReturnType<typeof createSearchAnalytics>

/**
 * Search analytics kept cheaply: searches are counted in memory and flushed
 * to Redis once a second in one pipeline — per-hour sorted sets (query →
 * count, and zero-result query → count) and per-hour totals, all expiring
 * after 25 hours, plus a capped list of slow searches. A search never waits
 * on Redis; while Redis is down the counts of that time are dropped.
 */
export function createSearchAnalytics (opts: SearchAnalyticsOptions) {
  const { redis } = opts
  const now = opts.now ?? Date.now
  const log = opts.log.child({ module: 'monitoring.search' })
  let pending = new Map<string, { count: number, zero: number }>()
  let slow: SlowSearch[] = []
  let cached: { at: number, value: SearchAnalytics } | undefined
  let computing: Promise<SearchAnalytics> | undefined
  let timer: NodeJS.Timeout | undefined

  function record (e: SearchEvent): void {
    const query = normaliseQuery(e.query)
    if (!query) return
    const entry = pending.get(query) ?? { count: 0, zero: 0 }
    entry.count++
    if (e.results === 0) entry.zero++
    pending.set(query, entry)
    if (e.durationMs >= opts.slowMs && slow.length < MAX_SLOW) {
      slow.push({ query, duration_ms: Math.round(e.durationMs * 10) / 10, results: e.results, at: new Date(now()).toISOString() })
    }
  }

  async function flush (): Promise<void> {
    if (pending.size === 0 && slow.length === 0) return
    const batch = pending
    const slowBatch = slow
    pending = new Map()
    slow = []
    if (!redis.isReady()) return
    const hour = Math.floor(now() / HOUR_MS)
    const top = searchAnalyticsKeys.searchTop(redis, hour)
    const zero = searchAnalyticsKeys.searchZero(redis, hour)
    const totals = searchAnalyticsKeys.searchTotals(redis, hour)
    const p = redis.client.pipeline()
    let total = 0
    let zeroTotal = 0
    for (const [query, { count, zero: z }] of batch) {
      p.zincrby(top, count, query)
      if (z > 0) p.zincrby(zero, z, query)
      total += count
      zeroTotal += z
    }
    p.hincrby(totals, 'total', total).hincrby(totals, 'zero', zeroTotal)
    p.zremrangebyrank(top, 0, -(MAX_QUERIES_PER_HOUR + 1)).zremrangebyrank(zero, 0, -(MAX_QUERIES_PER_HOUR + 1))
    for (const key of [top, zero, totals]) p.expire(key, BUCKET_TTL_S)
    if (slowBatch.length > 0) {
      const slowKey = searchAnalyticsKeys.searchSlow(redis)
      p.lpush(slowKey, ...slowBatch.map((s) => JSON.stringify(s))).ltrim(slowKey, 0, MAX_SLOW - 1).expire(slowKey, BUCKET_TTL_S)
    }
    await p.exec()
  }

  async function topOf (keys: string[], tmpKey: string): Promise<{ query: string, count: number }[]> {
    const [, , [err, flat]] = (await redis.client.multi()
      .zunionstore(tmpKey, keys.length, ...keys)
      .expire(tmpKey, 60)
      .zrange(tmpKey, 0, TOP_N - 1, 'REV', 'WITHSCORES')
      .del(tmpKey)
      .exec()) ?? []
    if (err) throw err
    const list = flat as string[]
    const out = []
    for (let i = 0; i < list.length; i += 2) out.push({ query: list[i], count: Number(list[i + 1]) })
    return out
  }

  async function compute (): Promise<SearchAnalytics> {
    const hour = Math.floor(now() / HOUR_MS)
    const hours = Array.from({ length: SEARCH_WINDOW_H }, (_, i) => hour - i)
    const tmp = (kind: string) => `${searchAnalyticsKeys.searchTop(redis, hour)}:union:${kind}:${process.pid}`
    const [top, zero, totals, slowJson] = await Promise.all([
      topOf(hours.map((h) => searchAnalyticsKeys.searchTop(redis, h)), tmp('top')),
      topOf(hours.map((h) => searchAnalyticsKeys.searchZero(redis, h)), tmp('zero')),
      Promise.all(hours.map((h) => redis.client.hmget(searchAnalyticsKeys.searchTotals(redis, h), 'total', 'zero'))),
      redis.client.lrange(searchAnalyticsKeys.searchSlow(redis), 0, MAX_SLOW - 1)
    ])
    const since = now() - SEARCH_WINDOW_H * HOUR_MS
    const slowest = slowJson.map((j) => JSON.parse(j) as SlowSearch)
      .filter((s) => Date.parse(s.at) >= since)
      .sort((a, b) => b.duration_ms - a.duration_ms)
      .slice(0, TOP_N)
    return {
      window_h: SEARCH_WINDOW_H,
      total_searches: totals.reduce((a, [t]) => a + Number(t ?? 0), 0),
      zero_result_searches: totals.reduce((a, [, z]) => a + Number(z ?? 0), 0),
      top_queries: top,
      zero_result_queries: zero,
      slow_searches: slowest,
      available: true,
      computed_at: new Date(now()).toISOString()
    }
  }

  return {
    record,
    flush,
    /** The last 24 hours, computed at most SEARCH_SUMMARY_MAX_AGE_MS ago; concurrent callers share one computation. */
    async summary (): Promise<SearchAnalytics> {
      if (cached && now() - cached.at < SEARCH_SUMMARY_MAX_AGE_MS) return cached.value
      if (!redis.isReady()) {
        return {
          window_h: SEARCH_WINDOW_H, total_searches: 0, zero_result_searches: 0, top_queries: [], zero_result_queries: [], slow_searches: [], available: false, computed_at: new Date(now()).toISOString()
        }
      }
      computing ??= compute().then((value) => {
        cached = { at: Date.parse(value.computed_at), value }
        return value
      }).finally(() => { computing = undefined })
      return computing
    },
    /** Forgets the cached summary (tests, after a flush). */
    invalidate: () => { cached = undefined },
    start (): void {
      timer = setInterval(() => { flush().catch((err) => log.warn({ err }, 'search analytics flush failed')) }, SEARCH_FLUSH_MS).unref()
    },
    async stop (): Promise<void> {
      clearInterval(timer)
      await flush().catch(() => {})
    }
  }
}
