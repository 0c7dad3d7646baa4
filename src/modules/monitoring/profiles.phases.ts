import type { RoutePhases } from './profiles.schemas.js'

/** Phase timings are kept for this long, in one-minute buckets. */
export const PHASES_WINDOW_S = 300
const BUCKET_S = 60
const BUCKETS = PHASES_WINDOW_S / BUCKET_S
/** Route templates are bounded, but a bug must not grow this without limit. */
const MAX_ROUTES = 1000

export interface PhaseSample {
  totalMs: number
  dbMs: number
  cacheMs: number
  serializeMs: number
}

interface Bucket { minute: number, count: number, total: number, db: number, cache: number, serialize: number, handler: number, max: number }

const emptyBucket = (minute: number): Bucket => ({ minute, count: 0, total: 0, db: 0, cache: 0, serialize: 0, handler: 0, max: 0 })
const avg = (sum: number, count: number) => count === 0 ? 0 : Math.round((sum / count) * 100) / 100

export type PhaseRecorder = ReturnType<typeof createPhaseRecorder>

/**
 * Per-route phase timings (db, cache, serialize, and the handler's own time
 * as the rest) over the last five minutes: a fixed ring of one-minute
 * buckets per route, O(1) per request.
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
    b.cache += s.cacheMs
    b.serialize += s.serializeMs
    // Parallel queries can add up to more than the request took; the handler's share never goes negative.
    b.handler += Math.max(0, s.totalMs - s.dbMs - s.cacheMs - s.serializeMs)
    b.max = Math.max(b.max, s.totalMs)
  }

  /** Averages per route over the window, busiest route first; `budgetOf` adds the profiling budget. */
  function snapshot (budgetOf: (route: string) => number | undefined): RoutePhases[] {
    const current = Math.floor(now() / (BUCKET_S * 1000))
    const out: RoutePhases[] = []
    for (const [route, ring] of routes) {
      const sum = emptyBucket(current)
      for (const b of ring) {
        if (!b || current - b.minute >= BUCKETS) continue
        sum.count += b.count
        sum.total += b.total
        sum.db += b.db
        sum.cache += b.cache
        sum.serialize += b.serialize
        sum.handler += b.handler
        sum.max = Math.max(sum.max, b.max)
      }
      if (sum.count === 0) continue
      out.push({
        route,
        count: sum.count,
        avg_total_ms: avg(sum.total, sum.count),
        avg_db_ms: avg(sum.db, sum.count),
        avg_cache_ms: avg(sum.cache, sum.count),
        avg_serialize_ms: avg(sum.serialize, sum.count),
        avg_handler_ms: avg(sum.handler, sum.count),
        max_total_ms: Math.round(sum.max * 100) / 100,
        budget_ms: budgetOf(route) ?? null
      })
    }
    return out.sort((a, b) => b.count - a.count)
  }

  return { record, snapshot }
}
