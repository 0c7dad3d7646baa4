import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from '../../src/config.js'
import type { MetricName, MetricsReader } from '../../src/lib/metrics/reader.js'
import requestTimingsPlugin from '../../src/plugins/request-timings.js'
import dbPlugin from '../../src/plugins/db.js'
import redisPlugin from '../../src/plugins/redis.js'
import errorHandlerPlugin from '../../src/plugins/error-handler.js'
import authPlugin from '../../src/plugins/auth.js'
import { ensureTestDb, testConfig } from './helper.js'

/** A MetricsReader whose values the test sets, per metric and optionally per route. */
export interface FakeReader extends MetricsReader {
  set: (metric: MetricName, value: number | undefined) => void
  setRoute: (routeKey: string, p95: number | undefined, count: number) => void
}

export function fakeReader (initial: Partial<Record<MetricName, number>> = {}): FakeReader {
  const values = new Map<string, number | undefined>(Object.entries(initial))
  const routes = new Map<string, { p95: number | undefined, count: number }>()
  return {
    value: (metric) => values.get(metric),
    routeP95: (key) => routes.get(key)?.p95,
    routeCount: (key) => routes.get(key)?.count ?? 0,
    set: (metric, value) => { values.set(metric, value) },
    setRoute: (key, p95, count) => { routes.set(key, { p95, count }) }
  }
}

/** A clock the test moves by hand. */
export function fakeClock (start = Date.now()) {
  let now = start
  return { now: () => now, advance: (ms: number) => { now += ms } }
}

/**
 * A small app with the infrastructure a monitoring plugin needs (timings,
 * db, redis, errors, auth) on the test database, then `register(app, config)`
 * for the plugin under test with fakes, then ready. Closed after the test.
 */
export async function buildMonitoringTestApp (
  t: Pick<TestContext, 'after'>,
  register: (app: FastifyInstance, config: Readonly<Config>) => Promise<void>,
  overrides: Partial<Config> = {}
): Promise<FastifyInstance> {
  await ensureTestDb()
  const config = testConfig(overrides)
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } }
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance
  t.after(() => app.close())
  app.decorate('config', config)
  await app.register(requestTimingsPlugin)
  await app.register(dbPlugin, { url: config.databaseUrl, max: 5, statementTimeoutMs: 5000, connectTimeoutS: 2 })
  await app.register(redisPlugin, { url: config.redisUrl, keyPrefix: config.redisKeyPrefix, commandTimeoutMs: 500 })
  await app.register(errorHandlerPlugin)
  await app.register(authPlugin, { secret: config.jwtSecret, expiresInS: 3600 })
  await register(app, config)
  await app.ready()
  return app
}

/** Registers route plugins under `/api/v1/monitoring`, as src/modules/index.ts does. */
export async function underMonitoring (app: FastifyInstance, register: (api: FastifyInstance) => PromiseLike<unknown>): Promise<void> {
  await app.register(async (api) => { await register(api) }, { prefix: '/api/v1/monitoring' })
}
