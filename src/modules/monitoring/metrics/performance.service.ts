import type { FastifyBaseLogger } from 'fastify'
import { HISTORY_SECONDS, type MetricsCollector, type PoolMonitor, type SeriesPointData } from '../../../lib/metrics/index.js'
import { combine, combinePoints } from './combine.js'
import type { InstanceRegistry } from './instances.js'
import type { CombinedSnapshot, Performance, PerformanceRange, Series, SeriesPoint, StreamMetricsEvent } from './schemas.js'
import type { RollupBucket } from '../rollups/index.js'
import { buildPublished, toSeriesPoint, type InstanceIdentity, type PublishedSnapshot } from './snapshot.js'

/** History ranges served from rollups: span and bucket, in seconds (≤ ~350 points each). */
const ROLLUP_RANGES: Record<Exclude<PerformanceRange, '15m'>, { spanS: number, bucketS: number }> = {
  '1h': { spanS: 3600, bucketS: 60 },
  '24h': { spanS: 86_400, bucketS: 300 },
  '7d': { spanS: 7 * 86_400, bucketS: 1800 }
}

export interface PerformanceServiceOptions {
  collector: MetricsCollector
  pool: PoolMonitor
  identity: InstanceIdentity
  registry: InstanceRegistry
  history: (from: Date, to: Date, bucketS: number) => Promise<RollupBucket[]>
  log: FastifyBaseLogger
}

export type PerformanceService = ReturnType<typeof createPerformanceService>

function columns (points: SeriesPoint[], resolutionS: number, source: Series['source']): Series {
  const col = <K extends keyof SeriesPoint>(k: K) => points.map((p) => p[k])
  return {
    resolution_s: resolutionS,
    source,
    t: col('t'),
    requests: col('requests'),
    rps: col('rps'),
    error_rate: col('error_rate'),
    p50_ms: col('p50_ms'),
    p95_ms: col('p95_ms'),
    p99_ms: col('p99_ms'),
    cache_hit_rate: col('cache_hit_rate'),
    event_loop_p99_ms: col('event_loop_p99_ms'),
    db_pool_in_use: col('db_pool_in_use'),
    db_pool_waiting: col('db_pool_waiting')
  }
}

function bucketPoint (b: RollupBucket, bucketS: number): SeriesPoint {
  const lookups = b.cacheHits + b.cacheMisses
  return {
    t: b.t,
    requests: b.requests,
    rps: Math.round((b.requests / bucketS) * 1000) / 1000,
    error_rate: b.requests > 0 ? b.errors / b.requests : null,
    p50_ms: b.p50,
    p95_ms: b.p95,
    p99_ms: b.p99,
    cache_hit_rate: lookups > 0 ? b.cacheHits / lookups : null,
    event_loop_p99_ms: b.eventLoopP99,
    db_pool_in_use: b.poolInUse,
    db_pool_waiting: b.poolWaiting
  }
}

/**
 * The performance read side: this instance's snapshot published once a
 * second, the combined view of all instances (computed at most once per
 * second, shared by the SSE stream and requests), and chart series — live
 * per-second points for 15 minutes, minute rollups from PostgreSQL beyond.
 */
export function createPerformanceService (opts: PerformanceServiceOptions) {
  const { collector, registry } = opts
  let lastPublishedT = -1
  let current: { second: number, value: Promise<StreamMetricsEvent> } | undefined

  const local = (): PublishedSnapshot => buildPublished(collector, opts.pool, opts.identity)

  async function compute (): Promise<StreamMetricsEvent> {
    const mine = local()
    const others = await registry.others()
    const combined: CombinedSnapshot = combine(mine, others ?? [], others !== undefined)
    const points = [mine, ...(others ?? []).filter((o) => o.snapshot.alive)].map((p) => p.point).filter((p): p is SeriesPointData => p !== null)
    const point = points.length > 0 ? toSeriesPoint({ ...combinePoints(points), t: mine.point?.t ?? points[0].t }) : emptyPoint(collector.nowS() - 1)
    return { ...combined, point }
  }

  async function liveSeries (): Promise<Series> {
    const toS = collector.nowS() - 1
    const fromS = toS - HISTORY_SECONDS + 1
    const mine = collector.series(fromS, toS)
    const others = await registry.others()
    const ids = (others ?? []).filter((o) => o.snapshot.alive).map((o) => o.snapshot.instance_id)
    const theirs = (await registry.series(ids)) ?? []
    const byT = new Map<number, SeriesPointData[]>()
    for (const p of [...mine, ...theirs.flat()]) {
      if (p.t < fromS || p.t > toS) continue
      const list = byT.get(p.t)
      if (list) list.push(p)
      else byT.set(p.t, [p])
    }
    const points = [...byT.keys()].sort((a, b) => a - b).map((t) => toSeriesPoint(combinePoints(byT.get(t)!)))
    return columns(points, 1, 'live')
  }

  async function rollupSeries (range: Exclude<PerformanceRange, '15m'>): Promise<Series> {
    const { spanS, bucketS } = ROLLUP_RANGES[range]
    const to = new Date(collector.now())
    const buckets = await opts.history(new Date(to.getTime() - spanS * 1000), to, bucketS)
    return columns(buckets.map((b) => bucketPoint(b, bucketS)), bucketS, 'rollups')
  }

  /** The combined snapshot and newest chart point, computed once per second however many ask. */
  function combined (): Promise<StreamMetricsEvent> {
    const second = collector.nowS()
    if (!current || current.second !== second) {
      const value = compute()
      current = { second, value }
      value.catch(() => { if (current?.value === value) current = undefined })
    }
    return current.value
  }

  /** Publishes this instance's snapshot and its new chart points (the 1-second job). */
  async function publish (): Promise<void> {
    const toS = collector.nowS() - 1
    const fresh = collector.series(Math.max(lastPublishedT + 1, toS - 59), toS)
    if (await registry.publish(local(), fresh) && fresh.length > 0) lastPublishedT = fresh[fresh.length - 1].t
  }

  async function performance (range: PerformanceRange = '15m'): Promise<Performance> {
    const [snapshot, series] = await Promise.all([combined(), range === '15m' ? liveSeries() : rollupSeries(range)])
    const { point: _point, ...rest } = snapshot
    return { ...rest, series }
  }

  return { publish, combined, performance }
}

function emptyPoint (t: number): SeriesPoint {
  return { t, requests: 0, rps: 0, error_rate: null, p50_ms: null, p95_ms: null, p99_ms: null, cache_hit_rate: null, event_loop_p99_ms: null, db_pool_in_use: null, db_pool_waiting: null }
}
