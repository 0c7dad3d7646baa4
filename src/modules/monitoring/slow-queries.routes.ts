import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { alertErrorResponses } from './alerts.schemas.js'
import { SlowQueriesQuerySchema, SlowQueriesResponseSchema } from './slow-queries.schemas.js'
import type { SlowQueriesService } from './slow-queries.service.js'

export interface SlowQueriesRoutesOptions { slowQueries: SlowQueriesService }

/** Recent slow queries with their plans; admin only. */
export const slowQueriesRoutes: FastifyPluginAsyncTypebox<SlowQueriesRoutesOptions> = async (app, { slowQueries }) => {
  app.get('/slow-queries', {
    onRequest: app.requireRole('admin'),
    config: { criticality: 'reports' },
    schema: {
      tags: ['monitoring'],
      security: [{ bearerAuth: [] }],
      summary: 'Captured slow queries (over SLOW_QUERY_MS or slow against their own baseline), newest first, with plan and summary',
      querystring: SlowQueriesQuerySchema,
      response: { 200: SlowQueriesResponseSchema, ...alertErrorResponses(400, 401, 403) }
    }
  }, async (request) => slowQueries.list(request.query.limit, { name: request.query.name, reason: request.query.reason }))
}
