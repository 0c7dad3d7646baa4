import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { hostname } from 'node:os'
import type { DecisionEvent } from '../lib/load/index.js'
import { createProcessSampler, createPromMetrics, MetricsCollector, UNMATCHED_ROUTE, type DbAcquireEvent, type MetricsReader, type PromMetrics } from '../lib/metrics/index.js'
import {
  cacheOpChannel, dbAcquireChannel, dbQueryChannel, decisionChannel, loadSampleChannel, searchChannel, subscribeUntilClose as listen,
  type CacheOpEvent, type DbQueryEvent, type LoadSampleEvent, type SearchEvent
} from '../lib/observability/index.js'

const TICK_MS = 1000
const PROBE_INTERVAL_MS = 5000
const PROBE_TIMEOUT_MS = 1000

export interface MetricsDecorator extends MetricsReader {
  collector: MetricsCollector
  prom: PromMetrics
  /** `host:pid` unless METRICS_INSTANCE_ID is set. */
  instanceId: string
  hostname: string
  startedAt: Date
}

declare module 'fastify' {
  interface FastifyInstance { metrics: MetricsDecorator }
  interface FastifyRequest { metricsCounted: boolean }
}

export interface MetricsPluginOptions {
  /** @default `${hostname}:${pid}` */
  instanceId?: string
  version: string
  /** Epoch milliseconds; tests drive the windows with a fake clock. @default Date.now */
  now?: () => number
}

/**
 * prom-client children by label values, each built once: `inc(labels)` and `observe(labels, v)`
 * hash their label object on every call, and these run once or more per request. Bounded by the
 * label values the code uses (query names, cache types, route templates).
 */
function children<T> (make: (...values: string[]) => T): (...values: string[]) => T {
  const made = new Map<string, T>()
  return (...values) => {
    const key = values.join('\u0000')
    let child = made.get(key)
    if (child === undefined) made.set(key, (child = make(...values)))
    return child
  }
}

function subscribeChannels (app: FastifyInstance, collector: MetricsCollector, prom: PromMetrics): void {
  const queryDuration = children((query, outcome) => prom.dbQueryDuration.labels({ query, outcome }))
  const cacheOps = children((type, layer, result) => prom.cacheOps.labels({ type, layer, result }))
  const decisions = children((route, clientKind, decision) => prom.rateLimitDecisions.labels({ route, client_kind: clientKind, decision }))
  listen<DbQueryEvent>(app, dbQueryChannel, (e) => {
    collector.recordQuery(e.name, e.durationMs, e.ok)
    queryDuration(e.name, e.ok ? 'ok' : 'error').observe(e.durationMs / 1000)
  })
  listen<CacheOpEvent>(app, cacheOpChannel, (e) => {
    collector.recordCache(e.type, e.layer, e.hit)
    cacheOps(e.type, e.layer, e.hit ? 'hit' : 'miss').inc()
  })
  listen<DbAcquireEvent>(app, dbAcquireChannel, (e) => {
    collector.recordAcquire(e.durationMs, e.ok)
    prom.dbAcquireDuration.observe({ kind: e.kind, outcome: e.ok ? 'ok' : 'error' }, e.durationMs / 1000)
  })
  listen<DecisionEvent>(app, decisionChannel, (e) => {
    collector.recordDecision(e.decision)
    decisions(e.route, e.clientKind, e.decision).inc()
    if (e.decision === 'shed') prom.loadShed.inc({ route: e.route })
  })
  listen<LoadSampleEvent>(app, loadSampleChannel, (e) => {
    if (e.level === collector.loadLevel) return
    collector.loadLevel = e.level
    prom.loadLevel.reset()
    prom.loadLevel.set({ level: e.level }, 1)
  })
  listen<SearchEvent>(app, searchChannel, (e) => {
    prom.searches.inc({ outcome: e.results > 0 ? 'results' : 'zero_results' })
    prom.searchDuration.observe(e.durationMs / 1000)
  })
}

type DurationChild = ReturnType<PromMetrics['httpDuration']['labels']>

/** Per (method, route template): the window key and the prom-client children by status, built once. */
interface RouteLabels { key: string, byStatus: Map<number, DurationChild> }

