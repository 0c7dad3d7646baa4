import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../lib/http-schemas.js'
import { LoginBodySchema, RegisterBodySchema, SessionSchema } from './auth.schemas.js'
import type { AuthService } from './auth.service.js'

export interface AuthRoutesOptions { auth: AuthService }

/**
 * `/auth/register` and `/auth/login`. Brute force is bounded by the rate
 * limits declared here (the spec's 5 and 10 per minute per client).
 */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { auth }) => {
  app.post('/register', {
    config: { rateLimit: { points: 5, duration: 60 } },
    schema: {
      tags: ['auth'],
      summary: 'Create a customer account and get an access token',
      body: RegisterBodySchema,
      response: { 201: SessionSchema, ...errorResponses(400, 409) }
    }
  }, async (request, reply) => {
    reply.code(201)
    return auth.register(request.body)
  })

  app.post('/login', {
    config: { rateLimit: { points: 10, duration: 60 } },
    schema: {
      tags: ['auth'],
      summary: 'Exchange email or username and password for an access token',
      body: LoginBodySchema,
      response: { 200: SessionSchema, ...errorResponses(400, 401) }
    }
  }, async (request) => auth.login(request.body))
}
