import fp from 'fastify-plugin'
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify'
import { hostname } from 'node:os'
import type { MetricName, MetricsReader } from '../../../lib/metrics/index.js'
import { alertTransitionChannel } from '../../../lib/observability/index.js'
import { createLeaderLease, createLocalLease, type LeaderLease } from '../../../lib/redis/index.js'
import { createAlertEngine, type TickResult } from './engine.js'
import { createAlertEvaluator } from './evaluator.js'
import { alertsKeys } from './keys.js'
import { checkRuleWindows, createLongWindows, type LongWindows } from './long-windows.js'
import { createNotifier } from './notifier.js'
import { createEventRelay } from '../shared/index.js'
import { createAlertsRepository } from './repository.js'
import { loadAlertRules } from './rules.js'
import type { Alert, AlertRule } from './schemas.js'
import { createAlertsService, type AlertsService } from './service.js'
import { createIncidentsRepository } from './incidents/repository.js'
import { createIncidentsService, type IncidentSources, type IncidentsService } from './incidents/service.js'
import type { IncidentNotes } from './webhook.js'
import { createRollupsRepository } from '../rollups/index.js'

const DEPENDENCY_PING_TIMEOUT_MS = 1000
const DEPENDENCY_WINDOW_S = 15
// METRICS_RETENTION_DAYS' default.
const DEFAULT_ROLLUP_RETENTION_DAYS = 7

export interface AlertsPluginOptions {
  /** JSON rules file replacing the defaults; empty for DEFAULT_ALERT_RULES. */
  rulesFile: string
  evalIntervalMs: number
  repeatIntervalS: number
  groupWaitMs: number
  webhookUrls: readonly string[]
  webhookTimeoutMs: number
  webhookAttempts: number
  webhookBackoffMs: number
  /** Base URL of the dashboard, for `generatorURL` and `externalURL` in webhook bodies. */
  externalUrl: string
  historyRetentionDays: number
  /** Days of minute rollups kept (METRICS_RETENTION_DAYS): a rule window longer than that stops the boot. @default 7 */
  rollupRetentionDays?: number
  /** Metric source; defaults to `app.metrics` when the metrics plugin is registered. */
  reader?: MetricsReader
  /** Wall clock (epoch ms); tests pass a controllable one. @default Date.now */
  clock?: () => number
  /** Start the evaluation timer on ready. Tests drive `app.alerts.evaluate()` instead. @default true */
  autoStart?: boolean
  /** This process in the lease and in the `instance` label. @default `${hostname}:${pid}` */
  instanceId?: string
}

export interface AlertsDecorator {
  service: AlertsService
  rules: readonly AlertRule[]
  /** Runs one evaluation now; undefined when evaluation is disabled or another instance leads. */
  evaluate: () => Promise<TickResult | undefined>
  /** Sends notification batches still waiting for their group and resolves when deliveries finished. */
  drainNotifications: () => Promise<void>
  /** Incident views of alert episodes (GET /alerts/{id}/incident, notification summaries). */
  incidents: IncidentsService
}

declare module 'fastify' {
  interface FastifyInstance { alerts: AlertsDecorator }
}

function checkWebhookUrls (urls: readonly string[]): void {
  for (const url of urls) {
    let ok = false
    try {
      ok = ['http:', 'https:'].includes(new URL(url).protocol)
    } catch {}
    if (!ok) throw new Error(`ALERT_WEBHOOK_URLS: '${url}' is not an http(s) URL`)
  }
}

/**
 * Adds `db_up`/`redis_up` measured here when the reader has no value for
 * them, so dependency alerts work whatever the metrics plugin provides.
 */
function withDependencyProbes (app: FastifyInstance, reader: MetricsReader) {
  const probes: Partial<Record<MetricName, number>> = {}
  const wrapped: MetricsReader = {
    value: (metric, windowS) => reader.value(metric, windowS) ?? probes[metric],
    routeP95: (routeKey, windowS) => reader.routeP95(routeKey, windowS),
    routeCount: (routeKey, windowS) => reader.routeCount(routeKey, windowS)
  }
  async function refresh (): Promise<void> {
    // Only probe what the reader does not measure itself.
    if (reader.value('db_up', DEPENDENCY_WINDOW_S) === undefined) probes.db_up = (await app.db.ping(DEPENDENCY_PING_TIMEOUT_MS)) ? 1 : 0
    // Without Redis at all (embedded mode) redis_up has no value, so redis_down never fires.
    if (!app.redis.embedded && reader.value('redis_up', DEPENDENCY_WINDOW_S) === undefined) probes.redis_up = app.redis.isReady() ? 1 : 0
  }
  return { reader: wrapped, refresh }
}

/**
 * Windows longer than the live ones, from minute rollups plus this
 * instance's live counts (`app.metrics`); without the metrics plugin (tests
 * with a fake reader) every window stays with the reader.
 */
function longWindowsOf (app: FastifyInstance, rules: readonly AlertRule[], reader: MetricsReader, log: FastifyBaseLogger): LongWindows | undefined {
  if (!app.hasDecorator('metrics')) return undefined
  const { collector, instanceId, startedAt } = app.metrics
  return createLongWindows({
    rules, reader, repo: createRollupsRepository(app.db.db), live: collector.http, instanceId, startedAtMs: startedAt.getTime(), log
  })
}

/**
 * What an incident is explained from, looked up when one is built: the
 * metrics collector's live windows, the profiler and slow-query capture
 * (plugins registered after this one, and each optional).
 */
