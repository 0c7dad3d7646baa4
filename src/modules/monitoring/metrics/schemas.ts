import { Type, type Static } from 'typebox'

export { ErrorSchema, errorResponses } from '../../../lib/http/index.js'

/**
 * Response shapes of the metrics side of monitoring: performance,
 * the SSE stream's `metrics` events and the stream token (business figures:
 * business/schemas.ts, search analytics: search-analytics/schemas.ts). Every number is measured; a value is `null` when there was
 * nothing to measure in the window (no requests, no cache lookups).
 * Durations are milliseconds, ratios are 0..1, timestamps are ISO-8601 UTC
 * strings except chart series, which use epoch seconds for uPlot.
 */

const Count = Type.Integer({ minimum: 0 })
const Num = Type.Number()
const NullableNum = Type.Union([Type.Number(), Type.Null()])
const NullableRatio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])
const IsoDate = Type.String({ format: 'date-time' })

export const StatusSplitSchema = Type.Object({
  '2xx': Count, '3xx': Count, '4xx': Count, '5xx': Count
})

/** HTTP traffic over the snapshot window (`window_s`), all routes. */
export const HttpStatsSchema = Type.Object({
  requests: Count,
  /** requests / window_s */
  rps: Num,
  /** Requests completed in the last full second. */
  rps_1s: Num,
  status: StatusSplitSchema,
  /** 5xx responses. */
  errors: Count,
  /** 429 responses. */
  rate_limited: Count,
  /** errors / requests. */
  error_rate: NullableRatio,
  p50_ms: NullableNum,
  p95_ms: NullableNum,
  p99_ms: NullableNum,
  max_ms: NullableNum,
  /** Requests being handled right now (long-lived streams excluded). */
  in_flight: Count
})

/** One route template (`GET /api/v1/products/:id`) over the snapshot window. */
export const RouteStatsSchema = Type.Object({
  route: Type.String(),
  requests: Count,
  rps: Num,
  errors: Count,
  rate_limited: Count,
  error_rate: NullableRatio,
  p50_ms: NullableNum,
  p95_ms: NullableNum,
  p99_ms: NullableNum,
  /** Mean time per request spent in PostgreSQL / the cache (from request timings). */
  avg_db_ms: NullableNum,
  avg_cache_ms: NullableNum
})

export const CacheTypeStatsSchema = Type.Object({
  type: Type.String(),
  hits: Count,
  l1_hits: Count,
  l2_hits: Count,
  misses: Count,
  hit_rate: NullableRatio
})

export const CacheStatsSchema = Type.Object({
  lookups: Count,
  hits: Count,
  misses: Count,
  hit_rate: NullableRatio,
  by_type: Type.Array(CacheTypeStatsSchema)
})

export const DbPoolSchema = Type.Object({
  /** Configured maximum connections. */
  size: Count,
  /** Connections busy now: held by transactions/reservations plus those running queries (capped at size). */
  in_use: Count,
  /** size - in_use. */
  free: Count,
  /** Queries beyond the pool's capacity: queued in the driver or pipelined behind another query. */
  waiting: Count,
  utilization: Type.Number({ minimum: 0, maximum: 1 }),
  /** Highest in_use / waiting seen in the window (the instantaneous values miss short peaks). */
  max_in_use: Count,
  max_waiting: Count,
  /** Time to obtain a dedicated connection for a transaction, p95 over the window. */
  acquire_p95_ms: NullableNum
})

export const DbQueryStatsSchema = Type.Object({
  name: Type.String(),
  count: Count,
  errors: Count,
  avg_ms: NullableNum,
  p95_ms: NullableNum,
  max_ms: NullableNum
})

export const DbStatsSchema = Type.Object({
  /** Latest health probe; null before the first probe. */
  up: Type.Union([Type.Boolean(), Type.Null()]),
  pool: DbPoolSchema,
  queries: Count,
  query_errors: Count,
  avg_query_ms: NullableNum,
  /** Named queries (timedQuery names), busiest first, at most 30. */
  by_name: Type.Array(DbQueryStatsSchema)
})

export const EventLoopSchema = Type.Object({
  /** Mean of the per-second p50 / p99 event-loop delay over the window. */
  delay_p50_ms: NullableNum,
  delay_p99_ms: NullableNum,
  delay_max_ms: NullableNum,
  utilization: NullableRatio
})

export const MemorySchema = Type.Object({
  rss_bytes: Count,
  heap_used_bytes: Count,
  heap_total_bytes: Count,
  external_bytes: Count
})

export const RateLimitStatsSchema = Type.Object({
  allowed: Count,
  limited: Count,
  shed: Count
})

