import type { FastifyBaseLogger } from 'fastify'
import { HISTORY_SECONDS, type MetricName, type MetricsReader, type WindowCoverage } from '../../../lib/metrics/index.js'
import { AlertRulesError } from './rules.js'
import type { AlertRule } from './schemas.js'
import { withStoreTimeout } from '../shared/index.js'
import type { RollupsRepository, RollupTotals } from '../rollups/index.js'

/**
 * Alert windows longer than the in-process windows (15 minutes), such as the
 * SLO burn rate's hour, read from the one-minute rollups in PostgreSQL plus
 * this instance's live window.
 *
 * For a window of W seconds ending now, on the evaluating instance:
 * - its own last ~15 minutes come from its live window (exact to the second,
 *   written or not yet), starting on a minute boundary;
 * - everything older, and every other instance up to its last written minute
 *   (rollups are per instance, summed here), comes from `metric_rollups`;
 *   the minutes that overlap the window are read, so it covers W to W + 59 s.
 *
 * Only count ratios can be summed that way: 5xx / requests and 429 /
 * requests. The rollups are read once per evaluation tick, in the
 * background (`refresh`), one query per distinct window length; the engine
 * then reads the cached totals synchronously.
 *
 * Less history than the window (a fresh install, a new instance, rollups
 * unreadable): the time without measurements counts as traffic without
 * errors, at the covered part's rate. The value is then a lower bound —
 * a burn-rate rule fires only once the history it has already proves the
 * budget burnt over the whole window — and the alert summary says how much
 * history there was.
 */

/** Metrics the rollups can serve beyond the live windows, with the count each one divides by requests. */
const ROLLUP_COUNTS = { http_error_rate: 'errors', http_rate_limited_ratio: 'limited' } as const satisfies Partial<Record<MetricName, keyof RollupTotals>>
type RollupMetric = keyof typeof ROLLUP_COUNTS

/** Seconds the live windows hold. */
const LIVE_S = HISTORY_SECONDS
/** A rollup read gives up after this long: the tick goes on with the live window only (as the alert store's calls do). */
const READ_TIMEOUT_MS = 2000

const isRollupMetric = (metric: MetricName): metric is RollupMetric => Object.hasOwn(ROLLUP_COUNTS, metric)

/** This instance's live HTTP counts (the metrics collector's all-requests window). */
export interface LiveHttpCounts {
  counts: (windowS: number, nowS: number) => { count: number, errors: number, limited: number }
}

export interface LongWindowsOptions {
  rules: readonly AlertRule[]
  /** Every window up to 15 minutes, and every metric rollups do not have. */
  reader: MetricsReader
  repo: Pick<RollupsRepository, 'windowTotals'>
  live: LiveHttpCounts
  /** This instance's `instance_id` in the rollups. */
  instanceId: string
  /** When this process started measuring (epoch ms): its live window has nothing older. */
  startedAtMs: number
  log: FastifyBaseLogger
}

interface Totals { requests: number, errors: number, limited: number, coverage: WindowCoverage }

/** Every (field, metric, window) a rule reads. */
function windowsOf (rule: AlertRule): Array<[field: string, metric: MetricName, windowS: number]> {
  return rule.type === 'burn_rate'
    ? [['short_window_s', rule.metric, rule.short_window_s], ['long_window_s', rule.metric, rule.long_window_s]]
    : [['window_s', rule.metric, rule.window_s]]
}

/**
 * Refuses, at boot, windows no reader can serve: longer than the minute
 * rollups are kept, or longer than the live windows for a metric the rollups
 * do not have (a live window would silently answer with its last 15 minutes).
 */
