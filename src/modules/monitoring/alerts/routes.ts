import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  AlertIdParamsSchema, AlertsOverviewQuerySchema, AlertsOverviewSchema, alertErrorResponses, NotificationsQuerySchema,
  NotificationsResponseSchema, SilenceBodySchema, SilenceIdParamsSchema, SilenceSchema
} from './schemas.js'
import type { AlertsService } from './service.js'
import { incidentsRoutes } from './incidents/routes.js'

export interface AlertsRoutesOptions { alerts: AlertsService }

const security = [{ bearerAuth: [] }]
const config = { criticality: 'reports' as const }
const tags = ['monitoring']

/** Alert state, history, notification log and silences; admin only. */
export const alertsRoutes: FastifyPluginAsyncTypebox<AlertsRoutesOptions> = async (app, { alerts }) => {
  const onRequest = app.requireRole('admin')

  app.get('/alerts', {
    onRequest,
    config,
    schema: {
      operationId: 'getAlerts',
      tags,
      description: 'What the dashboard\'s alert panel shows: the alerts firing now, each rule with its current state, the last `history_limit` ' +
        'state changes, the silences in force and the rule definitions.',
      security,
      summary: 'Active alerts, every rule\'s alert, recent state changes, silences in force and the rules',
      querystring: AlertsOverviewQuerySchema,
      response: { 200: AlertsOverviewSchema, ...alertErrorResponses(400, 401, 403) }
    }
  }, async (request) => alerts.overview(request.query.history_limit))

  app.get('/alerts/notifications', {
    onRequest,
    config,
    schema: {
      operationId: 'listAlertNotifications',
      tags,
      description: 'The newest notification attempts first: the log line or webhook, the alert and state it announced, and whether delivery succeeded.',
      security,
      summary: 'Recent notification attempts (log and webhooks) with their outcome',
      querystring: NotificationsQuerySchema,
      response: { 200: NotificationsResponseSchema, ...alertErrorResponses(400, 401, 403) }
    }
  }, async (request) => ({ notifications: await alerts.notifications(request.query.limit) }))

  app.post('/alerts/:id/silence', {
    onRequest,
    config,
    schema: {
      operationId: 'silenceAlert',
      tags,
      description: 'The rule keeps being evaluated and its state shown; only its notifications wait until the silence ends. 404 for an unknown rule id.',
      security,
      summary: 'Silence an alert rule: its notifications are held back until the silence ends',
      params: AlertIdParamsSchema,
      body: SilenceBodySchema,
      response: { 201: SilenceSchema, ...alertErrorResponses(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    reply.code(201)
    return alerts.silence(request.params.id, request.body, request.user.id)
  })

  app.delete('/silences/:id', {
    onRequest,
    config,
    schema: {
      operationId: 'expireSilence',
      tags,
      description: 'Ends the silence now and answers it with its end time; a silence already over is 409.',
      security,
      summary: 'End a silence early',
      params: SilenceIdParamsSchema,
      response: { 200: SilenceSchema, ...alertErrorResponses(400, 401, 403, 404, 409) }
    }
  }, async (request) => alerts.expireSilence(request.params.id, request.user.id))

  await app.register(incidentsRoutes, { alerts })
}
