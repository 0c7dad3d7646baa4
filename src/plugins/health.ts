import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { Type, type Static } from 'typebox'

const DEPENDENCY_TIMEOUT_MS = 1000
/** `/health/ready` answers from a check at most this old: a flood of probes costs one check a second. */
export const READY_MAX_AGE_MS = 1000

const DependencySchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  /** `embedded`: PGlite started by `npm start`, or no Redis at all (its in-process stand-ins are always up). */
  mode: Type.Union([Type.Literal('external'), Type.Literal('embedded')]),
  latency_ms: Type.Number()
})

const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unavailable')]),
  uptime_s: Type.Number(),
  /** When the checks below ran. */
  checked_at: Type.String({ format: 'date-time' }),
  /** How old the checks are, ms: at most READY_MAX_AGE_MS plus the time a check takes. */
  age_ms: Type.Integer({ minimum: 0 }),
  checks: Type.Object({ database: DependencySchema, redis: DependencySchema })
})

type Dependency = Static<typeof DependencySchema>

interface ReadyCheck {
  status: 'ready' | 'degraded' | 'unavailable'
  database: Dependency
  redis: Dependency
  /** performance.now() and wall-clock time when the check started. */
  at: number
  checkedAt: string
}

async function timed (embedded: boolean, check: () => Promise<boolean>) {
  const started = performance.now()
  const ok = await check().catch(() => false)
  const mode = embedded ? 'embedded' as const : 'external' as const
  return { status: ok ? 'up' as const : 'down' as const, mode, latency_ms: Math.round((performance.now() - started) * 10) / 10 }
}

/**
 * Runs the readiness checks at most once per READY_MAX_AGE_MS: a probe finds the last result
 * when it is recent enough, else starts a check, and probes arriving meanwhile wait for that
 * same check (one database and one Redis round trip however many probes come).
 */
function createReadyCheck (run: () => Promise<Omit<ReadyCheck, 'at' | 'checkedAt'>>): () => Promise<ReadyCheck> {
  let last: ReadyCheck | undefined
  let pending: Promise<ReadyCheck> | undefined
  return () => {
    if (last !== undefined && performance.now() - last.at < READY_MAX_AGE_MS) return Promise.resolve(last)
    pending ??= (async () => {
      const at = performance.now()
      const checkedAt = new Date().toISOString()
      try {
        last = { ...await run(), at, checkedAt }
        return last
      } finally {
        pending = undefined
      }
    })()
    return pending
  }
}

/**
 * `/health/live`: the process answers. `/health/ready`: 200 while PostgreSQL
 * answers (Redis down is "degraded", still 200: the API keeps serving), 503
 * when PostgreSQL does not; each check says whether its backend is external
 * or embedded, and the answer says when the checks ran (shared by every
 * probe for up to a second). Both skip auth, rate limits and shedding.
 */
const healthPlugin: FastifyPluginAsync = async (app) => {
  const routeConfig = { rateLimit: false, shed: false, criticality: 'health' } as const
  app.get('/health/live', {
    config: routeConfig,
    schema: { tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  const readyCheck = createReadyCheck(async () => {
    const [database, redis] = await Promise.all([
      timed(app.db.embedded, () => app.db.ping(DEPENDENCY_TIMEOUT_MS)),
      timed(app.redis.embedded, async () => app.redis.embedded || (app.redis.isReady() && (await app.redis.client.ping()) === 'PONG'))
    ])
    const status = database.status === 'down' ? 'unavailable' as const : redis.status === 'down' ? 'degraded' as const : 'ready' as const
    return { status, database, redis }
  })

  app.get('/health/ready', {
    config: routeConfig,
    schema: { tags: ['health'], response: { 200: ReadySchema, 503: ReadySchema } }
  }, async (_req, reply) => {
    const check = await readyCheck()
    reply.code(check.status === 'unavailable' ? 503 : 200)
    return {
      status: check.status,
      uptime_s: Math.round(process.uptime()),
      checked_at: check.checkedAt,
      age_ms: Math.max(0, Math.round(performance.now() - check.at)),
      checks: { database: check.database, redis: check.redis }
    }
  })
}

export default fp(healthPlugin, { name: 'health', dependencies: ['db', 'redis'] })
