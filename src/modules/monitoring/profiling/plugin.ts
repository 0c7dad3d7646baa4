import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { hostname } from 'node:os'
import { dbQueryChannel, profileCapturedChannel, requestContext, subscribeUntilClose, type DbQueryEvent, type RequestTimings } from '../../../lib/observability/index.js'
import type { MetricsReader } from '../../../lib/metrics/index.js'
import { createEventRelay } from '../shared/index.js'
import { profilingKeys } from './keys.js'
import { createPhaseRecorder, type PhaseRecorder } from './phases.js'
import { createProfilesRepository } from './repository.js'
import type { Profile } from './schemas.js'
import { createProfilesService, type ProfilesService } from './service.js'
import { createSplitWindow, type RequestQueries, type SplitWindow } from './split.js'
import { createProfileStorage } from './storage.js'
import { checkBudgets, createCooldown, P95_WINDOW_S, parseRouteBudgets } from './trigger.js'

export interface ProfilerPluginOptions {
  /** Phase timings and automatic captures; manual captures work either way. */
  enabled: boolean
  dir: string
  durationMs: number
  /** Per route: after an automatic capture of a route, none of it for this long (other routes stay free). */
  cooldownMs: number
  /** No automatic capture for this long after start: the first requests are slow for reasons of their own (JIT, cold caches, pools). */
  warmupS: number
  checkIntervalMs: number
  minRequests: number
  /** PROFILE_ROUTE_BUDGETS: `METHOD /template=ms,...`. */
  routeBudgets: string
  /** Budget of routes marked `criticality: 'critical'` that the list does not name. */
  defaultBudgetMs: number
  maxBytes: number
  maxFiles: number
  retentionDays: number
  /** Metric source; defaults to `app.metrics`. */
  reader?: MetricsReader
  instanceId?: string
  /** Start the budget-check timer on ready. @default true */
  autoStart?: boolean
  /** Wall clock (epoch ms) of the warm-up and the cooldowns; tests pass a controllable one. @default Date.now */
  clock?: () => number
}

export interface ProfilerDecorator {
  service: ProfilesService
  /** Runs one budget check now; the capture it started, if any. */
  checkBudgets: () => Promise<Profile | undefined>
  /** Watched route templates and their p95 budgets. */
  budgets: () => ReadonlyMap<string, number>
  /** Per-route phase timings and named queries of the last five minutes. */
  phases: PhaseRecorder
}

declare module 'fastify' {
  interface FastifyInstance { profiler: ProfilerDecorator }
  interface FastifyRequest {
    /** `reply.elapsedTime` when serialization started, -1 before. */
    profilerSerializeAt: number
    profilerSerializeMs: number
  }
}

/** Per request, its named queries (the timings object is the request's AsyncLocalStorage store). */
function trackQueries (app: FastifyInstance): WeakMap<RequestTimings, RequestQueries> {
  const byRequest = new WeakMap<RequestTimings, RequestQueries>()
  // Published synchronously in the query's caller's async context, so the store is the request's own.
  subscribeUntilClose<DbQueryEvent>(app, dbQueryChannel, ({ name, durationMs }) => {
    const timings = requestContext.getStore()
    if (!timings) return
    let queries = byRequest.get(timings)
    if (!queries) {
      queries = new Map()
      byRequest.set(timings, queries)
    }
    const q = queries.get(name)
    if (q) {
      q.count++
      q.ms += durationMs
    } else {
      queries.set(name, { count: 1, ms: durationMs })
    }
  })
  return byRequest
}

/**
 * Per-route phases: db, pool wait and cache from request.timings, serialize
 * from preSerialization → onSend, handler = the rest; each request's named
 * queries; and, while a profile is captured, the time split of its window.
 */
function addPhaseHooks (app: FastifyInstance, phases: PhaseRecorder, split: SplitWindow): void {
  const queriesOf = trackQueries(app)
  app.decorateRequest('profilerSerializeAt', -1)
  app.decorateRequest('profilerSerializeMs', 0)
  app.addHook('preSerialization', (request, reply, payload, done) => {
    request.profilerSerializeAt = reply.elapsedTime
    done(null, payload)
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.profilerSerializeAt >= 0) request.profilerSerializeMs = reply.elapsedTime - request.profilerSerializeAt
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url
    if (route) {
      const t = request.timings
      const key = `${request.method} ${route}`
      // One object per request for both recorders (the split reads the fields it knows).
      const sample = { totalMs: reply.elapsedTime, dbMs: t?.dbMs ?? 0, dbWaitMs: t?.dbWaitMs ?? 0, cacheMs: t?.cacheMs ?? 0, serializeMs: request.profilerSerializeMs, queries: t ? queriesOf.get(t) : undefined }
      phases.record(key, sample)
      split.record(key, sample)
    }
    done()
  })
}

