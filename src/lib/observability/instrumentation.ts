import { AsyncLocalStorage } from 'node:async_hooks'
import { cacheOpChannel, dbQueryChannel } from './channels.js'

/**
 * Per-request timings, carried through async calls with AsyncLocalStorage so
 * repositories and the cache can add to them without seeing the request.
 * `Server-Timing`, the access log and profiling read them at the end.
 */
export interface RequestTimings {
  /** Milliseconds spent waiting on PostgreSQL (summed; parallel queries overlap). */
  dbMs: number
  dbQueries: number
  /**
   * Milliseconds the request's queries waited for a connection before running
   * (queued in the pool, connecting, or pipelined behind another query on a
   * busy connection; lib/metrics/pool-stats.ts measures it). Part of `dbMs`.
   */
  dbWaitMs: number
  /** Milliseconds spent in cache lookups (L1 + L2). */
  cacheMs: number
  cacheOps: number
  /** The outcome of the request's main cache read, for logs and metrics. */
  cacheStatus?: 'hit' | 'miss' | 'stale' | 'bypass'
  /** `performance.now()` when the request's scope opened: its age where Fastify's reply is out of reach (an aborted request). */
  startedAt: number
}

export const requestContext = new AsyncLocalStorage<RequestTimings>()

export function newRequestTimings (): RequestTimings {
  return { dbMs: 0, dbQueries: 0, dbWaitMs: 0, cacheMs: 0, cacheOps: 0, startedAt: performance.now() }
}

/** The current request's timings, or undefined outside a request (jobs, scripts). */
export function currentTimings (): RequestTimings | undefined {
  return requestContext.getStore()
}

export interface DbQueryEvent {
  /** Stable query name, `<module>.<what>` (e.g. `catalog.search`): a metric label. */
  name: string
  durationMs: number
  ok: boolean
  /** The SQL and parameters, built only when asked (slow-query capture). */
  sql?: () => { sql: string, params: unknown[] } | undefined
}

export interface CacheOpEvent {
  /** Cache type from the TTL table (e.g. `product_detail`): a metric label. */
  type: string
  layer: 'l1' | 'l2' | 'miss'
  hit: boolean
  durationMs: number
}

type Describable = { toSQL?: () => { sql: string, params: unknown[] }, strings?: readonly string[], args?: unknown[] }

function describe (query: Describable): DbQueryEvent['sql'] {
  if (typeof query.toSQL === 'function') return () => query.toSQL!()
  // postgres.js tagged-template queries keep their parts.
  if (Array.isArray(query.strings)) {
    return () => ({ sql: query.strings!.reduce((acc, s, i) => acc + (i > 0 ? `$${i}` : '') + s, ''), params: query.args ?? [] })
  }
  return undefined
}

/**
 * Awaits a database query (a Drizzle builder or a postgres.js query), adds
 * its duration to the request's timings and publishes it under `name`.
 */
export async function timedQuery<T> (name: string, query: PromiseLike<T>): Promise<T> {
  const started = performance.now()
  let ok = false
  try {
    const result = await query
    ok = true
    return result
  } finally {
    const durationMs = performance.now() - started
    const timings = requestContext.getStore()
    if (timings) {
      timings.dbMs += durationMs
      timings.dbQueries++
    }
    if (dbQueryChannel.hasSubscribers) {
      dbQueryChannel.publish({ name, durationMs, ok, sql: describe(query as Describable) } satisfies DbQueryEvent)
    }
  }
}

/** Records one cache read (called by the cache plugin). */
export function recordCacheOp (event: CacheOpEvent): void {
  const timings = requestContext.getStore()
  if (timings) {
    timings.cacheMs += event.durationMs
    timings.cacheOps++
  }
  if (cacheOpChannel.hasSubscribers) cacheOpChannel.publish(event)
}