function incidentSources (app: FastifyInstance): IncidentSources {
  const sources: IncidentSources = {}
  if (app.hasDecorator('metrics')) {
    const { collector } = app.metrics
    sources.live = { nowS: () => collector.nowS(), entries: () => collector.routes.entries() }
  }
  if (app.hasDecorator('profiler')) {
    const { service, phases } = app.profiler
    sources.profiles = { startedBetween: service.startedBetween, routeQueries: (route) => phases.routeQueries(route) }
  }
  if (app.hasDecorator('slowQueries')) sources.slowQueries = app.slowQueries
  return sources
}

function resolveReader (app: FastifyInstance, opts: AlertsPluginOptions): MetricsReader | undefined {
  if (opts.reader) return opts.reader
  return app.hasDecorator('metrics') ? (app as unknown as { metrics: MetricsReader }).metrics : undefined
}

/**
 * Alerting: rules evaluated every ALERT_EVAL_INTERVAL_MS on the instance
 * holding the Redis lease, state and history in PostgreSQL, notifications
 * to the log and webhooks, transitions on 'techmart:alert:transition' of
 * every instance. Without a metrics reader evaluation stays off (one
 * warning) while the API keeps serving rules, history and silences.
 */
const alertsPlugin: FastifyPluginAsync<AlertsPluginOptions> = async (app, opts) => {
  checkWebhookUrls(opts.webhookUrls)
  const rules = loadAlertRules(opts.rulesFile)
  checkRuleWindows(rules, opts.rollupRetentionDays ?? DEFAULT_ROLLUP_RETENTION_DAYS, opts.rulesFile || 'DEFAULT_ALERT_RULES')
  const log = app.log.child({ module: 'alerts' })
  const clock = opts.clock ?? Date.now
  const instance = opts.instanceId || `${hostname()}:${process.pid}`
  const repo = createAlertsRepository(app.db.db)
  const relay = createEventRelay({ redis: app.redis, redisChannel: alertsKeys.alertEvents(app.redis), channel: alertTransitionChannel, origin: instance, log })

  let evaluation: ReturnType<typeof createAlertEvaluator> | undefined
  let engine: ReturnType<typeof createAlertEngine> | undefined
  const incidents = createIncidentsService({
    rules,
    alertOf: (ruleId) => service.alert(ruleId),
    rollups: createIncidentsRepository(app.db.db),
    sources: () => incidentSources(app),
    clock,
    log
  })
  const service = createAlertsService({
    repo,
    rules,
    log,
    clock,
    instance,
    startedAt: clock(),
    evaluation: {
      get enabled () { return evaluation !== undefined },
      intervalMs: opts.evalIntervalMs,
      status: () => evaluation?.status() ?? { leader: false, lastTickAt: undefined },
      liveAlerts: () => evaluation?.status().leader ? engine?.alerts() : undefined
    },
    incident: (ruleId) => incidents.incident(ruleId)
  })
  const notifier = createNotifier({
    log,
    webhookUrls: opts.webhookUrls,
    groupWaitMs: opts.groupWaitMs,
    externalUrl: opts.externalUrl,
    timeoutMs: opts.webhookTimeoutMs,
    attempts: opts.webhookAttempts,
    backoffMs: opts.webhookBackoffMs,
    record: (row) => evaluation?.recordNotification(row),
    describe: async (notices) => {
      const notes = new Map<string, readonly string[]>()
      await Promise.all(notices.map(async ({ alert }) => {
        const lines = await incidents.notificationLines(alert)
        if (lines) notes.set(alert.id, lines)
      }))
      return notes as IncidentNotes
    }
  })
  const publish = (alert: Alert) => {
    service.remember(alert)
    relay.publish(alert)
  }
  // Other instances' transitions keep this instance's fallback view current too.
  const remember = (msg: unknown) => service.remember(msg as Alert)
  alertTransitionChannel.subscribe(remember)

  app.decorate('alerts', {
    service,
    rules,
    evaluate: async () => evaluation?.tick(),
    incidents,
    drainNotifications: async () => {
      notifier.flush()
      await notifier.settled()
      await evaluation?.written()
    }
  })

  await relay.start()
  let lease: LeaderLease | undefined
  app.addHook('onReady', async () => {
    const reader = resolveReader(app, opts)
    if (!reader) {
      log.warn('no metrics reader (app.metrics) is registered: alert rules are not evaluated')
      return
    }
    const probed = withDependencyProbes(app, reader)
    const longWindows = longWindowsOf(app, rules, probed.reader, log)
    engine = createAlertEngine({ rules, reader: longWindows?.reader ?? probed.reader, repeatIntervalS: opts.repeatIntervalS, instance })
    lease = app.redis.embedded
      ? createLocalLease()
      : createLeaderLease({ client: app.redis.client, key: alertsKeys.alertLeader(app.redis), holder: instance, ttlMs: Math.max(3 * opts.evalIntervalMs, 10_000), name: 'alert evaluation lease', log })
    evaluation = createAlertEvaluator({ engine, repo, notifier, lease, publish, log, clock, intervalMs: opts.evalIntervalMs, retentionDays: opts.historyRetentionDays, beforeTick: probed.refresh, longWindows })
    if (opts.autoStart !== false) evaluation.start()
  })
  app.addHook('onClose', async () => {
    await evaluation?.stop()
    await notifier.close()
    await lease?.release()
    alertTransitionChannel.unsubscribe(remember)
    relay.close()
  })
}

export default fp(alertsPlugin, { name: 'alerts', fastify: '5.x', dependencies: ['db', 'redis'] })
