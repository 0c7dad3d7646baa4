import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../../lib/http/index.js'
import { SlowQueriesQuerySchema, SlowQueriesResponseSchema } from './schemas.js'
import type { SlowQueriesService } from './service.js'

export interface SlowQueriesRoutesOptions { slowQueries: SlowQueriesService }

/** Recent slow queries with their plans; admin only. */
export const slowQueriesRoutes: FastifyPluginAsyncTypebox<SlowQueriesRoutesOptions> = async (app, { slowQueries }) => {
  app.get('/slow-queries', {
    onRequest: app.requireRole('admin'),
    config: { criticality: 'reports' },
    schema: {
      operationId: 'listSlowQueries',
      tags: ['monitoring'],
      security: [{ bearerAuth: [] }],
      summary: 'Captured slow queries (over SLOW_QUERY_MS or slow against their own baseline), newest first, with plan and summary',
      description: 'Each capture names the query, why it was captured (`absolute`: one execution over SLOW_QUERY_MS; `relative`: its recent p95 ' +
        'several times its own baseline), its parameterized SQL (values are never stored) and its EXPLAIN plan; plus this instance\'s ' +
        'baselines per named query and the capture settings.',
      querystring: SlowQueriesQuerySchema,
      response: { 200: SlowQueriesResponseSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => slowQueries.list(request.query.limit, { name: request.query.name, reason: request.query.reason }))
}
