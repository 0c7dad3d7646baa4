import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../../../lib/http/index.js'
import { CaptureBodySchema, CaptureResponseSchema, ProfileIdParamsSchema, ProfilesOverviewSchema, ProfilesQuerySchema } from './schemas.js'
import type { ProfilesService } from './service.js'

export interface ProfilesRoutesOptions { profiles: ProfilesService }

const security = [{ bearerAuth: [] }]
const config = { criticality: 'reports' as const }
const tags = ['monitoring']

/** CPU profiles and per-route phase timings; admin only. */
export const profilesRoutes: FastifyPluginAsyncTypebox<ProfilesRoutesOptions> = async (app, { profiles }) => {
  const onRequest = app.requireRole('admin')

  app.get('/profiles', {
    onRequest,
    config,
    schema: {
      operationId: 'listProfiles',
      tags,
      description: 'The newest `limit` CPU profiles of every instance (automatic ones, taken when a critical route ran over its budget, and manual ones) ' +
        'with their hottest functions, and where each route\'s time goes (database, pool wait, Redis, CPU) over the recent window.',
      security,
      summary: 'Captured CPU profiles with their hottest functions, and per-route phase timings',
      querystring: ProfilesQuerySchema,
      response: { 200: ProfilesOverviewSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => profiles.overview(request.query.limit))

  app.post('/profiles', {
    // The body is optional: a bare POST captures with the defaults.
    preValidation: async (request) => { request.body ??= {} },
    onRequest,
    config,
    schema: {
      operationId: 'captureProfile',
      tags,
      description: 'Starts sampling this instance\'s CPU for `duration_ms` and answers 202 with the pending profile; download it from ' +
        'GET /monitoring/profiles/{id} once captured. 409 PROFILES_CAPTURE_IN_PROGRESS while another capture runs on this instance.',
      security,
      summary: 'Capture a CPU profile of this instance now (answers when sampling starts)',
      body: CaptureBodySchema,
      response: { 202: CaptureResponseSchema, ...errorResponses(400, 401, 403, 409) }
    }
  }, async (request, reply) => {
    reply.code(202)
    return { profile: await profiles.start({ trigger: 'manual', durationMs: request.body.duration_ms, requestedBy: request.user.id }) }
  })

  app.get('/profiles/:id', {
    onRequest,
    config,
    schema: {
      operationId: 'downloadProfile',
      tags,
      description: 'The `.cpuprofile` file as an attachment. 404 for an unknown profile or a file not available here (failed capture, ' +
        'deleted by retention, stored on another instance); 409 PROFILES_NOT_READY while it is still being captured.',
      security,
      summary: 'Download the .cpuprofile (open in Chrome DevTools or speedscope)',
      params: ProfileIdParamsSchema,
      response: { 200: Type.Unknown({ description: 'The V8 CPU profile (application/json attachment)' }), ...errorResponses(400, 401, 403, 404, 409) }
    }
  }, async (request, reply) => {
    const { stream, fileName } = await profiles.download(request.params.id)
    return reply.type('application/json').header('content-disposition', `attachment; filename="${fileName}"`).send(stream)
  })
}
