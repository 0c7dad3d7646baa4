import { encodeIntoCompressedBase64 } from 'hdr-histogram-js'
import { D_ALLOWED, D_LIMITED, D_SHED, G_CPU, G_EL_MAX, G_EL_P50, G_EL_P99, G_ELU, G_GC_COUNT, G_GC_PAUSE_MS, G_POOL_IN_USE, G_POOL_WAITING, mergedHistogram, releaseHistogram, round3, type LatencyWindow, type MetricsCollector, type PoolMonitor, type SeriesPointData, type WindowSummary } from '../../../lib/metrics/index.js'
import type { CacheStats, DbStats, HttpStats, InstanceSnapshot, RouteStats, SeriesPoint } from './schemas.js'

/** Seconds covered by snapshots (the dashboard's "now" figures, the route table). */
export const SNAPSHOT_WINDOW_S = 60
const MAX_ROUTES = 50
const MAX_QUERIES = 30

export interface InstanceIdentity {
  instanceId: string
  hostname: string
  pid: number
  startedAt: Date
}

/** What one instance publishes each second: enough for others to combine exactly. */
export interface PublishedSnapshot {
  snapshot: InstanceSnapshot
  routes: RouteStats[]
  /** The window's latency histogram (HDR, compressed base64), so totals merge exactly. */
  histogram: string
  /** The latest closed per-second chart point. */
  point: SeriesPointData | null
}

const ratio = (part: number, whole: number) => whole > 0 ? part / whole : null
const avg = (sum: number, n: number) => n > 0 ? round3(sum / n) : null

function httpStats (c: MetricsCollector, s: WindowSummary, windowS: number, nowS: number): HttpStats {
  return {
    requests: s.count,
    rps: round3(s.count / windowS),
    rps_1s: c.http.counts(1, nowS - 1).count,
    status: s.status,
    errors: s.errors,
    rate_limited: s.limited,
    error_rate: ratio(s.errors, s.count),
    p50_ms: s.p50,
    p95_ms: s.p95,
    p99_ms: s.p99,
    max_ms: s.max,
    in_flight: Math.max(0, c.inFlight)
  }
}

/** The busiest entries of a window set, with percentiles computed for those only. */
function busiest (entries: Iterable<[string, LatencyWindow]>, limit: number, windowS: number, nowS: number): [string, WindowSummary][] {
  const active: [string, LatencyWindow, number][] = []
  for (const [key, w] of entries) {
    const n = w.counts(windowS, nowS).count
    if (n > 0) active.push([key, w, n])
  }
  active.sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]))
  return active.slice(0, limit).map(([key, w]) => [key, w.summary(windowS, nowS)])
}

export function routeStats (c: MetricsCollector, windowS: number, nowS: number): RouteStats[] {
  return busiest(c.routes.entries(), MAX_ROUTES, windowS, nowS).map(([route, s]) => ({
    route,
    requests: s.count,
    rps: round3(s.count / windowS),
    errors: s.errors,
    rate_limited: s.limited,
    error_rate: ratio(s.errors, s.count),
    p50_ms: s.p50,
    p95_ms: s.p95,
    p99_ms: s.p99,
    avg_db_ms: avg(s.dbMs, s.count),
    avg_cache_ms: avg(s.cacheMs, s.count)
  }))
}

function cacheStats (c: MetricsCollector, windowS: number, nowS: number): CacheStats {
  const t = c.cacheTotals(c.cache, windowS, nowS)
  const byType = [...c.cacheByType].map(([type, ring]) => {
    const b = c.cacheTotals(ring, windowS, nowS)
    return { type, hits: b.hits, l1_hits: b.l1Hits, l2_hits: b.l2Hits, misses: b.misses, hit_rate: b.hitRate }
  }).filter((b) => b.hits + b.misses > 0).sort((a, b) => (b.hits + b.misses) - (a.hits + a.misses))
  return { lookups: t.hits + t.misses, hits: t.hits, misses: t.misses, hit_rate: t.hitRate, by_type: byType }
}

