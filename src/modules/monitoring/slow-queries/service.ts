import type { FastifyBaseLogger } from 'fastify'
import type { DbQueryEvent } from '../../../lib/observability/index.js'
import type { QueryBaselines, QueryBaselinesOptions } from './query-baselines.js'
import { SLOW_QUERIES_QUERY_PREFIX, type SlowQueriesRepository, type SlowQueryRow } from './repository.js'
import { captureSummary, redactPlanValues } from './plans.js'
import type { QueryBaseline, SlowQueriesResponse, SlowQuery, SlowQueryReason } from './schemas.js'

/** Captures waiting for EXPLAIN; more are dropped (counted as occurrences of the next capture). */
const MAX_QUEUE = 20
const MAX_SQL_CHARS = 8000
const RETENTION_MS = 7 * 24 * 60 * 60 * 1000
const DEFAULT_RECENT_LIMIT = 20

/**
 * Runs `EXPLAIN (FORMAT JSON)` of a SELECT off the request path; resolves with the plan JSON.
 * Without `params`: the generic plan (`paramCount` NULLs; values never sent). With `params`:
 * the plan PostgreSQL makes for those values (a custom plan), constants printed in it.
 */
export type Explain = (sql: string, paramCount: number, params?: readonly unknown[]) => Promise<unknown[]>

export interface RelativeCaptureOptions {
  /** The per-query baselines fed by `onQuery`; `evaluate` ticks them. */
  baselines: QueryBaselines
  settings: QueryBaselinesOptions
}

export interface SlowQueriesServiceOptions {
  repo: SlowQueriesRepository
  explain: Explain
  log: FastifyBaseLogger
  instance: string
  /** One execution at least this slow is captured (absolute); 0 = off. */
  thresholdMs: number
  /** One capture per query name and reason per this long; slower runs in between are counted, not explained. */
  cooldownMs: number
  maxRows: number
  /** Capture of queries slow relative to their own baseline; absent = off. */
  relative?: RelativeCaptureOptions
  now?: () => number
}

interface Pending {
  reason: SlowQueryReason
  name: string
  durationMs: number
  sql: DbQueryEvent['sql']
  occurrences: number
  at: number
  p95Ms: number | null
  baselineMs: number | null
  windowSamples: number | null
}

export type SlowQueriesService = ReturnType<typeof createSlowQueriesService>

/**
 * True only for a statement that reads: a SELECT, or a WITH whose parts
 * are all SELECTs. Anything else is never sent to EXPLAIN, even though
 * plain EXPLAIN does not execute it: a capture must not go near writes.
 */
export function isReadOnlySelect (text: string): boolean {
  const body = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ').trim().replace(/^\(+\s*/, '')
  const first = /^[a-z]+/i.exec(body)?.[0].toLowerCase()
  if (first === 'select') return !/\binto\b/i.test(body.split(/\bfrom\b/i)[0]) // SELECT ... INTO creates a table
  if (first === 'with') return !/\b(insert|update|delete|merge)\b/i.test(body)
  return false
}

function toSlowQuery (row: SlowQueryRow): SlowQuery {
  const reason = row.reason === 'relative' ? 'relative' : 'absolute'
  const plan = (row.plan as unknown[] | null) ?? null
  return {
    id: row.id,
    name: row.name,
    reason,
    // Rows captured before summaries were stored get theirs built here (without the threshold of their time).
    summary: row.summary || captureSummary({ name: row.name, reason, durationMs: row.durationMs, p95Ms: row.p95Ms, baselineMs: row.baselineMs, plan, planError: row.planError }),
    duration_ms: row.durationMs,
    p95_ms: row.p95Ms,
    baseline_ms: row.baselineMs,
    window_samples: row.windowSamples,
    sql: row.sql,
    param_count: row.paramCount,
    plan,
    plan_error: row.planError,
    total_cost: row.totalCost,
    occurrences: row.occurrences,
    instance: row.instance,
    captured_at: row.capturedAt.toISOString()
  }
}

