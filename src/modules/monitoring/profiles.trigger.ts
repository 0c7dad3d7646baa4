import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { MetricsReader } from '../../lib/metrics-reader.js'
import type { CaptureRequest } from './profiles.service.js'
import type { Profile } from './profiles.schemas.js'

/** Automatic profiling looks at the p95 of the last minute, as the budgets are stated. */
export const P95_WINDOW_S = 60
const BUDGET_ENTRY = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)=(\d+(?:\.\d+)?)$/

/**
 * Parses PROFILE_ROUTE_BUDGETS (`GET /api/v1/products/:id=50,POST /api/v1/orders=200`)
 * into route key → budget ms; throws naming the bad entry.
 */
export function parseRouteBudgets (value: string): Map<string, number> {
  const budgets = new Map<string, number>()
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = BUDGET_ENTRY.exec(raw)
    if (!m || Number(m[3]) <= 0) throw new Error(`PROFILE_ROUTE_BUDGETS: '${raw}' is not 'METHOD /route/template=milliseconds'`)
    budgets.set(`${m[1]} ${m[2]}`, Number(m[3]))
  }
  return budgets
}

export interface Cooldown { tryAcquire: () => Promise<boolean> }

/**
 * At most one automatic capture per `ms` across every instance (a Redis
 * `SET NX PX` key), and always at most one per `ms` in this process, also
 * while Redis is unreachable.
 */
export function createCooldown (opts: { client: Redis, key: string, holder: string, ms: number, now?: () => number }): Cooldown {
  const now = opts.now ?? Date.now
  let localUntil = 0
  return {
    async tryAcquire () {
      if (now() < localUntil) return false
      if (opts.ms > 0) {
        try {
          if (await opts.client.set(opts.key, opts.holder, 'PX', opts.ms, 'NX') !== 'OK') return false
        } catch {
          // Redis down: the local cooldown alone keeps this instance from profiling in a loop.
        }
      }
      localUntil = now() + opts.ms
      return true
    }
  }
}

export interface TriggerOptions {
  reader: MetricsReader
  /** Every watched route template and its p95 budget (ms). */
  budgets: () => ReadonlyMap<string, number>
  /** Routes with fewer requests in the window are ignored (a p95 of three requests means nothing). */
  minRequests: number
  cooldown: Cooldown
  isCapturing: () => boolean
  start: (req: CaptureRequest) => Promise<Profile>
  log: FastifyBaseLogger
}

/** The route most over its budget (by p95 / budget), if any. */
export function worstRoute (reader: MetricsReader, budgets: ReadonlyMap<string, number>, minRequests: number) {
  let worst: { route: string, p95: number, budget: number } | undefined
  for (const [route, budget] of budgets) {
    if (reader.routeCount(route, P95_WINDOW_S) < minRequests) continue
    const p95 = reader.routeP95(route, P95_WINDOW_S)
    if (p95 === undefined || !Number.isFinite(p95) || p95 <= budget) continue
    if (!worst || p95 / budget > worst.p95 / worst.budget) worst = { route, p95, budget }
  }
  return worst
}

/**
 * One budget check: when a watched route's p95 over the last minute is
 * above its budget and no cooldown is running, starts a capture.
 */
export async function checkBudgets (opts: TriggerOptions): Promise<Profile | undefined> {
  if (opts.isCapturing()) return undefined
  const worst = worstRoute(opts.reader, opts.budgets(), opts.minRequests)
  if (!worst || !await opts.cooldown.tryAcquire()) return undefined
  opts.log.warn({ route: worst.route, p95Ms: worst.p95, budgetMs: worst.budget }, 'route p95 over budget: capturing a cpu profile')
  return opts.start({ trigger: 'auto', route: worst.route, p95Ms: Math.round(worst.p95 * 100) / 100, budgetMs: worst.budget })
}