/** After the warm-up, the p95 is read over the seconds since it ended; a shorter window than this is not trusted. */
const MIN_WINDOW_S = 10

/**
 * The p95 window of a budget check at `now`: undefined during the warm-up
 * and until MIN_WINDOW_S seconds after it, then the seconds since it ended
 * up to P95_WINDOW_S, so requests of the warm-up never count.
 */
export function checkWindowS (now: number, warmupEndsAt: number, warmupS: number): number | undefined {
  if (warmupS === 0) return P95_WINDOW_S
  const sinceS = Math.floor((now - warmupEndsAt) / 1000)
  return sinceS < MIN_WINDOW_S ? undefined : Math.min(P95_WINDOW_S, sinceS)
}

/**
 * Automatic CPU profiling: phase timings per route, and every
 * PROFILE_CHECK_INTERVAL_MS after the warm-up (PROFILE_WARMUP_S) a look at
 * the p95 of the routes with a budget (PROFILE_ROUTE_BUDGETS plus routes
 * marked critical); a route over budget starts a capture, at most one per
 * route per PROFILE_COOLDOWN_MS across instances.
 */
const profilerPlugin: FastifyPluginAsync<ProfilerPluginOptions> = async (app, opts) => {
  const budgets = parseRouteBudgets(opts.routeBudgets)
  const clock = opts.clock ?? Date.now
  // Set again on ready: the warm-up runs from when the app starts serving.
  let warmupEndsAt = clock() + opts.warmupS * 1000
  const log = app.log.child({ module: 'profiler' })
  const instance = opts.instanceId || `${hostname()}:${process.pid}`
  const phases = createPhaseRecorder()
  const split = createSplitWindow()
  const relay = createEventRelay({ redis: app.redis, redisChannel: profilingKeys.profileEvents(app.redis), channel: profileCapturedChannel, origin: instance, log })
  const service = createProfilesService({
    repo: createProfilesRepository(app.db.db),
    storage: createProfileStorage({ dir: opts.dir, maxBytes: opts.maxBytes, maxFiles: opts.maxFiles, retentionDays: opts.retentionDays }),
    phases,
    split: opts.enabled ? split : undefined,
    budgetOf: (route) => budgets.get(route),
    publish: (profile) => relay.publish(profile),
    log,
    instance,
    startedAt: clock(),
    enabled: opts.enabled,
    defaultDurationMs: opts.durationMs,
    cooldownMs: opts.cooldownMs,
    automatic: () => ({ warmupEndsAt: opts.enabled ? warmupEndsAt : undefined, cooldowns: cooldown.local() }),
    retentionDays: opts.retentionDays,
    root: process.cwd()
  })
  const cooldown = createCooldown({ client: app.redis.client, keyOf: (route) => profilingKeys.profileCooldown(app.redis, route), holder: instance, ms: opts.cooldownMs, now: clock })
  let reader: MetricsReader | undefined
  const check = async () => {
    if (!opts.enabled || !reader) return undefined
    const windowS = checkWindowS(clock(), warmupEndsAt, opts.warmupS)
    if (windowS === undefined) return undefined
    return checkBudgets({ reader, budgets: () => budgets, minRequests: opts.minRequests, windowS, cooldown, isCapturing: service.isCapturing, start: service.start, log })
  }

  app.decorate('profiler', { service, checkBudgets: check, budgets: () => budgets, phases })
  app.addHook('onRoute', (route) => {
    if (route.config?.criticality !== 'critical') return
    for (const method of [route.method].flat()) {
      const key = `${method} ${route.url}`
      if (method !== 'HEAD' && !budgets.has(key)) budgets.set(key, opts.defaultBudgetMs)
    }
  })
  if (opts.enabled) addPhaseHooks(app, phases, split)
  await relay.start()

  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    warmupEndsAt = clock() + opts.warmupS * 1000
    await service.recover().catch((err: unknown) => log.warn({ err }, 'could not close interrupted profile captures'))
    reader = opts.reader ?? (app.hasDecorator('metrics') ? (app as unknown as { metrics: MetricsReader }).metrics : undefined)
    if (!opts.enabled) return
    if (!reader) {
      log.warn('no metrics reader (app.metrics) is registered: automatic profiling is off')
      return
    }
    if (opts.autoStart === false) return
    timer = setInterval(() => {
      check().catch((err: unknown) => log.error({ err }, 'profiling budget check failed'))
    }, opts.checkIntervalMs)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await service.close()
    relay.close()
  })
}

export default fp(profilerPlugin, { name: 'profiler', fastify: '5.x', dependencies: ['db', 'redis', 'request-timings'] })
