import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { timingSafeEqual } from 'node:crypto'
import { Type } from 'typebox'

const ErrorBodySchema = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

export interface MetricsEndpointOptions {
  /** When set, `Authorization: Bearer <token>` may read /metrics (a Prometheus scraper); admins always may. */
  metricsToken: string
}

/**
 * /metrics is how on-call sees an overload, so it is never shed and its limit
 * does not shrink with the load level (the API's limits fall to × 0.1 at
 * critical, which starved scrapes exactly when they mattered). It has its own
 * modest per-client budget instead: 10 a second is far above any scrape
 * interval (even one scrape per cluster worker at once) and keeps a client
 * from making the process serialize its registry in a loop.
 */
export const SCRAPE_LIMIT = { points: 10, duration: 1, adaptive: false } as const

function tokenMatches (header: string | undefined, token: string): boolean {
  if (!token || !header) return false
  const sent = Buffer.from(header)
  const expected = Buffer.from(`Bearer ${token}`)
  return sent.length === expected.length && timingSafeEqual(sent, expected)
}

/**
 * GET /metrics: the Prometheus text exposition of `app.metrics.prom`.
 * A separate plugin from metrics.ts because the hooks must come before every
 * route while this route must come after auth, the error handler and OpenAPI.
 */
const metricsEndpointPlugin: FastifyPluginAsync<MetricsEndpointOptions> = async (app, opts) => {
  const admin = app.requireRole('admin')
  const authorize = async function (request: FastifyRequest, reply: FastifyReply) {
    if (tokenMatches(request.headers.authorization, opts.metricsToken)) return
    await admin.call(app, request, reply)
  }
  app.get('/metrics', {
    config: { rateLimit: SCRAPE_LIMIT, shed: false, criticality: 'reports' },
    preHandler: authorize,
    schema: {
      tags: ['monitoring'],
      summary: 'Prometheus metrics (text exposition format); METRICS_TOKEN bearer or an admin token',
      security: [{ bearerAuth: [] }],
      response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }), 401: ErrorBodySchema, 403: ErrorBodySchema }
    }
  }, async (_request, reply) => {
    reply.type(app.metrics.prom.registry.contentType)
    return await app.metrics.prom.registry.metrics()
  })
}

export default fp(metricsEndpointPlugin, { name: 'metrics-endpoint', fastify: '5.x', dependencies: ['metrics', 'auth'] })
