import type { QueryShare, RoutePhases } from './schemas.js'
import { topQueries, type RequestQueries } from './split.js'

/** Phase timings are kept for this long, in one-minute buckets. */
export const PHASES_WINDOW_S = 300
const BUCKET_S = 60
const BUCKETS = PHASES_WINDOW_S / BUCKET_S
/** Route templates are bounded, but a bug must not grow this without limit. */
const MAX_ROUTES = 1000
const MAX_QUERIES_PER_BUCKET = 50
/** Queries listed per route in the phases table. */
const PHASE_TOP_QUERIES = 3

export interface PhaseSample {
  totalMs: number
  dbMs: number
  /** The part of dbMs spent waiting for a pool connection. */
  dbWaitMs?: number
  cacheMs: number
  serializeMs: number
  /** The request's named queries (name → executions, milliseconds). */
  queries?: RequestQueries
}

interface Bucket { minute: number, count: number, total: number, db: number, wait: number, cache: number, serialize: number, handler: number, max: number, queries: RequestQueries }

const emptyBucket = (minute: number): Bucket => ({ minute, count: 0, total: 0, db: 0, wait: 0, cache: 0, serialize: 0, handler: 0, max: 0, queries: new Map() })
const avg = (sum: number, count: number) => count === 0 ? 0 : Math.round((sum / count) * 100) / 100

function addQueries (into: RequestQueries, from: RequestQueries): void {
  for (const [name, q] of from) {
    const t = into.get(name)
    if (t) {
      t.count += q.count
      t.ms += q.ms
    } else if (into.size < MAX_QUERIES_PER_BUCKET) {
      into.set(name, { count: q.count, ms: q.ms })
    }
  }
}

export type PhaseRecorder = ReturnType<typeof createPhaseRecorder>

/**
 * Per-route phase timings (db, pool wait, cache, serialize, and the
 * handler's own time as the rest) and the named queries of each route over
 * the last five minutes: a fixed ring of one-minute buckets per route, O(1)
 * per request (plus one map update per distinct query of the request).
 */
export function createPhaseRecorder (now: () => number = Date.now) {
  const routes = new Map<string, Bucket[]>()

  function record (route: string, s: PhaseSample): void {
    let ring = routes.get(route)
    if (!ring) {
      if (routes.size >= MAX_ROUTES) return
      ring = []
      routes.set(route, ring)
    }
    const minute = Math.floor(now() / (BUCKET_S * 1000))
    const slot = minute % BUCKETS
    if (ring[slot]?.minute !== minute) ring[slot] = emptyBucket(minute)
    const b = ring[slot]
    b.count++
    b.total += s.totalMs
    b.db += s.dbMs
    b.wait += s.dbWaitMs ?? 0
    b.cache += s.cacheMs
    b.serialize += s.serializeMs
    // Parallel queries can add up to more than the request took; the handler's share never goes negative.
    b.handler += Math.max(0, s.totalMs - s.dbMs - s.cacheMs - s.serializeMs)
    b.max = Math.max(b.max, s.totalMs)
    if (s.queries) addQueries(b.queries, s.queries)
  }

  /** One route's buckets of the window, summed (undefined without requests). */
  function sumOf (ring: Bucket[], current: number): Bucket | undefined {
    const sum = emptyBucket(current)
    for (const b of ring) {
      if (!b || current - b.minute >= BUCKETS) continue
      sum.count += b.count
      sum.total += b.total
      sum.db += b.db
      sum.wait += b.wait
      sum.cache += b.cache
      sum.serialize += b.serialize
      sum.handler += b.handler
      sum.max = Math.max(sum.max, b.max)
      addQueries(sum.queries, b.queries)
    }
    return sum.count === 0 ? undefined : sum
  }

  const currentMinute = () => Math.floor(now() / (BUCKET_S * 1000))

  /** Averages per route over the window, busiest route first; `budgetOf` adds the profiling budget. */
  function snapshot (budgetOf: (route: string) => number | undefined): RoutePhases[] {
    const current = currentMinute()
    const out: RoutePhases[] = []
    for (const [route, ring] of routes) {
      const sum = sumOf(ring, current)
      if (!sum) continue
      out.push({
        route,
        count: sum.count,
        avg_total_ms: avg(sum.total, sum.count),
        avg_db_ms: avg(sum.db, sum.count),
        avg_pool_wait_ms: avg(sum.wait, sum.count),
        avg_cache_ms: avg(sum.cache, sum.count),
        avg_serialize_ms: avg(sum.serialize, sum.count),
        avg_handler_ms: avg(sum.handler, sum.count),
        max_total_ms: Math.round(sum.max * 100) / 100,
        budget_ms: budgetOf(route) ?? null,
        top_queries: topQueries(sum.queries, sum.db, PHASE_TOP_QUERIES)
      })
    }
    return out.sort((a, b) => b.count - a.count)
  }

  /** The named queries of one route over the window, heaviest first, with their share of its database time. */
  function routeQueries (route: string, top = 5): QueryShare[] {
    const ring = routes.get(route)
    const sum = ring && sumOf(ring, currentMinute())
    return sum ? topQueries(sum.queries, sum.db, top) : []
  }

  return { record, snapshot, routeQueries }
}
