import { Type, type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'

/** JWT_SECRET of development runs; published here, so production refuses it (secretProblems). */
const DEV_JWT_SECRET = 'techmart-dev-secret-change-me-in-production'

/**
 * Every setting of the service, keyed by its camelCase name; `env` names the
 * environment variable it is read from. One schema gives the runtime check,
 * the defaults and the TypeScript type, so they cannot disagree. This is the only
 * file that reads `process.env`.
 */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ env: 'PORT', default: 3000, minimum: 0, maximum: 65535 }),
  host: Type.String({ env: 'HOST', default: '0.0.0.0', minLength: 1 }),
  logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { env: 'LOG_LEVEL', default: 'info' }),
  /** Log file (appended); empty = standard output. */
  logFile: Type.String({ env: 'LOG_FILE', default: '' }),
  /** Log lines are buffered up to this many bytes and written asynchronously (also every second); 0 = one synchronous write per line. */
  logBufferBytes: Type.Integer({ env: 'LOG_BUFFER_BYTES', default: 4096, minimum: 0, maximum: 16_000 }),
  /** `auto`: human-readable lines (pino-pretty) when standard output is a terminal and NODE_ENV is not production. */
  logPretty: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], { env: 'LOG_PRETTY', default: 'auto' }),
  databaseUrl: Type.String({ env: 'DATABASE_URL', default: 'postgres://postgres@127.0.0.1:5432/techmart', pattern: '^postgres(ql)?://' }),
  databaseReadUrl: Type.String({ env: 'DATABASE_READ_URL', default: '', pattern: '^(postgres(ql)?://.*)?$' }),
  /** With DATABASE_READ_URL: after a catalog write (seen through a cache invalidation), catalog reads use the primary this long. 0 = never. */
  replicaLagWindowMs: Type.Integer({ env: 'REPLICA_LAG_WINDOW_MS', default: 5000, minimum: 0, maximum: 600_000 }),
  databasePoolMax: Type.Integer({ env: 'DATABASE_POOL_MAX', default: 20, minimum: 1, maximum: 500 }),
  databaseStatementTimeoutMs: Type.Integer({ env: 'DATABASE_STATEMENT_TIMEOUT_MS', default: 5000, minimum: 100 }),
  databaseConnectTimeoutS: Type.Integer({ env: 'DATABASE_CONNECT_TIMEOUT_S', default: 5, minimum: 1 }),
  /** A connection whose server sends nothing this long after a query is closed (APP_DATABASE_TIMEOUT); above the statement timeout. */
  databaseResponseTimeoutMs: Type.Integer({ env: 'DATABASE_RESPONSE_TIMEOUT_MS', default: 6000, minimum: 100 }),
  redisUrl: Type.String({ env: 'REDIS_URL', default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  redisKeyPrefix: Type.String({ env: 'REDIS_KEY_PREFIX', default: 'techmart', pattern: '^[A-Za-z0-9_.-]+$' }),
  redisCommandTimeoutMs: Type.Integer({ env: 'REDIS_COMMAND_TIMEOUT_MS', default: 500, minimum: 10 }),
  /** Deployment kind; `production` turns on the secret policy below (secretProblems). Any other value is development. */
  nodeEnv: Type.String({ env: 'NODE_ENV', default: 'development' }),
  jwtSecret: Type.String({ env: 'JWT_SECRET', default: DEV_JWT_SECRET, minLength: 16 }),
  jwtExpiresInS: Type.Integer({ env: 'JWT_EXPIRES_IN_S', default: 3600, minimum: 60 }),
  /** How long an instance trusts an account's role, activity and token version without reading them again; changes arrive sooner as database notices (plugins/auth.ts). */
  authStateTtlMs: Type.Integer({ env: 'AUTH_STATE_TTL_MS', default: 60_000, minimum: 0, maximum: 600_000 }),
  demoPassword: Type.String({ env: 'DEMO_PASSWORD', default: 'techmart-demo', minLength: 8 }),
  cacheEnabled: Type.Boolean({ env: 'CACHE_ENABLED', default: true }),
  cacheL1MaxEntries: Type.Integer({ env: 'CACHE_L1_MAX_ENTRIES', default: 50_000, minimum: 1 }),
  cacheL1MaxMb: Type.Integer({ env: 'CACHE_L1_MAX_MB', default: 256, minimum: 1 }),
  cacheL2TimeoutMs: Type.Integer({ env: 'CACHE_L2_TIMEOUT_MS', default: 150, minimum: 1, maximum: 10_000 }),
  cacheGraceS: Type.Integer({ env: 'CACHE_GRACE_S', default: 3600, minimum: 0 }),
  cacheNegativeTtlS: Type.Integer({ env: 'CACHE_NEGATIVE_TTL_S', default: 30, minimum: 1, maximum: 3600 }),
  catalogWordsRefreshS: Type.Integer({ env: 'CATALOG_WORDS_REFRESH_S', default: 3600, minimum: 0 }),
  /** `auto`: RUM indexes when migration built them, else GIN; `gin` forces the GIN path. */
  searchTextIndex: Type.Union([Type.Literal('auto'), Type.Literal('gin')], { env: 'SEARCH_TEXT_INDEX', default: 'auto' }),
  /** Relevance searches from the in-process match index once loaded (docs/SEARCH.md); false: the database's text index. */
  searchMatchIndex: Type.Boolean({ env: 'SEARCH_MATCH_INDEX', default: true }),
  /** Unpaid pending orders older than this are cancelled and their stock returned. */
  orderPendingTtlMinutes: Type.Integer({ env: 'ORDER_PENDING_TTL_MINUTES', default: 30, minimum: 1, maximum: 10_080 }),
  /** How often one instance looks for expired pending orders. */
  orderExpiryIntervalS: Type.Integer({ env: 'ORDER_EXPIRY_INTERVAL_S', default: 60, minimum: 1, maximum: 3600 }),
  rateLimitEnabled: Type.Boolean({ env: 'RATE_LIMIT_ENABLED', default: true }),
  rateLimitWhitelist: Type.String({ env: 'RATE_LIMIT_WHITELIST', default: '' }),
  trustProxy: Type.String({ env: 'TRUST_PROXY', default: '' }),
  corsOrigins: Type.String({ env: 'CORS_ORIGINS', default: '' }),
  // Middleware (access log, Server-Timing, compression, security headers), rate limits and load shedding.
  accessLogEnabled: Type.Boolean({ env: 'ACCESS_LOG_ENABLED', default: true }),
  /** Share of routine access-log lines kept (fast successes, 404, 429); errors, slow requests and other 4xx are always written. */
  accessLogSampleRate: Type.Number({ env: 'ACCESS_LOG_SAMPLE_RATE', default: 1, minimum: 0, maximum: 1 }),
  slowRequestMs: Type.Number({ env: 'SLOW_REQUEST_MS', default: 500, minimum: 0 }),
  serverTimingEnabled: Type.Boolean({ env: 'SERVER_TIMING_ENABLED', default: true }),
  securityHeadersEnabled: Type.Boolean({ env: 'SECURITY_HEADERS_ENABLED', default: true }),
  compressionEnabled: Type.Boolean({ env: 'COMPRESSION_ENABLED', default: true }),
  compressionThresholdBytes: Type.Integer({ env: 'COMPRESSION_THRESHOLD_BYTES', default: 1024, minimum: 0 }),
  compressionBrotliQuality: Type.Integer({ env: 'COMPRESSION_BROTLI_QUALITY', default: 4, minimum: 0, maximum: 11 }),
  compressionGzipLevel: Type.Integer({ env: 'COMPRESSION_GZIP_LEVEL', default: 6, minimum: 1, maximum: 9 }),
  rateLimitDefaultPoints: Type.Integer({ env: 'RATE_LIMIT_DEFAULT_POINTS', default: 100, minimum: 1 }),
  rateLimitDefaultDurationS: Type.Integer({ env: 'RATE_LIMIT_DEFAULT_DURATION_S', default: 60, minimum: 1 }),
  rateLimitNotFoundPoints: Type.Integer({ env: 'RATE_LIMIT_NOT_FOUND_POINTS', default: 30, minimum: 1 }),
  rateLimitRoutes: Type.String({ env: 'RATE_LIMIT_ROUTES', default: '' }),
  /** Largest batch of a client's points one instance leases from Redis (a tenth of the limit at most); 1 = count every request in Redis. */
  rateLimitLeaseBatch: Type.Integer({ env: 'RATE_LIMIT_LEASE_BATCH', default: 20, minimum: 1, maximum: 1000 }),
  // Login lockout and registration caps (src/modules/auth/auth.throttle.ts); on with rate limiting.
  /** Consecutive failed logins of one account before it is locked. */
  loginLockoutThreshold: Type.Integer({ env: 'LOGIN_LOCKOUT_THRESHOLD', default: 5, minimum: 1, maximum: 100 }),
  /** First lockout; each further failure doubles it, up to LOGIN_LOCKOUT_MAX_S. */
  loginLockoutBaseS: Type.Integer({ env: 'LOGIN_LOCKOUT_BASE_S', default: 30, minimum: 1, maximum: 3600 }),
  loginLockoutMaxS: Type.Integer({ env: 'LOGIN_LOCKOUT_MAX_S', default: 900, minimum: 1, maximum: 86_400 }),
  registerAddressDailyLimit: Type.Integer({ env: 'REGISTER_ADDRESS_DAILY_LIMIT', default: 20, minimum: 1 }),
  registerAccountHourlyLimit: Type.Integer({ env: 'REGISTER_ACCOUNT_HOURLY_LIMIT', default: 3, minimum: 1 }),
  rateLimitTightenFactor: Type.Number({ env: 'RATE_LIMIT_TIGHTEN_FACTOR', default: 0.5, exclusiveMinimum: 0, maximum: 1 }),
  criticalP95TargetMs: Type.Number({ env: 'CRITICAL_P95_TARGET_MS', default: 200, exclusiveMinimum: 0 }),
  loadSampleIntervalMs: Type.Integer({ env: 'LOAD_SAMPLE_INTERVAL_MS', default: 1000, minimum: 0, maximum: 60_000 }),
  loadEventLoopDelayMs: Type.String({ env: 'LOAD_EVENT_LOOP_DELAY_MS', default: '100,250,500', pattern: '^[0-9.]+,[0-9.]+,[0-9.]+$' }),
  loadEventLoopUtilization: Type.String({ env: 'LOAD_EVENT_LOOP_UTILIZATION', default: '0.9,0.97,0.99', pattern: '^[0-9.]+,[0-9.]+,[0-9.]+$' }),
  loadSheddingEnabled: Type.Boolean({ env: 'LOAD_SHEDDING_ENABLED', default: true }),
  shedEventLoopDelayMs: Type.Number({ env: 'SHED_EVENT_LOOP_DELAY_MS', default: 250, exclusiveMinimum: 0 }),
  shedEventLoopUtilization: Type.Number({ env: 'SHED_EVENT_LOOP_UTILIZATION', default: 0, minimum: 0, maximum: 1 }),
  shedHeapRatio: Type.Number({ env: 'SHED_HEAP_RATIO', default: 0.9, exclusiveMinimum: 0, maximum: 1 }),
  metricsToken: Type.String({ env: 'METRICS_TOKEN', default: '' }),
  alertWebhookUrls: Type.String({ env: 'ALERT_WEBHOOK_URLS', default: '' }),
  // Alerts (src/modules/monitoring/alerts/plugin.ts): rules file override, evaluation, notification delivery.
  alertRulesFile: Type.String({ env: 'ALERT_RULES_FILE', default: '' }),
  alertEvalIntervalMs: Type.Integer({ env: 'ALERT_EVAL_INTERVAL_MS', default: 5000, minimum: 100, maximum: 300_000 }),
  alertRepeatIntervalS: Type.Integer({ env: 'ALERT_REPEAT_INTERVAL_S', default: 3600, minimum: 60 }),
  alertGroupWaitMs: Type.Integer({ env: 'ALERT_GROUP_WAIT_MS', default: 1000, minimum: 0, maximum: 60_000 }),
  alertWebhookTimeoutMs: Type.Integer({ env: 'ALERT_WEBHOOK_TIMEOUT_MS', default: 5000, minimum: 100, maximum: 60_000 }),
  alertWebhookAttempts: Type.Integer({ env: 'ALERT_WEBHOOK_ATTEMPTS', default: 3, minimum: 1, maximum: 10 }),
  alertWebhookBackoffMs: Type.Integer({ env: 'ALERT_WEBHOOK_BACKOFF_MS', default: 1000, minimum: 1, maximum: 60_000 }),
  alertExternalUrl: Type.String({ env: 'ALERT_EXTERNAL_URL', default: 'http://127.0.0.1:3000', pattern: '^https?://' }),
  alertHistoryRetentionDays: Type.Integer({ env: 'ALERT_HISTORY_RETENTION_DAYS', default: 30, minimum: 1 }),
  // Profiling (src/modules/monitoring/profiling/plugin.ts): phase timings, automatic CPU profiles, storage.
  profilingEnabled: Type.Boolean({ env: 'PROFILING_ENABLED', default: true }),
  profileDir: Type.String({ env: 'PROFILE_DIR', default: '.profiles', minLength: 1 }),
  profileDurationMs: Type.Integer({ env: 'PROFILE_DURATION_MS', default: 5000, minimum: 500, maximum: 30_000 }),
  profileCooldownMs: Type.Integer({ env: 'PROFILE_COOLDOWN_MS', default: 600_000, minimum: 0 }),
  profileWarmupS: Type.Integer({ env: 'PROFILE_WARMUP_S', default: 60, minimum: 0, maximum: 3600 }),
  profileCheckIntervalMs: Type.Integer({ env: 'PROFILE_CHECK_INTERVAL_MS', default: 10_000, minimum: 100 }),
  profileMinRequests: Type.Integer({ env: 'PROFILE_MIN_REQUESTS', default: 20, minimum: 1 }),
  profileRouteBudgets: Type.String({ env: 'PROFILE_ROUTE_BUDGETS', default: 'GET /api/v1/products/search=50,GET /api/v1/products/:id=50,POST /api/v1/orders=200' }),
  profileDefaultBudgetMs: Type.Number({ env: 'PROFILE_DEFAULT_BUDGET_MS', default: 200, exclusiveMinimum: 0 }),
  profileMaxBytes: Type.Integer({ env: 'PROFILE_MAX_BYTES', default: 200 * 1024 * 1024, minimum: 1024 }),
  profileMaxFiles: Type.Integer({ env: 'PROFILE_MAX_FILES', default: 50, minimum: 1 }),
  profileRetentionDays: Type.Integer({ env: 'PROFILE_RETENTION_DAYS', default: 7, minimum: 1 }),
  // Slow-query capture (src/modules/monitoring/slow-queries/plugin.ts).
  slowQueryMs: Type.Number({ env: 'SLOW_QUERY_MS', default: 100, minimum: 0 }),
  slowQueryExplainTimeoutMs: Type.Integer({ env: 'SLOW_QUERY_EXPLAIN_TIMEOUT_MS', default: 2000, minimum: 100, maximum: 60_000 }),
  slowQueryCooldownMs: Type.Integer({ env: 'SLOW_QUERY_COOLDOWN_MS', default: 60_000, minimum: 0 }),
  slowQueryMaxRows: Type.Integer({ env: 'SLOW_QUERY_MAX_ROWS', default: 1000, minimum: 10 }),
  // Relative capture: a named query whose p95 over the window reaches FACTOR × its own baseline (its p95 over
  // SLOW_QUERY_BASELINE_S of not-degraded time), and FLOOR_MS, over MIN_SAMPLES executions (docs/MONITORING.md).
  /** 0 turns relative capture off; otherwise above 1. */
  slowQueryRelativeFactor: Type.Number({ env: 'SLOW_QUERY_RELATIVE_FACTOR', default: 3, minimum: 0 }),
  slowQueryRelativeFloorMs: Type.Number({ env: 'SLOW_QUERY_RELATIVE_FLOOR_MS', default: 5, minimum: 0 }),
  slowQueryRelativeWindowS: Type.Number({ env: 'SLOW_QUERY_RELATIVE_WINDOW_S', default: 10, exclusiveMinimum: 0, maximum: 300 }),
  slowQueryRelativeMinSamples: Type.Integer({ env: 'SLOW_QUERY_RELATIVE_MIN_SAMPLES', default: 20, minimum: 1 }),
  /** How often the windows are closed and compared with the baselines. */
  slowQueryRelativeIntervalMs: Type.Integer({ env: 'SLOW_QUERY_RELATIVE_INTERVAL_MS', default: 1000, minimum: 10, maximum: 60_000 }),
  slowQueryBaselineS: Type.Number({ env: 'SLOW_QUERY_BASELINE_S', default: 900, exclusiveMinimum: 0, maximum: 86_400 }),
  /** A baseline is trusted once it covers this much not-degraded time. */
  slowQueryBaselineMinS: Type.Number({ env: 'SLOW_QUERY_BASELINE_MIN_S', default: 30, minimum: 0, maximum: 86_400 }),
  // Metrics, business metrics and search analytics (src/plugins/metrics.ts, src/modules/monitoring).
  metricsInstanceId: Type.String({ env: 'METRICS_INSTANCE_ID', default: '', pattern: '^[A-Za-z0-9_.:-]{0,100}$' }),
  businessMetricsIntervalS: Type.Integer({ env: 'BUSINESS_METRICS_INTERVAL_S', default: 30, minimum: 1, maximum: 300 }),
  businessTimezone: Type.String({ env: 'BUSINESS_TIMEZONE', default: 'UTC', minLength: 1, maxLength: 64 }),
  lowStockThreshold: Type.Integer({ env: 'LOW_STOCK_THRESHOLD', default: 10, minimum: 0, maximum: 1_000_000 }),
  metricsRetentionDays: Type.Integer({ env: 'METRICS_RETENTION_DAYS', default: 7, minimum: 1, maximum: 90 }),
  slowSearchMs: Type.Number({ env: 'SLOW_SEARCH_MS', default: 100, minimum: 0 }),
  // Tracing (src/plugins/tracing.ts): off unless an OTLP endpoint is set. The OpenTelemetry SDK reads the
  // other OTEL_* variables itself (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES).
  /** OTLP/HTTP base URL of the collector; traces go to `<url>/v1/traces`. */
  otelExporterOtlpEndpoint: Type.String({ env: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: '', pattern: '^(https?://.+)?$' }),
  /** Full OTLP/HTTP traces URL, used as it is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  otelExporterOtlpTracesEndpoint: Type.String({ env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: '', pattern: '^(https?://.+)?$' }),
  otelServiceName: Type.String({ env: 'OTEL_SERVICE_NAME', default: 'techmart', minLength: 1, maxLength: 255 }),
  /** `true` keeps tracing off even with an endpoint set (the OpenTelemetry switch). */
  otelSdkDisabled: Type.Boolean({ env: 'OTEL_SDK_DISABLED', default: false }),
  webConcurrency: Type.Integer({ env: 'WEB_CONCURRENCY', default: 1, minimum: 1, maximum: 64 }),
  shutdownGraceMs: Type.Integer({ env: 'SHUTDOWN_GRACE_MS', default: 10000, minimum: 0 }),
  // Embedded mode (src/embedded): `npm start` without PostgreSQL/Redis. See README "Runs anywhere".
  /** DATABASE_URL is the embedded PGlite server `npm start` runs (one session: one pool connection). */
  databaseEmbedded: Type.Boolean({ env: 'DATABASE_EMBEDDED', default: false }),
  /** No Redis: L1-only cache, in-memory rate limits, single-process alerts and profiling. */
  redisEmbedded: Type.Boolean({ env: 'REDIS_EMBEDDED', default: false }),
  embeddedDataDir: Type.String({ env: 'EMBEDDED_DATA_DIR', default: '.data/pglite', minLength: 1 }),
  embeddedPgPort: Type.Integer({ env: 'EMBEDDED_PG_PORT', default: 55432, minimum: 0, maximum: 65535 }),
  /** Where `npm start` looks for PostgreSQL / Redis when DATABASE_URL / REDIS_URL are not set. */
  defaultPgAddr: Type.String({ env: 'TECHMART_DEFAULT_PG_ADDR', default: '127.0.0.1:5432', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):[0-9]{1,5}$' }),
  defaultRedisAddr: Type.String({ env: 'TECHMART_DEFAULT_REDIS_ADDR', default: '127.0.0.1:6379', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):[0-9]{1,5}$' })
}, { additionalProperties: false })

export type Config = Static<typeof ConfigSchema>

/** Shortest JWT_SECRET accepted in production: 256 bits, HS256's key size (RFC 7518 §3.2). */
export const MIN_JWT_SECRET_BYTES = 32
/** Shortest METRICS_TOKEN accepted in production (a random 24-character token is ~140 bits). */
export const MIN_METRICS_TOKEN_LENGTH = 24

/**
 * Values published in this repository (defaults, the docker-compose file, docs and tests).
 * Anyone can read them, so production refuses them as secrets; a test keeps the list in step
 * with the files. Placeholders (`change-me`, `changeme`) are refused whatever surrounds them.
 */
export const PUBLISHED_SECRETS: readonly string[] = [
  DEV_JWT_SECRET,
  'change-me-in-production-please',
  'techmart-demo',
  'loadtest-smoke-metrics-token',
  'scrape-token-for-tests-0123456789'
]
const PLACEHOLDER = /change[-_ ]?me/i

function published (value: string): boolean {
  return PUBLISHED_SECRETS.includes(value) || PLACEHOLDER.test(value)
}

const SECRET_HINT = 'generate one with `openssl rand -base64 48`'

/**
 * The production secret policy: with NODE_ENV=production, JWT_SECRET must be set, at least
 * 32 bytes and unpublished; METRICS_TOKEN, when set, at least 24 characters and unpublished.
 * Development (any other NODE_ENV) keeps the built-in defaults so a clone runs with no settings.
 */
export function secretProblems (config: Config, env: Record<string, string | undefined>): string[] {
  if (config.nodeEnv !== 'production') return []
  const problems: string[] = []
  const jwt = config.jwtSecret
  if (env.JWT_SECRET === undefined && jwt === DEV_JWT_SECRET) problems.push(`JWT_SECRET: required when NODE_ENV=production; ${SECRET_HINT}`)
  else if (published(jwt)) problems.push(`JWT_SECRET: is a value published in the repository; ${SECRET_HINT}`)
  else if (Buffer.byteLength(jwt) < MIN_JWT_SECRET_BYTES) problems.push(`JWT_SECRET: must be at least ${MIN_JWT_SECRET_BYTES} bytes when NODE_ENV=production; ${SECRET_HINT}`)
  const metrics = config.metricsToken
  if (metrics !== '') {
    if (published(metrics)) problems.push(`METRICS_TOKEN: is a value published in the repository; ${SECRET_HINT}`)
    else if (metrics.length < MIN_METRICS_TOKEN_LENGTH) problems.push(`METRICS_TOKEN: must be at least ${MIN_METRICS_TOKEN_LENGTH} characters when NODE_ENV=production; ${SECRET_HINT}`)
  }
  return problems
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function envName (schema: TSchema): string {
  return (schema as { env?: string }).env ?? ''
}

function coerce (raw: string, schema: TSchema): unknown {
  const type = (schema as { type?: string }).type
  if (type === 'integer' || type === 'number') return raw.trim() === '' ? raw : Number(raw)
  if (type === 'boolean') {
    const v = raw.trim().toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(v)) return true
    if (['false', '0', 'no', 'off'].includes(v)) return false
    return raw
  }
  return raw
}

function describeProblem (schema: TSchema, value: unknown): string {
  const options = (schema as { anyOf?: { const?: unknown }[] }).anyOf
  if (options) return `must be one of ${options.map((o) => String(o.const)).join(', ')}`
  const [first] = Value.Errors(schema, value)
  return first?.message ?? 'invalid value'
}

/**
 * Reads, coerces and validates the configuration. Throws a `ConfigError`
 * that names every bad variable; `overrides` (camelCase) win over `env`.
 */
export function loadConfig (env: Env = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const out: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [key, schema] of Object.entries(ConfigSchema.properties) as [string, TSchema][]) {
    const name = envName(schema)
    const raw = env[name]
    const value = key in overrides
      ? (overrides as Record<string, unknown>)[key]
      : raw === undefined ? (schema as { default?: unknown }).default : coerce(raw, schema)
    if (!Value.Check(schema, value)) {
      problems.push(`${name}=${JSON.stringify(raw ?? value)}: ${describeProblem(schema, value)}`)
      continue
    }
    out[key] = value
  }
  if (problems.length === 0) problems.push(...secretProblems(out as Config, env))
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(out as Config)
}

/** The comma-separated config values as trimmed, non-empty strings. */
export function splitList (value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}
