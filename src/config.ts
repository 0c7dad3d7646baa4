import { Type, type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'

/**
 * Every setting of the service, keyed by its camelCase name; `env` names the
 * environment variable it is read from. One schema gives the runtime check,
 * the defaults and the TypeScript type (STYLE.md rule 7). This is the only
 * file that reads `process.env`.
 */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ env: 'PORT', default: 3000, minimum: 0, maximum: 65535 }),
  host: Type.String({ env: 'HOST', default: '0.0.0.0', minLength: 1 }),
  logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { env: 'LOG_LEVEL', default: 'info' }),
  databaseUrl: Type.String({ env: 'DATABASE_URL', default: 'postgres://postgres@127.0.0.1:5432/techmart', pattern: '^postgres(ql)?://' }),
  databaseReadUrl: Type.String({ env: 'DATABASE_READ_URL', default: '', pattern: '^(postgres(ql)?://.*)?$' }),
  databasePoolMax: Type.Integer({ env: 'DATABASE_POOL_MAX', default: 20, minimum: 1, maximum: 500 }),
  databaseStatementTimeoutMs: Type.Integer({ env: 'DATABASE_STATEMENT_TIMEOUT_MS', default: 5000, minimum: 100 }),
  databaseConnectTimeoutS: Type.Integer({ env: 'DATABASE_CONNECT_TIMEOUT_S', default: 5, minimum: 1 }),
  redisUrl: Type.String({ env: 'REDIS_URL', default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  redisKeyPrefix: Type.String({ env: 'REDIS_KEY_PREFIX', default: 'techmart', pattern: '^[A-Za-z0-9_.-]+$' }),
  redisCommandTimeoutMs: Type.Integer({ env: 'REDIS_COMMAND_TIMEOUT_MS', default: 500, minimum: 10 }),
  jwtSecret: Type.String({ env: 'JWT_SECRET', default: 'techmart-dev-secret-change-me-in-production', minLength: 16 }),
  jwtExpiresInS: Type.Integer({ env: 'JWT_EXPIRES_IN_S', default: 3600, minimum: 60 }),
  demoPassword: Type.String({ env: 'DEMO_PASSWORD', default: 'techmart-demo', minLength: 8 }),
  cacheEnabled: Type.Boolean({ env: 'CACHE_ENABLED', default: true }),
  rateLimitEnabled: Type.Boolean({ env: 'RATE_LIMIT_ENABLED', default: true }),
  rateLimitWhitelist: Type.String({ env: 'RATE_LIMIT_WHITELIST', default: '' }),
  trustProxy: Type.String({ env: 'TRUST_PROXY', default: '' }),
  corsOrigins: Type.String({ env: 'CORS_ORIGINS', default: '' }),
  metricsToken: Type.String({ env: 'METRICS_TOKEN', default: '' }),
  alertWebhookUrls: Type.String({ env: 'ALERT_WEBHOOK_URLS', default: '' }),
  webConcurrency: Type.Integer({ env: 'WEB_CONCURRENCY', default: 1, minimum: 1, maximum: 64 }),
  shutdownGraceMs: Type.Integer({ env: 'SHUTDOWN_GRACE_MS', default: 10000, minimum: 0 })
}, { additionalProperties: false })

export type Config = Static<typeof ConfigSchema>

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
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(out as Config)
}

/** The comma-separated config values as trimmed, non-empty strings. */
export function splitList (value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}
