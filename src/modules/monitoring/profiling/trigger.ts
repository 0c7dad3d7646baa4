import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { MetricsReader } from '../../../lib/metrics/index.js'
import type { CaptureRequest } from './service.js'
import type { Profile } from './schemas.js'

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

/** A route in cooldown is captured again when its p95 reaches this multiple of the p95 that started the cooldown. */
export const ESCALATION_FACTOR = 2
/** ...but never sooner than this after that capture, so a p95 that climbs in steps is not profiled at every step. */
export const ESCALATION_MIN_GAP_MS = 30_000

export interface Cooldown {
  /** True when an automatic capture of `route` at this `p95Ms` may start now (and starts the route's cooldown). */
  tryAcquire: (route: string, p95Ms: number) => Promise<boolean>
  /** This process's cooldowns in force: route → when it ends (epoch ms). */
  local: () => ReadonlyMap<string, number>
}

/**
 * Atomically: no cooldown for the route (no key, or its end has passed), or
 * the route's p95 has reached ESCALATION_FACTOR times the p95 of the capture
 * that started it and ESCALATION_MIN_GAP_MS have passed → (re)start the
 * cooldown and answer 1. The value is `<p95> <capturedAtMs> <untilMs>
 * <holder>`; times come from the caller's clock (the key's own expiry only
 * cleans up).
 */
const COOLDOWN_LUA = `
local cur = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[6])
if cur then
  local p95, at, untl = string.match(cur, '^(%S+) (%S+) (%S+) ')
  p95 = tonumber(p95)
  at = tonumber(at)
  untl = tonumber(untl)
  if p95 and at and untl and now < untl and (tonumber(ARGV[2]) < p95 * tonumber(ARGV[4]) or now - at < tonumber(ARGV[5])) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[6] .. ' ' .. (now + tonumber(ARGV[3])) .. ' ' .. ARGV[1], 'PX', ARGV[3])
return 1`

interface LocalCooldown { p95: number, at: number, until: number }

/**
 * One cooldown per route: after an automatic capture of a route, that route
 * is not captured again for `ms` on any instance (a Redis key per route,
 * set by a script that also applies the escalation rule), while other
 * routes stay free. This process keeps the same cooldowns locally, so it
 * never profiles in a loop while Redis is unreachable.
 */
export function createCooldown (opts: { client: Redis, keyOf: (route: string) => string, holder: string, ms: number, now?: () => number }): Cooldown {
  const now = opts.now ?? Date.now
  const local = new Map<string, LocalCooldown>()
  const blocks = (c: LocalCooldown | undefined, p95: number, at: number) =>
    c !== undefined && at < c.until && (p95 < c.p95 * ESCALATION_FACTOR || at - c.at < ESCALATION_MIN_GAP_MS)

  return {
    async tryAcquire (route, p95Ms) {
      const at = now()
      if (blocks(local.get(route), p95Ms, at)) return false
      if (opts.ms > 0) {
        try {
          const granted = await opts.client.eval(COOLDOWN_LUA, 1, opts.keyOf(route), opts.holder, String(p95Ms), String(opts.ms), String(ESCALATION_FACTOR), String(ESCALATION_MIN_GAP_MS), String(at))
          if (granted !== 1) return false
        } catch {
          // Redis down: the local cooldown alone keeps this instance from profiling in a loop.
        }
      }
      for (const [r, c] of local) if (c.until <= at) local.delete(r)
      local.set(route, { p95: p95Ms, at, until: at + opts.ms })
      return true
    },
    local: () => new Map([...local].filter(([, c]) => c.until > now()).map(([r, c]) => [r, c.until]))
  }
}

export interface TriggerOptions {
  reader: MetricsReader
  /** Every watched route template and its p95 budget (ms). */
  budgets: () => ReadonlyMap<string, number>
  /** Routes with fewer requests in the window are ignored (a p95 of three requests means nothing). */
  minRequests: number
  /**
   * Seconds of traffic the p95 is read over: P95_WINDOW_S, shorter just
   * after the warm-up (requests of the warm-up never count). @default P95_WINDOW_S
   */
  windowS?: number
  cooldown: Cooldown
  isCapturing: () => boolean
  start: (req: CaptureRequest) => Promise<Profile>
  log: FastifyBaseLogger
}

export interface OverBudget { route: string, p95: number, budget: number }

/** Every watched route over its budget, the most over (by p95 / budget) first. */
export function overBudgetRoutes (reader: MetricsReader, budgets: ReadonlyMap<string, number>, minRequests: number, windowS = P95_WINDOW_S): OverBudget[] {
  const over: OverBudget[] = []
  for (const [route, budget] of budgets) {
    if (reader.routeCount(route, windowS) < minRequests) continue
    const p95 = reader.routeP95(route, windowS)
    if (p95 === undefined || !Number.isFinite(p95) || p95 <= budget) continue
    over.push({ route, p95, budget })
  }
  return over.sort((a, b) => b.p95 / b.budget - a.p95 / a.budget)
}

/**
 * One budget check: the watched route most over its budget whose own
 * cooldown lets it (a route in cooldown leaves its turn to the next one)
 * starts a capture.
 */
export async function checkBudgets (opts: TriggerOptions): Promise<Profile | undefined> {
  if (opts.isCapturing()) return undefined
  for (const worst of overBudgetRoutes(opts.reader, opts.budgets(), opts.minRequests, opts.windowS)) {
    const p95Ms = Math.round(worst.p95 * 100) / 100
    if (!await opts.cooldown.tryAcquire(worst.route, p95Ms)) continue
    opts.log.warn({ route: worst.route, p95Ms, budgetMs: worst.budget }, 'route p95 over budget: capturing a cpu profile')
    return opts.start({ trigger: 'auto', route: worst.route, p95Ms, budgetMs: worst.budget })
  }
  return undefined
}
