import { sql } from 'drizzle-orm'
import { bigint, doublePrecision, index, integer, pgTable, primaryKey, real, timestamp, varchar } from 'drizzle-orm/pg-core'

/** Route value of the row that covers every route of the instance in that minute. */
export const ROLLUP_ALL_ROUTES = '*'

/**
 * One-minute rollups of the in-process metric windows, one row per
 * (minute, instance, route) plus a `route = '*'` row per instance and minute.
 * Written by each instance for itself once a minute, kept 7 days, so the
 * dashboard shows history across restarts and across instances.
 * Percentiles are per instance and minute; combining rows takes the worst
 * (highest) value, documented in docs/MONITORING.md.
 */
export const metricRollups = pgTable('metric_rollups', {
  minute: timestamp('minute', { withTimezone: true }).notNull(),
  instanceId: varchar('instance_id', { length: 100 }).notNull(),
  route: varchar('route', { length: 250 }).notNull(),
  requests: integer('requests').notNull(),
  /** 5xx responses. */
  errors: integer('errors').notNull(),
  /** 4xx responses other than 429. */
  clientErrors: integer('client_errors').notNull(),
  rateLimited: integer('rate_limited').notNull(),
  p50Ms: real('p50_ms'),
  p95Ms: real('p95_ms'),
  p99Ms: real('p99_ms'),
  maxMs: real('max_ms'),
  dbTimeMs: doublePrecision('db_time_ms').notNull().default(0),
  cacheTimeMs: doublePrecision('cache_time_ms').notNull().default(0),
  // The columns below are instance-wide: set on the '*' row only.
  cacheHits: integer('cache_hits'),
  cacheMisses: integer('cache_misses'),
  dbQueries: integer('db_queries'),
  dbPoolInUseMax: integer('db_pool_in_use_max'),
  dbPoolWaitingMax: integer('db_pool_waiting_max'),
  eventLoopP99Ms: real('event_loop_p99_ms'),
  cpuRatio: real('cpu_ratio'),
  rssBytes: bigint('rss_bytes', { mode: 'number' })
}, (t) => [
  primaryKey({ columns: [t.minute, t.instanceId, t.route] }),
  // History charts read only the all-routes rows of a time range.
  index('metric_rollups_all_routes_minute_idx').on(t.minute).where(sql`${t.route} = '*'`)
])
