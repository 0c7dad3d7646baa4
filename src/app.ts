import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import { splitList, type Config } from './config.js'
// The routes' `config` fields that the plugins read (rate limit, criticality, ...) are declared there.
import type {} from './lib/http/index.js'
import { packageVersion } from './lib/version.js'
import { createLogOutput, loggerOptions } from './lib/logging/index.js'
import tracingPlugin, { otlpTracesUrl } from './plugins/tracing.js'
import requestTimingsPlugin from './plugins/request-timings.js'
import dbPlugin from './plugins/db.js'
import redisPlugin from './plugins/redis.js'
import cachePlugin from './plugins/cache.js'
import healthPlugin from './plugins/health.js'
import errorHandlerPlugin from './plugins/error-handler.js'
import openapiPlugin from './plugins/openapi.js'
import authPlugin from './plugins/auth.js'
import loadSamplerPlugin from './plugins/load-sampler.js'
import accessLogPlugin, { AccessLogController } from './plugins/access-log.js'
import serverTimingPlugin from './plugins/server-timing.js'
import httpHardeningPlugin from './plugins/http-hardening.js'
import loadSheddingPlugin from './plugins/load-shedding.js'
import rateLimitPlugin from './plugins/rate-limit.js'
import metricsPlugin from './plugins/metrics.js'
import metricsEndpointPlugin from './plugins/metrics-endpoint.js'
import dashboardPlugin from './plugins/dashboard.js'
import { alertsPlugin } from './modules/monitoring/alerts/index.js'
import { profilerPlugin } from './modules/monitoring/profiling/index.js'
import { slowQueriesPlugin } from './modules/monitoring/slow-queries/index.js'
import { modules } from './modules/index.js'

const version = packageVersion()

declare module 'fastify' {
  interface FastifyInstance {
    config: Readonly<Config>
    /** Search's in-process state, filled in by the catalog module: tools and tests wait on `loaded()` before measuring search. */
    catalogSearch: { loaded: () => Promise<void> }
  }
}

// A client-sent request id is echoed only when it is short and plain, so logs cannot be forged.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/

export interface BuildOptions {
  /**
   * Extra Fastify logger options (tests pass `false` or a stream). Absent: the app writes to its
   * own log output (lib/logging/output.ts: buffered JSON to stdout or LOG_FILE, pretty on a terminal)
   * and flushes it when it closes.
   */
  logger?: FastifyServerOptions['logger']
}

