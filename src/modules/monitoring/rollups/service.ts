import type { FastifyBaseLogger } from 'fastify'
import { ROLLUP_ALL_ROUTES } from '../../../db/schema/monitoring-metrics.js'
import { G_CPU, G_EL_P99, G_POOL_IN_USE, G_POOL_WAITING, type MetricsCollector } from '../../../lib/metrics/index.js'
import type { RedisDecorator } from '../../../plugins/redis.js'
import { runExclusive } from '../../../lib/redis/index.js'
import { rollupsKeys } from './keys.js'
import type { RollupBucket, RollupRow, RollupsRepository } from './repository.js'

const MINUTE_MS = 60_000
// Written a few seconds into the next minute, once the minute's last requests have finished.
const WRITE_DELAY_MS = 3000
const PRUNE_EVERY_MS = 3_600_000

export interface RollupsServiceOptions {
  repo: RollupsRepository
  collector: MetricsCollector
  redis: RedisDecorator
  instanceId: string
  retentionDays: number
  log: FastifyBaseLogger
}

export type RollupsService = ReturnType<typeof createRollupsService>

/**
 * One-minute rollups: each instance writes its own rows for the minute
 * that just ended (an all-routes row plus one per active route), so history
 * survives restarts and covers every instance. Pruning past the retention
 * runs at most hourly on one instance (Redis lock), and on every instance
 * while Redis is down (a duplicate DELETE is harmless).
 */
export function createRollupsService (opts: RollupsServiceOptions) {
  const { collector, instanceId } = opts
  const log = opts.log.child({ module: 'monitoring.rollups' })
  let lastWrittenMinute = -1
  let lastPruneMs = 0
  let timer: NodeJS.Timeout | undefined

  /** The rows of the minute starting at `minuteS` (epoch seconds). */
  function rowsFor (minuteS: number): RollupRow[] {
    const minute = new Date(minuteS * 1000)
    const endS = minuteS + 59
    const rows: RollupRow[] = []
    const overall = collector.http.minute(minuteS)
    let dbQueries = 0
    for (const [, w] of collector.queries.entries()) dbQueries += w.counts(60, endS).count
    const cache = collector.cacheTotals(collector.cache, 60, endS)
    // Process samples land on the second before their tick: read one second later.
    const sampleMean = (f: number) => collector.sampleMean(f, 60, endS + 1) ?? null
    rows.push({
      ...rowCounts(minute, instanceId, ROLLUP_ALL_ROUTES, overall),
      cacheHits: cache.hits,
      cacheMisses: cache.misses,
      dbQueries,
      dbPoolInUseMax: collector.samples.maxOver(G_POOL_IN_USE, 60, endS) ?? null,
      dbPoolWaitingMax: collector.samples.maxOver(G_POOL_WAITING, 60, endS) ?? null,
      eventLoopP99Ms: sampleMean(G_EL_P99),
      cpuRatio: sampleMean(G_CPU),
      rssBytes: process.memoryUsage.rss()
    })
    for (const [route, w] of collector.routes.entries()) {
      const s = w.minute(minuteS)
      if (s.count > 0) rows.push(rowCounts(minute, instanceId, route.slice(0, 250), s))
    }
    return rows
  }

  // Idle minutes are written too: zero requests is a measurement, not a gap.
  async function writeMinute (minuteS: number): Promise<void> {
    await opts.repo.insert(rowsFor(minuteS))
  }

  async function prune (nowMs: number): Promise<void> {
    if (nowMs - lastPruneMs < PRUNE_EVERY_MS) return
    lastPruneMs = nowMs
    await runExclusive(opts.redis, rollupsKeys.rollupPruneLock(opts.redis), instanceId, PRUNE_EVERY_MS - MINUTE_MS, async () => {
      const deleted = await opts.repo.pruneBefore(new Date(nowMs - opts.retentionDays * 86_400_000))
      if (deleted > 0) log.info({ deleted }, 'pruned old metric rollups')
    })
  }

  /** Writes every completed minute not yet written (at most the 15 the windows still hold). */
  async function run (): Promise<void> {
    const nowMs = collector.now()
    const lastComplete = Math.floor(nowMs / MINUTE_MS) - 1
    const first = lastWrittenMinute < 0 ? lastComplete : Math.max(lastWrittenMinute + 1, lastComplete - 14)
    for (let m = first; m <= lastComplete; m++) {
      await writeMinute(m * 60)
      lastWrittenMinute = m
    }
    await prune(nowMs)
  }

  const safeRun = () => run().catch((err) => log.warn({ err }, 'metric rollup failed; retrying next minute'))

  return {
    run,
    rowsFor,
    history: (from: Date, to: Date, bucketS: number): Promise<RollupBucket[]> => opts.repo.history(from, to, bucketS),
    start (): void {
      // Align to minute boundaries so every row covers one whole minute.
      const delay = MINUTE_MS - (collector.now() % MINUTE_MS) + WRITE_DELAY_MS
      timer = setTimeout(() => {
        safeRun()
        timer = setInterval(safeRun, MINUTE_MS).unref()
      }, delay).unref()
    },
    stop (): void {
      clearTimeout(timer)
      clearInterval(timer)
    }
  }
}

function rowCounts (minute: Date, instanceId: string, route: string, s: ReturnType<MetricsCollector['http']['minute']>): RollupRow {
  return {
    minute,
    instanceId,
    route,
    requests: s.count,
    errors: s.errors,
    clientErrors: s.status['4xx'] - s.limited,
    rateLimited: s.limited,
    p50Ms: s.p50,
    p95Ms: s.p95,
    p99Ms: s.p99,
    maxMs: s.max,
    dbTimeMs: s.dbMs,
    cacheTimeMs: s.cacheMs
  }
}
