import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AlertIdParamsSchema, alertErrorResponses } from '../schemas.js'
import type { AlertsService } from '../service.js'
import { IncidentSchema } from './schemas.js'

export interface IncidentsRoutesOptions { alerts: Pick<AlertsService, 'incident'> }

/** The incident view of an alert episode; admin only. Registered by the alert routes, under the same prefix. */
export const incidentsRoutes: FastifyPluginAsyncTypebox<IncidentsRoutesOptions> = async (app, { alerts }) => {
  app.get('/alerts/:id/incident', {
    onRequest: app.requireRole('admin'),
    config: { criticality: 'reports' as const },
    schema: {
      operationId: 'getAlertIncident',
      tags: ['monitoring'],
      summary: 'What explains an alert: the routes that got slower, their named queries and slow-query captures, the profile taken during it',
      description: 'For the latest episode of the alert (pending, firing, or resolved): each route\'s p95 over the episode against its own ' +
        'p95 in the 10 minutes before, the slower routes\' heaviest named queries with their share of the route\'s DB time, the slow-query ' +
        'captures of the window as one-line summaries, the profile of the episode with its time split, and the summary lines its ' +
        'notifications carry. 404 `ALERTS_RULE_NOT_FOUND` for an unknown rule, `ALERTS_NO_INCIDENT` for an alert that has not been pending or firing.',
      security: [{ bearerAuth: [] }],
      params: AlertIdParamsSchema,
      response: { 200: IncidentSchema, ...alertErrorResponses(400, 401, 403, 404) }
    }
  }, async (request) => alerts.incident(request.params.id))
}
