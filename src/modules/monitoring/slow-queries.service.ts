import type { FastifyBaseLogger } from 'fastify'
import type { DbQueryEvent } from '../../lib/instrumentation.js'
import { SLOW_QUERIES_QUERY_PREFIX, type SlowQueriesRepository, type SlowQueryRow } from './slow-queries.repository.js'
import type { SlowQueriesResponse, SlowQuery } from './slow-queries.schemas.js'

/** Captures waiting for EXPLAIN; more are dropped (counted as occurrences of the next capture). */
const MAX_QUEUE = 20
const MAX_SQL_CHARS = 8000
const RETENTION_MS = 7 * 24 * 60 * 60 * 1000

/** Runs `EXPLAIN (FORMAT JSON)` of a SELECT with `paramCount` parameters off the request path; resolves with the plan JSON. */
export type Explain = (sql: string, paramCount: number) => Promise<unknown[]>

export interface SlowQueriesServiceOptions {
  repo: SlowQueriesRepository
  explain: Explain
  log: FastifyBaseLogger
  instance: string
  thresholdMs: number
  /** One capture per query name per this long; slower runs in between are counted, not explained. */
  cooldownMs: number
  maxRows: number
  now?: () => number
}

interface Pending { name: string, durationMs: number, sql: DbQueryEvent['sql'], occurrences: number, at: number }

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
  return {
    id: row.id,
    name: row.name,
    duration_ms: row.durationMs,
    sql: row.sql,
    param_count: row.paramCount,
    plan: (row.plan as unknown[] | null) ?? null,
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

/**
 * Slow-query capture: `onQuery` (a 'techmart:db:query' subscriber) only
 * counts and queues, in O(1); a single background worker builds the SQL
 * text, runs EXPLAIN on its own connection and stores the result.
 * Parameter values are never stored, and never sent with the EXPLAIN.
 */
export function createSlowQueriesService (opts: SlowQueriesServiceOptions) {
  const now = opts.now ?? Date.now
  const lastCapture = new Map<string, number>()
  const slowSince = new Map<string, number>()
  const queue: Pending[] = []
  let worker: Promise<void> | undefined

  async function capture (p: Pending): Promise<void> {
    const text = p.sql?.()
    let plan: unknown[] | null = null
    let planError: string | null = null
    if (!text) planError = 'SQL text not available for this query'
    else if (!isReadOnlySelect(text.sql)) planError = 'not a SELECT: never re-run for EXPLAIN'
    else {
      try {
        plan = await opts.explain(text.sql, text.params.length)
      } catch (err) {
        planError = `EXPLAIN failed: ${(err as Error).message}`.slice(0, 500)
      }
    }
    await opts.repo.insert({
      name: p.name.slice(0, 100),
      durationMs: Math.round(p.durationMs * 100) / 100,
      sql: (text?.sql ?? '').slice(0, MAX_SQL_CHARS),
      paramCount: text?.params.length ?? 0,
      plan,
      planError,
      totalCost: plan ? totalCostOf(plan) : null,
      occurrences: p.occurrences,
      instance: opts.instance,
      capturedAt: new Date(p.at)
    })
    await opts.repo.prune(opts.maxRows, new Date(now() - RETENTION_MS))
  }

  async function drain (): Promise<void> {
    for (let p = queue.shift(); p; p = queue.shift()) {
      await capture(p).catch((err: unknown) => opts.log.warn({ err, query: p?.name }, 'slow query capture failed'))
    }
  }

  /** The 'techmart:db:query' subscriber: never awaits, never throws. */
  function onQuery (event: DbQueryEvent): void {
    if (event.durationMs < opts.thresholdMs || event.name.startsWith(SLOW_QUERIES_QUERY_PREFIX)) return
    const count = (slowSince.get(event.name) ?? 0) + 1
    slowSince.set(event.name, count)
    const at = now()
    if (at - (lastCapture.get(event.name) ?? -Infinity) < opts.cooldownMs || queue.length >= MAX_QUEUE) return
    lastCapture.set(event.name, at)
    slowSince.set(event.name, 0)
    queue.push({ name: event.name, durationMs: event.durationMs, sql: event.sql, occurrences: count, at })
    schedule()
  }

  /** One worker at a time; it starts on a later turn of the loop, after the request that ran the query moved on. */
  function schedule (): void {
    if (worker) return
    worker = new Promise<void>((resolve) => setImmediate(resolve)).then(drain).finally(() => {
      worker = undefined
      if (queue.length > 0) schedule()
    })
  }

  return {
    onQuery,
    async list (limit: number, name?: string): Promise<SlowQueriesResponse> {
      return { queries: (await opts.repo.list(limit, name)).map(toSlowQuery), threshold_ms: opts.thresholdMs }
    },
    /** Resolves when every queued capture is stored. */
    settled: async () => { for (let w = worker; w; w = worker) await w }
  }
}