function addHttpHooks (app: FastifyInstance, collector: MetricsCollector, prom: PromMetrics): void {
  // Hot path, every request: no label objects are built or hashed per request; prom-client's
  // labelled children are cached (bounded: route templates × methods × status codes).
  const labels = new Map<string, Map<string, RouteLabels>>()
  const labelsOf = (method: string, route: string): RouteLabels => {
    let byRoute = labels.get(method)
    if (!byRoute) labels.set(method, (byRoute = new Map()))
    let l = byRoute.get(route)
    if (!l) byRoute.set(route, (l = { key: `${method} ${route}`, byStatus: new Map() }))
    return l
  }
  const childOf = (l: RouteLabels, method: string, route: string, status: number): DurationChild => {
    let child = l.byStatus.get(status)
    if (!child) l.byStatus.set(status, (child = prom.httpDuration.labels({ method, route, status_code: status })))
    return child
  }
  const uncount = (request: FastifyRequest) => {
    if (request.metricsCounted) {
      request.metricsCounted = false
      collector.inFlight--
    }
  }

  app.decorateRequest('metricsCounted', false)
  // Routes marked `metrics: false` (long-lived streams) give their request back right after
  // the global hook, so the global hook never has to read the route's config.
  app.addHook('onRoute', (route) => {
    if (route.config?.metrics !== false) return
    const own = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : []
    route.onRequest = [function (request, _reply, done) { uncount(request); done() }, ...own]
  })
  app.addHook('onRequest', (request, _reply, done) => {
    request.metricsCounted = true
    collector.inFlight++
    done()
  })
  // A request whose client went away may never reach onResponse: release its in-flight slot here.
  app.addHook('onRequestAbort', (request, done) => {
    uncount(request)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    if (request.metricsCounted) {
      request.metricsCounted = false
      collector.inFlight--
      const ms = reply.elapsedTime
      const status = reply.statusCode
      const method = request.method
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE
      const l = labelsOf(method, route)
      collector.recordHttp(l.key, ms, status, request.timings?.dbMs ?? 0, request.timings?.cacheMs ?? 0)
      childOf(l, method, route, status).observe(ms / 1000)
    }
    done()
  })
}

function startTimers (app: FastifyInstance, collector: MetricsCollector, prom: PromMetrics): void {
  const sampler = createProcessSampler((pauseMs) => collector.recordGc(pauseMs))
  const tick = setInterval(() => {
    const peaks = app.db.pool.takePeaks()
    collector.recordSample(collector.nowS() - 1, { ...sampler.read(), poolInUse: peaks.inUse, poolWaiting: peaks.waiting })
    collector.tick()
  }, TICK_MS).unref()

  const probe = async () => {
    const dbUp = await app.db.ping(PROBE_TIMEOUT_MS)
    collector.setProbe('db', dbUp)
    prom.dependencyUp.set({ dependency: 'postgres' }, dbUp ? 1 : 0)
    // Without Redis at all (embedded mode) there is nothing to probe: redis_up stays without a value.
    if (app.redis.embedded) return
    const redisUp = app.redis.isReady() && await app.redis.client.ping().then((r) => r === 'PONG', () => false)
    collector.setProbe('redis', redisUp)
    prom.dependencyUp.set({ dependency: 'redis' }, redisUp ? 1 : 0)
  }
  const probeTimer = setInterval(() => { probe().catch((err) => app.log.warn({ err }, 'dependency probe failed')) }, PROBE_INTERVAL_MS).unref()
  app.addHook('onReady', async () => { probe().catch((err) => app.log.warn({ err }, 'dependency probe failed')) })
  app.addHook('onClose', async () => {
    clearInterval(tick)
    clearInterval(probeTimer)
    sampler.stop()
  })
}

/**
 * Metrics: the prom-client registry (served at /metrics by metrics-endpoint.ts), the HTTP hooks that
 * record every request (route template, status, duration, db/cache time),
 * the diagnostics-channel subscribers (queries, cache, pool, rate limits,
 * load, searches), the once-a-second process sampler and dependency probes.
 * Decorates `app.metrics`: the MetricsReader of alerts and profiling plus
 * the collector behind the dashboard.
 */
const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, opts) => {
  const collector = new MetricsCollector({ now: opts.now, poolSize: app.db.pool.stats().size })
  const instanceId = opts.instanceId || `${hostname()}:${process.pid}`
  const prom = createPromMetrics({ collector, pool: app.db.pool, instanceId, version: opts.version })

  app.decorate('metrics', {
    collector,
    prom,
    instanceId,
    hostname: hostname(),
    startedAt: new Date(collector.now()),
    value: (metric, windowS) => collector.value(metric, windowS),
    routeP95: (key, windowS) => collector.routeP95(key, windowS),
    routeCount: (key, windowS) => collector.routeCount(key, windowS)
  })
  subscribeChannels(app, collector, prom)
  addHttpHooks(app, collector, prom)
  startTimers(app, collector, prom)
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x', dependencies: ['db', 'redis'] })
