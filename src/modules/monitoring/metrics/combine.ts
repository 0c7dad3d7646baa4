import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js'
import { maxMs, newLatencyHistogram, percentileMs, round3, type SeriesPointData } from '../../../lib/metrics/index.js'
import type { CacheStats, CombinedSnapshot, DbStats, InstanceSnapshot, RouteStats } from './schemas.js'
import type { PublishedSnapshot } from './snapshot.js'

/**
 * Combines the snapshots of every instance into one total: counts and rates
 * are summed; overall latency percentiles come from the merged histograms
 * (exact); per-route and per-query percentiles and event-loop figures take
 * the worst instance (histograms per route are not shipped, to keep the
 * per-second publish small); memory and CPU are summed.
 */

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const maxOf = (xs: (number | null)[]) => xs.reduce<number | null>((m, x) => x === null ? m : m === null || x > m ? x : m, null)
const ratio = (part: number, whole: number) => whole > 0 ? part / whole : null
const weighted = (pairs: [number | null, number][]) => {
  const n = sum(pairs.map(([, w]) => w))
  return n > 0 ? round3(sum(pairs.map(([v, w]) => (v ?? 0) * w)) / n) : null
}
const allUp = (xs: (boolean | null)[]) => xs.every((x) => x === null) ? null : xs.every((x) => x !== false)

// Highest level wins; unknown levels rank below the known ones.
const LEVEL_ORDER = ['low', 'medium', 'high', 'critical']

function mergedLatency (published: PublishedSnapshot[]): Histogram {
  const h = newLatencyHistogram()
  for (const p of published) {
    if (!p.histogram) continue
    const other = decodeFromCompressedBase64(p.histogram, 32, false)
    h.add(other)
    other.destroy()
  }
  return h
}

function combineCache (caches: CacheStats[]): CacheStats {
  const byType = new Map<string, CacheStats['by_type'][number]>()
  for (const t of caches.flatMap((c) => c.by_type)) {
    const acc = byType.get(t.type) ?? { type: t.type, hits: 0, l1_hits: 0, l2_hits: 0, misses: 0, hit_rate: null }
    acc.hits += t.hits
    acc.l1_hits += t.l1_hits
    acc.l2_hits += t.l2_hits
    acc.misses += t.misses
    acc.hit_rate = ratio(acc.hits, acc.hits + acc.misses)
    byType.set(t.type, acc)
  }
  const hits = sum(caches.map((c) => c.hits))
  const misses = sum(caches.map((c) => c.misses))
  return { lookups: hits + misses, hits, misses, hit_rate: ratio(hits, hits + misses), by_type: [...byType.values()].sort((a, b) => (b.hits + b.misses) - (a.hits + a.misses)) }
}

function combineDb (dbs: DbStats[]): DbStats {
  const pools = dbs.map((d) => d.pool)
  const size = sum(pools.map((p) => p.size))
  const inUse = sum(pools.map((p) => p.in_use))
  const byName = new Map<string, DbStats['by_name'][number]>()
  for (const q of dbs.flatMap((d) => d.by_name)) {
    const acc = byName.get(q.name)
    if (!acc) { byName.set(q.name, { ...q }); continue }
    acc.avg_ms = weighted([[acc.avg_ms, acc.count], [q.avg_ms, q.count]])
    acc.count += q.count
    acc.errors += q.errors
    acc.p95_ms = maxOf([acc.p95_ms, q.p95_ms])
    acc.max_ms = maxOf([acc.max_ms, q.max_ms])
  }
  const queries = sum(dbs.map((d) => d.queries))
  return {
    up: allUp(dbs.map((d) => d.up)),
    pool: {
      size,
      in_use: inUse,
      free: sum(pools.map((p) => p.free)),
      waiting: sum(pools.map((p) => p.waiting)),
      utilization: size > 0 ? inUse / size : 0,
      max_in_use: sum(pools.map((p) => p.max_in_use)),
      max_waiting: sum(pools.map((p) => p.max_waiting)),
      acquire_p95_ms: maxOf(pools.map((p) => p.acquire_p95_ms))
    },
    queries,
    query_errors: sum(dbs.map((d) => d.query_errors)),
    avg_query_ms: weighted(dbs.map((d) => [d.avg_query_ms, d.queries])),
    by_name: [...byName.values()].sort((a, b) => b.count - a.count).slice(0, 30)
  }
}

export function combineRoutes (lists: RouteStats[][]): RouteStats[] {
  const byRoute = new Map<string, RouteStats>()
  for (const r of lists.flat()) {
    const acc = byRoute.get(r.route)
    if (!acc) { byRoute.set(r.route, { ...r }); continue }
    acc.avg_db_ms = weighted([[acc.avg_db_ms, acc.requests], [r.avg_db_ms, r.requests]])
    acc.avg_cache_ms = weighted([[acc.avg_cache_ms, acc.requests], [r.avg_cache_ms, r.requests]])
    acc.requests += r.requests
    acc.rps = round3(acc.rps + r.rps)
    acc.errors += r.errors
    acc.rate_limited += r.rate_limited
    acc.error_rate = ratio(acc.errors, acc.requests)
    acc.p50_ms = maxOf([acc.p50_ms, r.p50_ms])
    acc.p95_ms = maxOf([acc.p95_ms, r.p95_ms])
    acc.p99_ms = maxOf([acc.p99_ms, r.p99_ms])
  }
  return [...byRoute.values()].sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route)).slice(0, 50)
}

