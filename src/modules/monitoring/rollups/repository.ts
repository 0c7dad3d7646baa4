import { lt, sql } from 'drizzle-orm'
import type { Database } from '../../../db/client.js'
import { metricRollups, ROLLUP_ALL_ROUTES } from '../../../db/schema/monitoring-metrics.js'
import { timedQuery } from '../../../lib/observability/index.js'

export type RollupRow = typeof metricRollups.$inferInsert

/** One history bucket: every instance's rows of those minutes combined. */
export interface RollupBucket {
  t: number
  requests: number
  errors: number
  p50: number | null
  p95: number | null
  p99: number | null
  cacheHits: number
  cacheMisses: number
  eventLoopP99: number | null
  poolInUse: number | null
  poolWaiting: number | null
}

/** Counts summed over a time range of the all-routes rows (alert windows longer than the live windows). */
export interface RollupTotals {
  requests: number
  /** 5xx responses. */
  errors: number
  /** 429 responses. */
  limited: number
  /** Start of the earliest minute found (epoch seconds), null without rows. */
  firstMinuteS: number | null
}

/** Which all-routes rows `windowTotals` sums. */
export interface WindowTotalsQuery {
  from: Date
  to: Date
  /** The reading instance: its rows from `ownFrom` on are left out (its live window has those minutes). */
  instanceId: string
  ownFrom: Date
}

type TotalsRow = { requests: string, errors: string, limited: string, first_s: string | null }

type HistoryRow = {
  t: string
  requests: string
  errors: string
  p50: number | null
  p95: number | null
  p99: number | null
  hits: string
  misses: string
  el: number | null
  pool: string | null
  waiting: string | null
}

export type RollupsRepository = ReturnType<typeof createRollupsRepository>

export function createRollupsRepository (db: Database) {
  return {
    /** Writing the same minute twice (a retried job) keeps the first rows. */
    async insert (rows: RollupRow[]): Promise<void> {
      if (rows.length === 0) return
      await timedQuery('monitoring.rollups_insert', db.insert(metricRollups).values(rows).onConflictDoNothing())
    },

    async pruneBefore (cutoff: Date): Promise<number> {
      const deleted = await timedQuery('monitoring.rollups_prune',
        db.delete(metricRollups).where(lt(metricRollups.minute, cutoff)).returning({ minute: metricRollups.minute }))
      return deleted.length
    },

    /**
     * Requests, 5xx and 429 of every instance's all-routes rows with a
     * minute in [from, to), except the reading instance's own rows from
     * `ownFrom` on, and the earliest minute found. One index range scan
     * (the partial all-routes index): 60 rows per instance for an hour.
     */
    async windowTotals (q: WindowTotalsQuery): Promise<RollupTotals> {
      const [row] = await timedQuery('monitoring.rollups_window', db.execute<TotalsRow>(sql`
        SELECT coalesce(sum(requests), 0) AS requests, coalesce(sum(errors), 0) AS errors,
               coalesce(sum(rate_limited), 0) AS limited, extract(epoch FROM min(minute))::bigint AS first_s
        FROM ${metricRollups}
        WHERE route = ${ROLLUP_ALL_ROUTES} AND minute >= ${q.from.toISOString()} AND minute < ${q.to.toISOString()}
          AND (instance_id <> ${q.instanceId} OR minute < ${q.ownFrom.toISOString()})`))
      return {
        requests: Number(row.requests),
        errors: Number(row.errors),
        limited: Number(row.limited),
        firstMinuteS: row.first_s === null ? null : Number(row.first_s)
      }
    },

    /**
     * The all-routes rows of [from, to) in buckets of `bucketS` seconds:
     * first summed per minute across instances, then per bucket. Percentiles
     * and event-loop delay take the highest value; pool figures sum the
     * instances' per-minute peaks, then take the bucket's highest.
     */
    async history (from: Date, to: Date, bucketS: number): Promise<RollupBucket[]> {
      const rows = await timedQuery('monitoring.rollups_history', db.execute<HistoryRow>(sql`
        WITH per_minute AS (
          SELECT minute, sum(requests) AS requests, sum(errors) AS errors,
                 max(p50_ms) AS p50, max(p95_ms) AS p95, max(p99_ms) AS p99,
                 sum(cache_hits) AS hits, sum(cache_misses) AS misses, max(event_loop_p99_ms) AS el,
                 sum(db_pool_in_use_max) AS pool, sum(db_pool_waiting_max) AS waiting
          FROM ${metricRollups}
          WHERE route = ${ROLLUP_ALL_ROUTES} AND minute >= ${from.toISOString()} AND minute < ${to.toISOString()}
          GROUP BY minute
        )
        SELECT (floor(extract(epoch FROM minute) / ${bucketS}) * ${bucketS})::bigint AS t,
               sum(requests) AS requests, sum(errors) AS errors, max(p50) AS p50, max(p95) AS p95, max(p99) AS p99,
               coalesce(sum(hits), 0) AS hits, coalesce(sum(misses), 0) AS misses, max(el) AS el,
               max(pool) AS pool, max(waiting) AS waiting
        FROM per_minute GROUP BY 1 ORDER BY 1`))
      return rows.map((r) => ({
        t: Number(r.t),
        requests: Number(r.requests),
        errors: Number(r.errors),
        p50: r.p50,
        p95: r.p95,
        p99: r.p99,
        cacheHits: Number(r.hits),
        cacheMisses: Number(r.misses),
        eventLoopP99: r.el,
        poolInUse: r.pool === null ? null : Number(r.pool),
        poolWaiting: r.waiting === null ? null : Number(r.waiting)
      }))
    }
  }
}