/** Builds the whole application without listening: tests and `server.ts` share it. */
export async function buildApp (config: Readonly<Config>, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const output = opts.logger === undefined ? createLogOutput(config, process.stdout.isTTY === true) : undefined
  const app = Fastify<Server>({
    logger: loggerOptions(config.logLevel, opts.logger ?? { stream: output?.stream }),
    // One access-log line per request replaces Fastify's two (plugins/access-log.ts).
    logController: new AccessLogController(),
    requestIdHeader: false, // genReqId reads and checks the header itself
    genReqId: (req) => {
      const sent = req.headers['x-request-id']
      return typeof sent === 'string' && REQUEST_ID_PATTERN.test(sent) ? sent : randomUUID()
    },
    trustProxy: parseTrustProxy(config.trustProxy),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('config', config)
  app.decorate('catalogSearch', { loaded: async () => {} })
  // Registered before every plugin, so it runs after their own onClose hooks (and their last lines).
  if (output) app.addHook('onClose', output.flush)
  try {
    await registerAll(app, config)
  } catch (err) {
    // A plugin that failed to boot must not leave the others' pools open.
    await app.close().catch(() => {})
    throw err
  }
  return app
}

async function registerAll (app: FastifyInstance, config: Readonly<Config>): Promise<void> {
  // Fixed order: infrastructure first, then hooks that attach to every route, then routes.
  // Tracing first: its onRequest hook opens the request span before any other hook runs, and it sees every route.
  await app.register(tracingPlugin, { tracesUrl: otlpTracesUrl(config), serviceName: config.otelServiceName, serviceVersion: version })
  await app.register(requestTimingsPlugin)
  await app.register(dbPlugin, {
    url: config.databaseUrl,
    readUrl: config.databaseReadUrl || undefined,
    max: config.databasePoolMax,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutS: config.databaseConnectTimeoutS,
    responseTimeoutMs: config.databaseResponseTimeoutMs,
    embedded: config.databaseEmbedded
  })
  await app.register(redisPlugin, { url: config.redisUrl, keyPrefix: config.redisKeyPrefix, commandTimeoutMs: config.redisCommandTimeoutMs, embedded: config.redisEmbedded })
  await app.register(cachePlugin, {
    enabled: config.cacheEnabled,
    l1MaxEntries: config.cacheL1MaxEntries,
    l1MaxBytes: config.cacheL1MaxMb * 1024 * 1024,
    l2TimeoutMs: config.cacheL2TimeoutMs,
    graceS: config.cacheGraceS,
    negativeTtlS: config.cacheNegativeTtlS
  })
  await app.register(metricsPlugin, { instanceId: config.metricsInstanceId || undefined, version })
  await registerMiddleware(app, config)
  await app.register(errorHandlerPlugin)
  await app.register(openapiPlugin, { version, compress: config.compressionEnabled })
  await app.register(authPlugin, { secret: config.jwtSecret, expiresInS: config.jwtExpiresInS, accountStateTtlMs: config.authStateTtlMs })
  await app.register(metricsEndpointPlugin, { metricsToken: config.metricsToken })
  await app.register(healthPlugin)
  await app.register(alertsPlugin, {
    rulesFile: config.alertRulesFile,
    evalIntervalMs: config.alertEvalIntervalMs,
    repeatIntervalS: config.alertRepeatIntervalS,
    groupWaitMs: config.alertGroupWaitMs,
    webhookUrls: splitList(config.alertWebhookUrls),
    webhookTimeoutMs: config.alertWebhookTimeoutMs,
    webhookAttempts: config.alertWebhookAttempts,
    webhookBackoffMs: config.alertWebhookBackoffMs,
    externalUrl: config.alertExternalUrl,
    historyRetentionDays: config.alertHistoryRetentionDays,
    rollupRetentionDays: config.metricsRetentionDays,
    instanceId: config.metricsInstanceId || undefined
  })
  await app.register(profilerPlugin, {
    enabled: config.profilingEnabled,
    dir: config.profileDir,
    durationMs: config.profileDurationMs,
    cooldownMs: config.profileCooldownMs,
    warmupS: config.profileWarmupS,
    checkIntervalMs: config.profileCheckIntervalMs,
    minRequests: config.profileMinRequests,
    routeBudgets: config.profileRouteBudgets,
    defaultBudgetMs: config.profileDefaultBudgetMs,
    maxBytes: config.profileMaxBytes,
    maxFiles: config.profileMaxFiles,
    retentionDays: config.profileRetentionDays,
    instanceId: config.metricsInstanceId || undefined
  })
  await app.register(slowQueriesPlugin, {
    databaseUrl: config.databaseUrl,
    // EXPLAIN runs on a second connection; on the embedded PGlite every connection shares one
    // session, so its statements (DEALLOCATE ALL included) would hit the app's: capture is off there.
    thresholdMs: config.databaseEmbedded ? 0 : config.slowQueryMs,
    explainTimeoutMs: config.slowQueryExplainTimeoutMs,
    cooldownMs: config.slowQueryCooldownMs,
    maxRows: config.slowQueryMaxRows,
    relative: {
      factor: config.databaseEmbedded ? 0 : config.slowQueryRelativeFactor,
      floorMs: config.slowQueryRelativeFloorMs,
      windowS: config.slowQueryRelativeWindowS,
      minSamples: config.slowQueryRelativeMinSamples,
      intervalMs: config.slowQueryRelativeIntervalMs,
      baselineS: config.slowQueryBaselineS,
      baselineMinS: config.slowQueryBaselineMinS
    },
    instanceId: config.metricsInstanceId || undefined
  })
  await app.register(modules, { prefix: '/api/v1' })
  await app.register(dashboardPlugin)

  // During shutdown, responses to requests that were already in flight close their
  // keep-alive connection; otherwise the server would wait for those clients to hang up.
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // A callback hook, not an async one: an async hook costs a promise and a microtask on every response.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}

/**
 * The HTTP middleware, before any route so their onRoute hooks see every route: the load
 * sampler, access log, Server-Timing, CORS/security headers/compression, then shedding
 * (cheapest rejection first) and rate limiting. A disabled part is not registered at all.
 */
async function registerMiddleware (app: FastifyInstance, config: Readonly<Config>): Promise<void> {
  const corsOrigins = splitList(config.corsOrigins)
  await app.register(loadSamplerPlugin, {
    intervalMs: config.loadSampleIntervalMs,
    eventLoopDelayMs: config.loadEventLoopDelayMs,
    eventLoopUtilization: config.loadEventLoopUtilization,
    criticalP95TargetMs: config.criticalP95TargetMs,
    tightenFactor: config.rateLimitTightenFactor
  })
  if (config.accessLogEnabled) await app.register(accessLogPlugin, { slowRequestMs: config.slowRequestMs, sampleRate: config.accessLogSampleRate })
  if (config.serverTimingEnabled) await app.register(serverTimingPlugin, { corsOrigins })
  await app.register(httpHardeningPlugin, {
    corsOrigins,
    securityHeaders: config.securityHeadersEnabled,
    compression: config.compressionEnabled && {
      thresholdBytes: config.compressionThresholdBytes,
      brotliQuality: config.compressionBrotliQuality,
      gzipLevel: config.compressionGzipLevel
    }
  })
  if (config.loadSheddingEnabled) {
    await app.register(loadSheddingPlugin, {
      maxEventLoopDelayMs: config.shedEventLoopDelayMs,
      maxEventLoopUtilization: config.shedEventLoopUtilization,
      maxHeapRatio: config.shedHeapRatio,
      retryAfterS: 2
    })
  }
  if (config.rateLimitEnabled) {
    await app.register(rateLimitPlugin, {
      defaultLimit: { points: config.rateLimitDefaultPoints, duration: config.rateLimitDefaultDurationS },
      notFoundLimit: { points: config.rateLimitNotFoundPoints, duration: 60 },
      whitelist: splitList(config.rateLimitWhitelist),
      routeOverrides: splitList(config.rateLimitRoutes),
      leaseBatch: config.rateLimitLeaseBatch
    })
  }
}

/** `TRUST_PROXY`: empty (trust nobody), `true`, a hop count, or a list of IPs/CIDRs. */
function parseTrustProxy (value: string): boolean | string[] | ((addr: string, hop: number) => boolean) {
  const v = value.trim()
  if (v === '' || v === 'false') return false
  if (v === 'true') return true
  if (/^\d+$/.test(v)) {
    const hops = Number(v)
    return (_addr, hop) => hop < hops
  }
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}