/** Everything one instance measures, over the last `window_s` seconds. */
export const InstanceSnapshotSchema = Type.Object({
  instance_id: Type.String(),
  hostname: Type.String(),
  pid: Count,
  started_at: IsoDate,
  last_seen: IsoDate,
  /** Published within the last few seconds. */
  alive: Type.Boolean(),
  uptime_s: Count,
  window_s: Count,
  http: HttpStatsSchema,
  cache: CacheStatsSchema,
  db: DbStatsSchema,
  redis: Type.Object({ up: Type.Union([Type.Boolean(), Type.Null()]) }),
  event_loop: EventLoopSchema,
  memory: MemorySchema,
  /** Garbage collections and their total pause time in the window. */
  gc: Type.Object({ count: Count, pause_ms: Num }),
  /** Process CPU (user + system) as a share of one core, mean over the window. */
  cpu_ratio: NullableNum,
  rate_limit: RateLimitStatsSchema,
  /** Latest level from the load sampler ('normal', 'elevated', ...), null when no sampler runs. */
  load_level: Type.Union([Type.String(), Type.Null()])
})

/** One chart point (one second live, or one rollup bucket). */
export const SeriesPointSchema = Type.Object({
  t: Type.Integer(),
  requests: Count,
  rps: Num,
  error_rate: NullableRatio,
  p50_ms: NullableNum,
  p95_ms: NullableNum,
  p99_ms: NullableNum,
  cache_hit_rate: NullableRatio,
  event_loop_p99_ms: NullableNum,
  db_pool_in_use: NullableNum,
  db_pool_waiting: NullableNum
})

/** Columnar series (uPlot's format): every array has one entry per `t`. */
export const SeriesSchema = Type.Object({
  /** Seconds per point: 1 for live data, 60+ for rollups. */
  resolution_s: Count,
  /** 'live': per-second points from the instances' in-memory windows; 'rollups': minute rows from PostgreSQL. */
  source: Type.Union([Type.Literal('live'), Type.Literal('rollups')]),
  t: Type.Array(Type.Integer()),
  requests: Type.Array(Num),
  rps: Type.Array(Num),
  error_rate: Type.Array(NullableNum),
  p50_ms: Type.Array(NullableNum),
  p95_ms: Type.Array(NullableNum),
  p99_ms: Type.Array(NullableNum),
  cache_hit_rate: Type.Array(NullableNum),
  event_loop_p99_ms: Type.Array(NullableNum),
  db_pool_in_use: Type.Array(NullableNum),
  db_pool_waiting: Type.Array(NullableNum)
})

/** The combined view of every instance: `total` sums counts (percentiles merged exactly), `instances` lists each. */
export const CombinedSnapshotSchema = Type.Object({
  generated_at: IsoDate,
  window_s: Count,
  /** False when Redis is unreachable: the figures are this instance's only. */
  shared: Type.Boolean(),
  instance_id: Type.String(),
  total: Type.Omit(InstanceSnapshotSchema, ['instance_id', 'hostname', 'pid', 'started_at', 'last_seen', 'alive', 'uptime_s']),
  instances: Type.Array(InstanceSnapshotSchema),
  /** Per-route figures summed over instances (p95 = the worst instance's), busiest first, at most 50. */
  routes: Type.Array(RouteStatsSchema)
})

export const PerformanceRangeSchema = Type.Union([
  Type.Literal('15m'), Type.Literal('1h'), Type.Literal('24h'), Type.Literal('7d')
])

export const PerformanceQuerySchema = Type.Object({
  range: Type.Optional(Type.Union(PerformanceRangeSchema.anyOf, {
    description: 'Chart span (default 15m). 15m: live per-second points; 1h, 24h, 7d: minute rollups from PostgreSQL, downsampled'
  }))
}, { additionalProperties: false })

export const PerformanceSchema = Type.Evaluate(Type.Intersect([CombinedSnapshotSchema, Type.Object({ series: SeriesSchema })]))

/** SSE `metrics` event, every second: the combined snapshot plus the new chart point. */
export const StreamMetricsEventSchema = Type.Evaluate(Type.Intersect([CombinedSnapshotSchema, Type.Object({ point: SeriesPointSchema })]))

export const StreamTokenSchema = Type.Object({
  /** Seconds the stream cookie stays valid for opening a stream. */
  expires_in: Count
})

export type HttpStats = Static<typeof HttpStatsSchema>
export type RouteStats = Static<typeof RouteStatsSchema>
export type CacheStats = Static<typeof CacheStatsSchema>
export type DbPool = Static<typeof DbPoolSchema>
export type DbStats = Static<typeof DbStatsSchema>
export type InstanceSnapshot = Static<typeof InstanceSnapshotSchema>
export type SeriesPoint = Static<typeof SeriesPointSchema>
export type Series = Static<typeof SeriesSchema>
export type CombinedSnapshot = Static<typeof CombinedSnapshotSchema>
export type PerformanceRange = Static<typeof PerformanceRangeSchema>
export type Performance = Static<typeof PerformanceSchema>
export type StreamMetricsEvent = Static<typeof StreamMetricsEventSchema>
