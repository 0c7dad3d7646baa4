import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { BusinessSchema, type BusinessService } from '../business/index.js'
import { SearchAnalyticsSchema, type SearchAnalyticsService } from '../search-analytics/index.js'
import { errorResponses, PerformanceQuerySchema, PerformanceSchema, StreamTokenSchema } from './schemas.js'
import type { PerformanceService } from './performance.service.js'

/** What the stream routes need from the module (see module.ts). */
export interface StreamAccess {
  /** Sets the stream cookie for this admin; returns its lifetime in seconds. */
  issue: (request: FastifyRequest, reply: FastifyReply) => number
  /** preHandler: an admin bearer token, or a valid stream cookie. */
  authorize: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** Takes over the reply and streams events until the client leaves. */
  connect: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
}

export interface MetricsRoutesOptions {
  business: BusinessService
  performance: PerformanceService
  search: SearchAnalyticsService
  stream: StreamAccess
}

const security = [{ bearerAuth: [] }]
const tags = ['monitoring']
const config = { criticality: 'reports' as const }

/** Business and performance metrics, search analytics and the live stream; admin only. */
export const metricsRoutes: FastifyPluginAsyncTypebox<MetricsRoutesOptions> = async (app, { business, performance, search, stream }) => {
  const onRequest = app.requireRole('admin')

  app.get('/business', {
    onRequest,
    config,
    schema: {
      operationId: 'getBusinessMetrics',
      tags,
      description: 'The latest result of the background job shared by every instance, with `computed_at`; computed on the spot when none exists yet. ' +
        'Revenue and conversion count days in BUSINESS_TIMEZONE.',
      security,
      summary: 'Business metrics (users, products, orders, revenue, conversion, top products), computed in the background',
      response: { 200: BusinessSchema, ...errorResponses(401, 403, 503) }
    }
  }, async () => business.latest())

  app.get('/performance', {
    onRequest,
    config,
    schema: {
      operationId: 'getPerformanceMetrics',
      tags,
      description: 'Request rates, latency percentiles, errors, cache, database pool, event loop and memory, summed over the live instances and for each, ' +
        'per route, and chart series for `range` (15m: per-second points kept in Redis; 1h, 24h, 7d: minute rollups from PostgreSQL). ' +
        'Without Redis the figures are this instance\'s only (`shared: false`).',
      security,
      summary: 'Every performance figure of every instance (total and each) plus chart series for the range',
      querystring: PerformanceQuerySchema,
      response: { 200: PerformanceSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request) => performance.performance(request.query.range))

  app.get('/search-analytics', {
    onRequest,
    config,
    schema: {
      operationId: 'getSearchAnalytics',
      tags,
      description: 'Counted from the searches every instance recorded over the last 24 hours: the most frequent queries, the queries that found nothing ' +
        'and the slowest searches, with totals.',
      security,
      summary: 'Top queries, zero-result queries and slow searches of the last 24 hours',
      response: { 200: SearchAnalyticsSchema, ...errorResponses(401, 403) }
    }
  }, async () => search.summary())

  app.post('/stream-token', {
    onRequest,
    config,
    schema: {
      operationId: 'createStreamToken',
      tags,
      description: 'Answers the cookie\'s lifetime in seconds. The cookie opens one stream only, so a copied cookie or a reconnect needs a new token.',
      security,
      summary: 'Sets a 60-second HttpOnly cookie that lets this browser open one GET /monitoring/stream (EventSource cannot send headers)',
      response: { 200: StreamTokenSchema, ...errorResponses(401, 403) }
    }
  }, async (request, reply) => ({ expires_in: stream.issue(request, reply) }))

  // A GET without body or query string: nothing is validated before this check, so it stays a preHandler,
  // after rate limiting, which must not burn the one-use stream cookie of a request it refuses.
  app.get('/stream', {
    preHandler: stream.authorize,
    // Long-lived: kept out of latency metrics, never compressed (the reply is hijacked).
    config: { ...config, metrics: false, rateLimit: { points: 30, duration: 60 } },
    schema: {
      operationId: 'openMonitoringStream',
      tags,
      security,
      summary: 'Server-Sent Events: `metrics` every second, `alert`, `profile` and `business` when they happen',
      description: 'Opened with an admin bearer token or a stream cookie from POST /monitoring/stream-token; a cookie opens one stream only. ' +
        'Each user holds at most 3 streams per instance (429 MONITORING_STREAM_USER_LIMIT), each instance 100 (503 MONITORING_STREAM_LIMIT).',
      response: {
        200: Type.String({ description: 'text/event-stream' }),
        ...errorResponses(401, 403, 429, 503)
      }
    }
  }, async (request, reply) => stream.connect(request, reply))
}
