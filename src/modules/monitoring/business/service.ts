import type { FastifyBaseLogger } from 'fastify'
import type { RedisDecorator } from '../../../plugins/redis.js'
import { runExclusive } from '../../../lib/redis/index.js'
import type { BusinessRepository } from './repository.js'
import { businessKeys } from './keys.js'
import type { Business } from './schemas.js'

/** The dashboard_stats TTL of CACHE_TTL_S (plugins/cache.ts): the ceiling for how long a computed result is shared. */
export const DASHBOARD_STATS_TTL_S = 300
const TOP_PRODUCTS = 5
const MINUTE_MS = 60_000
const DAY_MS = 86_400_000

export interface BusinessServiceOptions {
  repo: BusinessRepository
  redis: RedisDecorator
  instanceId: string
  /** Seconds between background computations. */
  intervalS: number
  timezone: string
  lowStockThreshold: number
  log: FastifyBaseLogger
  /** Epoch milliseconds. @default Date.now */
  now?: () => number
  /** Called with every new result (computed here or read from another instance). */
  onUpdate?: (business: Business) => void
}

export type BusinessService = ReturnType<typeof createBusinessService>

/** Throws at boot when the time zone is unknown (PostgreSQL and Intl share the IANA names). */
export function assertTimezone (timezone: string): void {
  try {
    Intl.DateTimeFormat('en-US', { timeZone: timezone })
  } catch {
    throw new Error(`BUSINESS_TIMEZONE: '${timezone}' is not a known IANA time zone`)
  }
}

const money = (decimal: string) => Number(decimal)

/**
 * Business metrics, computed in the background every `intervalS` seconds
 * by one instance (Redis lock), shared through Redis for the others and
 * served from memory: a dashboard refresh never runs these queries. While
 * Redis is down each instance computes for itself.
 */
export function createBusinessService (opts: BusinessServiceOptions) {
  assertTimezone(opts.timezone)
  const now = opts.now ?? Date.now
  const log = opts.log.child({ module: 'monitoring.business' })
  const key = businessKeys.business(opts.redis)
  let latest: Business | undefined
  let inflight: Promise<Business> | undefined
  let timer: NodeJS.Timeout | undefined

  async function compute (): Promise<Business> {
    const at = new Date(now())
    const minuteStart = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS
    const perMinuteFrom = new Date(minuteStart - 59 * MINUTE_MS)
    const dayAgo = new Date(at.getTime() - DAY_MS)
    const [summary, perMinute, top, conversion] = await Promise.all([
      opts.repo.summary(at, opts.timezone, opts.lowStockThreshold),
      opts.repo.ordersPerMinute(perMinuteFrom, at),
      opts.repo.topProducts(new Date(at.getTime() - 7 * DAY_MS), at, TOP_PRODUCTS),
      opts.repo.conversion(dayAgo, at)
    ])
    const counts = new Map(perMinute.map((r) => [r.t, r.n]))
    const minutes = Array.from({ length: 60 }, (_, i) => perMinuteFrom.getTime() / 1000 + i * 60)
    const base = summary.orders_yesterday_same_time
    return {
      computed_at: at.toISOString(),
      age_s: 0,
      timezone: opts.timezone,
      users: { total: summary.users_total, active_today: summary.users_active_today, new_today: summary.users_new_today },
      products: { active: summary.products_active, low_stock: summary.products_low_stock, low_stock_threshold: opts.lowStockThreshold },
      orders: {
        today: summary.orders_today,
        yesterday: summary.orders_yesterday,
        yesterday_same_time: base,
        growth_percent: base === 0 ? null : Math.round(((summary.orders_today - base) / base) * 10_000) / 100,
        per_minute: { t: minutes, count: minutes.map((t) => counts.get(t) ?? 0) }
      },
      revenue: { today: money(summary.revenue_today), month: money(summary.revenue_30d), avg_order_value: money(summary.avg_order_value_30d) },
      conversion: {
        ordering_users_24h: conversion.ordering,
        cart_users_24h: conversion.carting,
        rate: conversion.carting === 0 ? null : conversion.ordering / conversion.carting
      },
      top_products: top.map((p) => ({ product_id: p.product_id, name: p.name, total_sold: p.total_sold, revenue: money(p.revenue) }))
    }
  }

  function accept (business: Business): Business {
    if (!latest || business.computed_at >= latest.computed_at) {
      latest = business
      opts.onUpdate?.(business)
    }
    return latest
  }

  /** Computes now and shares the result (the job, and the first request before the job's first run). */
  function refresh (): Promise<Business> {
    inflight ??= compute()
      .then(async (business) => {
        if (opts.redis.isReady()) {
          await opts.redis.client.set(key, JSON.stringify(business), 'EX', DASHBOARD_STATS_TTL_S).catch((err) => log.warn({ err }, 'could not share business metrics'))
        }
        return accept(business)
      })
      .finally(() => { inflight = undefined })
    return inflight
  }

  async function readShared (): Promise<void> {
    if (!opts.redis.isReady()) return
    const json = await opts.redis.client.get(key)
    if (json) accept(JSON.parse(json) as Business)
  }

  async function tick (): Promise<void> {
    const { ran } = await runExclusive(opts.redis, businessKeys.businessLock(opts.redis), opts.instanceId, opts.intervalS * 1000 - 250, async () => { await refresh() })
    if (!ran) await readShared()
  }

  return {
    refresh,
    tick,
    /** The latest result with its age; computes once if nothing was computed yet. */
    async latest (): Promise<Business> {
      const business = latest ?? (await readShared().catch(() => {}), latest) ?? await refresh()
      return { ...business, age_s: Math.max(0, Math.round((now() - Date.parse(business.computed_at)) / 1000)) }
    },
    /** The latest result without computing (undefined before the first). */
    peek: () => latest,
    start (): void {
      const run = () => { tick().catch((err) => log.warn({ err }, 'business metrics refresh failed; serving the previous result')) }
      run()
      timer = setInterval(run, opts.intervalS * 1000).unref()
    },
    stop: () => clearInterval(timer)
  }
}
