import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'

const DEPENDENCY_TIMEOUT_MS = 1000

const DependencySchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  /** `embedded`: PGlite started by `npm start`, or no Redis at all (its in-process stand-ins are always up). */
  mode: Type.Union([Type.Literal('external'), Type.Literal('embedded')]),
  latency_ms: Type.Number()
})

const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unavailable')]),
  uptime_s: Type.Number(),
  checks: Type.Object({ database: DependencySchema, redis: DependencySchema })
})

async function timed (embedded: boolean, check: () => Promise<boolean>) {
  const started = performance.now()
  const ok = await check().catch(() => false)
  const mode = embedded ? 'embedded' as const : 'external' as const
  return { status: ok ? 'up' as const : 'down' as const, mode, latency_ms: Math.round((performance.now() - started) * 10) / 10 }
}

/**
 * `/health/live`: the process answers. `/health/ready`: 200 while PostgreSQL
 * answers (Redis down is "degraded", still 200: the API keeps serving), 503
 * when PostgreSQL does not; each check says whether its backend is external
 * or embedded. Both skip auth, rate limits and shedding.
 */
const healthPlugin: FastifyPluginAsync = async (app) => {
  const routeConfig = { rateLimit: false, shed: false, criticality: 'health' } as const
  app.get('/health/live', {
    config: routeConfig,
    schema: { tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/health/ready', {
    config: routeConfig,
    schema: { tags: ['health'], response: { 200: ReadySchema, 503: ReadySchema } }
  }, async (_req, reply) => {
    const [database, redis] = await Promise.all([
      timed(app.db.embedded, () => app.db.ping(DEPENDENCY_TIMEOUT_MS)),
      timed(app.redis.embedded, async () => app.redis.embedded || (app.redis.isReady() && (await app.redis.client.ping()) === 'PONG'))
    ])
    const status = database.status === 'down' ? 'unavailable' : redis.status === 'down' ? 'degraded' : 'ready'
    reply.code(status === 'unavailable' ? 503 : 200)
    return { status, uptime_s: Math.round(process.uptime()), checks: { database, redis } }
  })
}

export default fp(healthPlugin, { name: 'health', dependencies: ['db', 'redis'] })