function combineTotals (snaps: InstanceSnapshot[], latency: Histogram): CombinedSnapshot['total'] {
  const http = snaps.map((s) => s.http)
  const requests = sum(http.map((h) => h.requests))
  const errors = sum(http.map((h) => h.errors))
  const status = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }
  for (const h of http) for (const k of Object.keys(status) as (keyof typeof status)[]) status[k] += h.status[k]
  const levels = snaps.map((s) => s.load_level).filter((l): l is string => l !== null)
  return {
    window_s: snaps[0].window_s,
    http: {
      requests,
      rps: round3(sum(http.map((h) => h.rps))),
      rps_1s: sum(http.map((h) => h.rps_1s)),
      status,
      errors,
      rate_limited: sum(http.map((h) => h.rate_limited)),
      error_rate: ratio(errors, requests),
      p50_ms: percentileMs(latency, 50),
      p95_ms: percentileMs(latency, 95),
      p99_ms: percentileMs(latency, 99),
      max_ms: maxMs(latency) ?? maxOf(http.map((h) => h.max_ms)),
      in_flight: sum(http.map((h) => h.in_flight))
    },
    cache: combineCache(snaps.map((s) => s.cache)),
    db: combineDb(snaps.map((s) => s.db)),
    redis: { up: allUp(snaps.map((s) => s.redis.up)) },
    event_loop: {
      delay_p50_ms: maxOf(snaps.map((s) => s.event_loop.delay_p50_ms)),
      delay_p99_ms: maxOf(snaps.map((s) => s.event_loop.delay_p99_ms)),
      delay_max_ms: maxOf(snaps.map((s) => s.event_loop.delay_max_ms)),
      utilization: maxOf(snaps.map((s) => s.event_loop.utilization))
    },
    memory: {
      rss_bytes: sum(snaps.map((s) => s.memory.rss_bytes)),
      heap_used_bytes: sum(snaps.map((s) => s.memory.heap_used_bytes)),
      heap_total_bytes: sum(snaps.map((s) => s.memory.heap_total_bytes)),
      external_bytes: sum(snaps.map((s) => s.memory.external_bytes))
    },
    gc: { count: sum(snaps.map((s) => s.gc.count)), pause_ms: round3(sum(snaps.map((s) => s.gc.pause_ms))) },
    cpu_ratio: snaps.every((s) => s.cpu_ratio === null) ? null : round3(sum(snaps.map((s) => s.cpu_ratio ?? 0))),
    rate_limit: {
      allowed: sum(snaps.map((s) => s.rate_limit.allowed)),
      limited: sum(snaps.map((s) => s.rate_limit.limited)),
      shed: sum(snaps.map((s) => s.rate_limit.shed))
    },
    load_level: levels.sort((a, b) => LEVEL_ORDER.indexOf(b) - LEVEL_ORDER.indexOf(a))[0] ?? null
  }
}

/**
 * The combined view. `alive` instances count in the total; instances that
 * stopped publishing stay listed (alive: false) until their key expires.
 * `local` is always alive and always included, so Redis being down still
 * yields this instance's figures (`shared: false`).
 */
export function combine (local: PublishedSnapshot, others: PublishedSnapshot[], shared: boolean): CombinedSnapshot {
  const alive = [local, ...others.filter((o) => o.snapshot.alive)]
  const latency = mergedLatency(alive)
  try {
    return {
      generated_at: local.snapshot.last_seen,
      window_s: local.snapshot.window_s,
      shared,
      instance_id: local.snapshot.instance_id,
      total: combineTotals(alive.map((p) => p.snapshot), latency),
      instances: [local, ...others].map((p) => p.snapshot).sort((a, b) => a.instance_id.localeCompare(b.instance_id)),
      routes: combineRoutes(alive.map((p) => p.routes))
    }
  } finally {
    latency.destroy()
  }
}

/** One chart point from every instance's point of the same second. */
export function combinePoints (points: SeriesPointData[]): SeriesPointData {
  const requests = sum(points.map((p) => p.requests))
  const errors = sum(points.map((p) => p.errors))
  const hits = sum(points.map((p) => p.cacheHits))
  const lookups = sum(points.map((p) => p.cacheLookups))
  const nullableSum = (xs: (number | null)[]) => xs.every((x) => x === null) ? null : sum(xs.map((x) => x ?? 0))
  return {
    t: points[0].t,
    requests,
    errors,
    errorRate: ratio(errors, requests),
    p50: maxOf(points.map((p) => p.p50)),
    p95: maxOf(points.map((p) => p.p95)),
    p99: maxOf(points.map((p) => p.p99)),
    cacheHits: hits,
    cacheLookups: lookups,
    cacheHitRate: ratio(hits, lookups),
    eventLoopP99: maxOf(points.map((p) => p.eventLoopP99)),
    poolInUse: nullableSum(points.map((p) => p.poolInUse)),
    poolWaiting: nullableSum(points.map((p) => p.poolWaiting))
  }
}