export function checkRuleWindows (rules: readonly AlertRule[], retentionDays: number, source: string): void {
  const problems: string[] = []
  for (const rule of rules) {
    for (const [field, metric, windowS] of windowsOf(rule)) {
      if (windowS > retentionDays * 86_400) {
        problems.push(`rule '${rule.id}': ${field} ${windowS} s is longer than the ${retentionDays} days of minute rollups kept (METRICS_RETENTION_DAYS)`)
      } else if (windowS > LIVE_S && !isRollupMetric(metric)) {
        problems.push(`rule '${rule.id}': ${field} ${windowS} s is longer than the ${LIVE_S} s the in-process windows hold; ` +
          `beyond that only ${Object.keys(ROLLUP_COUNTS).join(' and ')} are read (from minute rollups), not ${metric}`)
      }
    }
  }
  if (problems.length > 0) throw new AlertRulesError(source, problems)
}

export type LongWindows = ReturnType<typeof createLongWindows>

export function createLongWindows (opts: LongWindowsOptions) {
  const log = opts.log.child({ module: 'alerts.long-windows' })
  const lengths = [...new Set(opts.rules.flatMap((rule) => windowsOf(rule)
    .filter(([, metric, windowS]) => windowS > LIVE_S && isRollupMetric(metric))
    .map(([, , windowS]) => windowS)))]
  let totals = new Map<number, Totals>()
  let rollupsDown = false

  async function readRollups (from: Date, to: Date, ownFrom: Date): Promise<RollupTotals | undefined> {
    try {
      const read = await withStoreTimeout(opts.repo.windowTotals({ from, to, instanceId: opts.instanceId, ownFrom }), READ_TIMEOUT_MS, 'metric rollups')
      if (rollupsDown) log.info('metric rollups readable again: long alert windows include them')
      rollupsDown = false
      return read
    } catch (err) {
      if (!rollupsDown) log.warn({ err: { message: (err as Error).message } }, 'metric rollups unreadable: long alert windows use this instance\'s live window only')
      rollupsDown = true
      return undefined
    }
  }

  /** Reads the rollups of every long window for an evaluation at `nowMs`; the reader serves them until the next call. */
  async function refresh (nowMs: number): Promise<void> {
    const nowS = Math.floor(nowMs / 1000)
    // The live part starts on a minute boundary so it meets the minute rows exactly.
    const liveFromS = Math.ceil((nowS - LIVE_S + 1) / 60) * 60
    const live = opts.live.counts(nowS - liveFromS + 1, nowS)
    const startedS = Math.floor(opts.startedAtMs / 1000)
    // Own rows the live window cannot have: before it, or written before this process started (same instance id).
    const ownFrom = new Date(Math.max(liveFromS, Math.floor(startedS / 60) * 60) * 1000)
    const to = new Date(Math.floor(nowS / 60) * 60_000)
    const next = new Map<number, Totals>()
    for (const windowS of lengths) {
      const fromS = Math.floor((nowS - windowS + 1) / 60) * 60
      const rollups = await readRollups(new Date(fromS * 1000), to, ownFrom)
      const coveredFromS = Math.min(rollups?.firstMinuteS ?? Infinity, Math.max(liveFromS, startedS))
      next.set(windowS, {
        requests: live.count + (rollups?.requests ?? 0),
        errors: live.errors + (rollups?.errors ?? 0),
        limited: live.limited + (rollups?.limited ?? 0),
        coverage: { coveredS: Math.max(0, Math.min(windowS, nowS - coveredFromS + 1)), rollups: rollups !== undefined }
      })
    }
    totals = next
  }

  const reader: MetricsReader = {
    value (metric, windowS) {
      if (windowS <= LIVE_S || !isRollupMetric(metric)) return opts.reader.value(metric, windowS)
      const t = totals.get(windowS)
      if (!t || t.requests === 0) return undefined
      return t[ROLLUP_COUNTS[metric]] / t.requests * (t.coverage.coveredS / windowS)
    },
    routeP95: (routeKey, windowS) => opts.reader.routeP95(routeKey, windowS),
    routeCount: (routeKey, windowS) => opts.reader.routeCount(routeKey, windowS),
    coverage (metric, windowS) {
      const t = windowS > LIVE_S && isRollupMetric(metric) ? totals.get(windowS) : undefined
      return t && t.coverage.coveredS < windowS ? t.coverage : undefined
    }
  }

  return { refresh, reader }
}