function dbStats (c: MetricsCollector, pool: PoolMonitor, windowS: number, nowS: number): DbStats {
  let queries = 0
  let errors = 0
  let sumMs = 0
  for (const [, w] of c.queries.entries()) {
    const q = w.counts(windowS, nowS)
    queries += q.count
    errors += q.errors
    sumMs += q.sumMs
  }
  const now = pool.stats()
  return {
    up: c.probes.db?.up ?? null,
    pool: {
      size: now.size,
      in_use: now.inUse,
      free: now.free,
      waiting: now.waiting,
      utilization: now.size > 0 ? now.inUse / now.size : 0,
      max_in_use: Math.max(now.inUse, c.samples.maxOver(G_POOL_IN_USE, windowS, nowS) ?? 0),
      max_waiting: Math.max(now.waiting, c.samples.maxOver(G_POOL_WAITING, windowS, nowS) ?? 0),
      acquire_p95_ms: c.acquire.summary(windowS, nowS).p95
    },
    queries,
    query_errors: errors,
    avg_query_ms: avg(sumMs, queries),
    by_name: busiest(c.queries.entries(), MAX_QUERIES, windowS, nowS).map(([name, s]) => ({
      name, count: s.count, errors: s.errors, avg_ms: avg(s.sumMs, s.count), p95_ms: s.p95, max_ms: s.max
    }))
  }
}

function nullable (n: number | undefined): number | null {
  return n === undefined ? null : round3(n)
}

/** This instance's figures over the last `windowS` seconds. */
export function buildInstanceSnapshot (c: MetricsCollector, pool: PoolMonitor, id: InstanceIdentity, windowS = SNAPSHOT_WINDOW_S): InstanceSnapshot {
  const nowMs = c.now()
  const nowS = Math.floor(nowMs / 1000)
  const mem = process.memoryUsage()
  const decisions = (f: number) => c.decisions.sum(f, windowS, nowS)
  return {
    instance_id: id.instanceId,
    hostname: id.hostname,
    pid: id.pid,
    started_at: id.startedAt.toISOString(),
    last_seen: new Date(nowMs).toISOString(),
    alive: true,
    uptime_s: Math.max(0, Math.round((nowMs - id.startedAt.getTime()) / 1000)),
    window_s: windowS,
    http: httpStats(c, c.http.summary(windowS, nowS), windowS, nowS),
    cache: cacheStats(c, windowS, nowS),
    db: dbStats(c, pool, windowS, nowS),
    redis: { up: c.probes.redis?.up ?? null },
    event_loop: {
      delay_p50_ms: nullable(c.sampleMean(G_EL_P50, windowS, nowS)),
      delay_p99_ms: nullable(c.sampleMean(G_EL_P99, windowS, nowS)),
      delay_max_ms: nullable(c.samples.maxOver(G_EL_MAX, windowS, nowS - 1)),
      utilization: nullable(c.sampleMean(G_ELU, windowS, nowS))
    },
    memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, heap_total_bytes: mem.heapTotal, external_bytes: mem.external },
    gc: { count: c.samples.sum(G_GC_COUNT, windowS, nowS), pause_ms: round3(c.samples.sum(G_GC_PAUSE_MS, windowS, nowS)) },
    cpu_ratio: nullable(c.sampleMean(G_CPU, windowS, nowS)),
    rate_limit: { allowed: decisions(D_ALLOWED), limited: decisions(D_LIMITED), shed: decisions(D_SHED) },
    load_level: c.loadLevel
  }
}

/** The snapshot plus what combining needs, as published to Redis. */
export function buildPublished (c: MetricsCollector, pool: PoolMonitor, id: InstanceIdentity, windowS = SNAPSHOT_WINDOW_S): PublishedSnapshot {
  const nowS = c.nowS()
  const h = mergedHistogram([c.http], windowS, nowS)
  try {
    return {
      snapshot: buildInstanceSnapshot(c, pool, id, windowS),
      routes: routeStats(c, windowS, nowS),
      histogram: encodeIntoCompressedBase64(h),
      point: c.series(nowS - 3, nowS - 1).at(-1) ?? null
    }
  } finally {
    releaseHistogram(h)
  }
}

/** A chart point as served (the internal point also carries counts for combining). */
export function toSeriesPoint (p: SeriesPointData, resolutionS = 1): SeriesPoint {
  return {
    t: p.t,
    requests: p.requests,
    rps: round3(p.requests / resolutionS),
    error_rate: p.errorRate,
    p50_ms: p.p50,
    p95_ms: p.p95,
    p99_ms: p.p99,
    cache_hit_rate: p.cacheHitRate,
    event_loop_p99_ms: p.eventLoopP99 === null ? null : round3(p.eventLoopP99),
    db_pool_in_use: p.poolInUse,
    db_pool_waiting: p.poolWaiting
  }
}