function totalCostOf (plan: unknown[]): number | null {
  const cost = (plan[0] as { Plan?: { 'Total Cost'?: unknown } } | undefined)?.Plan?.['Total Cost']
  return typeof cost === 'number' ? cost : null
}

const round2 = (ms: number): number => Math.round(ms * 100) / 100

/**
 * Slow-query capture. `onQuery` (a 'techmart:db:query' subscriber) only
 * counts, feeds the per-query baselines and queues, in O(1); `evaluate`
 * (a timer, every SLOW_QUERY_RELATIVE_INTERVAL_MS) ticks the baselines and
 * queues the queries slow relative to themselves; a single background
 * worker builds the SQL text, runs EXPLAIN on its own connection and
 * stores the result. Parameter values are never stored: absolute captures
 * never send them (generic plan), relative ones send the captured
 * execution's values to EXPLAIN and strip every constant from the plan.
 */
export function createSlowQueriesService (opts: SlowQueriesServiceOptions) {
  const now = opts.now ?? Date.now
  const baselines = opts.relative?.baselines
  const lastCapture: Record<SlowQueryReason, Map<string, number>> = { absolute: new Map(), relative: new Map() }
  const slowSince = new Map<string, number>()
  const queue: Pending[] = []
  let worker: Promise<void> | undefined

  async function explainFor (p: Pending, text: { sql: string, params: unknown[] }): Promise<unknown[]> {
    if (p.reason === 'absolute') return opts.explain(text.sql, text.params.length)
    return redactPlanValues(await opts.explain(text.sql, text.params.length, text.params)) as unknown[]
  }

  async function capture (p: Pending): Promise<void> {
    const text = p.sql?.()
    let plan: unknown[] | null = null
    let planError: string | null = null
    if (!text) planError = 'SQL text not available for this query'
    else if (!isReadOnlySelect(text.sql)) planError = 'not a SELECT: never re-run for EXPLAIN'
    else {
      try {
        plan = await explainFor(p, text)
      } catch (err) {
        planError = `EXPLAIN failed: ${(err as Error).message}`.slice(0, 500)
      }
    }
    const name = p.name.slice(0, 100)
    const summary = captureSummary({ name, reason: p.reason, durationMs: p.durationMs, p95Ms: p.p95Ms, baselineMs: p.baselineMs, thresholdMs: opts.thresholdMs, plan, planError })
    await opts.repo.insert({
      name,
      reason: p.reason,
      durationMs: round2(p.durationMs),
      p95Ms: p.p95Ms === null ? null : round2(p.p95Ms),
      baselineMs: p.baselineMs === null ? null : round2(p.baselineMs),
      windowSamples: p.windowSamples,
      summary,
      sql: (text?.sql ?? '').slice(0, MAX_SQL_CHARS),
      paramCount: text?.params.length ?? 0,
      plan,
      planError,
      totalCost: plan ? totalCostOf(plan) : null,
      occurrences: p.occurrences,
      instance: opts.instance,
      capturedAt: new Date(p.at)
    })
    if (p.reason === 'relative') opts.log.warn({ query: p.name, p95Ms: p.p95Ms, baselineMs: p.baselineMs, summary }, 'query slow relative to its baseline')
    await opts.repo.prune(opts.maxRows, new Date(now() - RETENTION_MS))
  }

  async function drain (): Promise<void> {
    for (let p = queue.shift(); p; p = queue.shift()) {
      await capture(p).catch((err: unknown) => opts.log.warn({ err, query: p?.name }, 'slow query capture failed'))
    }
  }

  /** One worker at a time; it starts on a later turn of the loop, after the request that ran the query moved on. */
  function schedule (): void {
    if (worker) return
    worker = new Promise<void>((resolve) => setImmediate(resolve)).then(drain).finally(() => {
      worker = undefined
      if (queue.length > 0) schedule()
    })
  }

  /** True (and the cooldown restarted) when `name` may be captured for `reason` now. */
  function due (reason: SlowQueryReason, name: string, at: number): boolean {
    const last = lastCapture[reason]
    if (at - (last.get(name) ?? -Infinity) < opts.cooldownMs || queue.length >= MAX_QUEUE) return false
    last.set(name, at)
    return true
  }

  /** The 'techmart:db:query' subscriber: never awaits, never throws. */
  function onQuery (event: DbQueryEvent): void {
    if (event.name.startsWith(SLOW_QUERIES_QUERY_PREFIX)) return
    baselines?.record(event.name, event.durationMs, event.sql)
    if (opts.thresholdMs <= 0 || event.durationMs < opts.thresholdMs) return
    const count = (slowSince.get(event.name) ?? 0) + 1
    slowSince.set(event.name, count)
    const at = now()
    if (!due('absolute', event.name, at)) return
    slowSince.set(event.name, 0)
    queue.push({ reason: 'absolute', name: event.name, durationMs: event.durationMs, sql: event.sql, occurrences: count, at, p95Ms: null, baselineMs: null, windowSamples: null })
    schedule()
  }

  /**
   * One tick of the baselines (the plugin's timer): logs degradations that
   * begin and end, and queues a relative capture of every query over its
   * threshold whose cooldown has passed, with the slowest execution of its
   * window as the parameter set to EXPLAIN.
   */
  function evaluate (): void {
    if (!baselines) return
    const at = now()
    const { over, entered, recovered } = baselines.tick(at)
    for (const name of entered) opts.log.info({ query: name }, 'query degraded: p95 above its baseline')
    for (const name of recovered) opts.log.info({ query: name }, 'query back to its baseline')
    for (const d of over) {
      if (!due('relative', d.name, at)) continue
      queue.push({
        reason: 'relative',
        name: d.name,
        durationMs: d.sample?.durationMs ?? d.p95Ms,
        sql: d.sample?.sql,
        occurrences: baselines.takeSlowCount(d.name),
        at,
        p95Ms: d.p95Ms,
        baselineMs: d.baselineMs,
        windowSamples: d.samples
      })
      schedule()
    }
  }

  function baselineViews (): QueryBaseline[] {
    return (baselines?.view() ?? []).map((v) => ({
      name: v.name,
      p95_ms: v.p95Ms === null ? null : round2(v.p95Ms),
      baseline_ms: v.baselineMs === null ? null : round2(v.baselineMs),
      window_samples: v.samples,
      degraded: v.degraded,
      degraded_since: v.degradedSinceMs === null ? null : new Date(v.degradedSinceMs).toISOString()
    }))
  }

  const settings = opts.relative?.settings

  return {
    onQuery,
    evaluate,

    async list (limit: number, filter: { name?: string, reason?: SlowQueryReason } = {}): Promise<SlowQueriesResponse> {
      return {
        queries: (await opts.repo.list(limit, filter)).map(toSlowQuery),
        threshold_ms: opts.thresholdMs,
        relative: {
          enabled: baselines !== undefined,
          factor: settings?.factor ?? 0,
          floor_ms: settings?.floorMs ?? 0,
          window_s: settings?.windowS ?? 0,
          min_samples: settings?.minSamples ?? 0,
          baseline_s: settings?.baselineS ?? 0
        },
        baselines: baselineViews()
      }
    },

    /**
     * Captures of queries slow relative to their own baseline, newest first,
     * each with its one-line `summary` ("catalog.search_rum: p95 45 ms,
     * normally 3.1 ms, plan: Seq Scan on products"), from every instance
     * sharing the database. For the incident view and alert notifications:
     * pass the incident's start as `since`.
     */
    async recentRelative (query: { since?: Date, limit?: number, name?: string } = {}): Promise<SlowQuery[]> {
      const rows = await opts.repo.list(query.limit ?? DEFAULT_RECENT_LIMIT, { reason: 'relative', since: query.since, name: query.name })
      return rows.map(toSlowQuery)
    },

    /** The named queries degraded on this instance now (live baselines, no database read), worst first. */
    degraded (): QueryBaseline[] {
      return baselineViews().filter((b) => b.degraded)
    },

    /** Resolves when every queued capture is stored. */
    settled: async () => { for (let w = worker; w; w = worker) await w }
  }
}
