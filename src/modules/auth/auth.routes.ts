import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../../lib/http/index.js'
import { LoginBodySchema, RegisterBodySchema, SessionSchema } from './auth.schemas.js'
import type { AuthService } from './auth.service.js'

export interface AuthRoutesOptions { auth: AuthService }

/**
 * `/auth/register`, `/auth/login` and `/auth/logout`. Brute force is bounded by the rate limits
 * declared here (5 registrations and 10 logins per minute), counted per client address whatever token is
 * attached, and by the service's per-account lockout and registration caps, which run whenever
 * the rate limiter identified the caller (limits on, address not whitelisted).
 */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { auth }) => {
  app.post('/register', {
    config: { rateLimit: { points: 5, duration: 60, key: 'address', exact: true } },
    schema: {
      operationId: 'register',
      tags: ['auth'],
      summary: 'Create a customer account and get an access token',
      description: 'Creates a customer account and answers its access token and user, as login does. 409 AUTH_EMAIL_TAKEN or AUTH_USERNAME_TAKEN, ' +
        '422 AUTH_WEAK_PASSWORD for a short or common password, 429 AUTH_REGISTRATION_LIMITED past the registrations allowed per client address.',
      body: RegisterBodySchema,
      response: { 201: SessionSchema, ...errorResponses(400, 409, 422, 429) }
    }
  }, async (request, reply) => {
    reply.code(201)
    return auth.register(request.body, request.clientIdentity?.key)
  })

  app.post('/login', {
    config: { rateLimit: { points: 10, duration: 60, key: 'address', exact: true } },
    schema: {
      operationId: 'login',
      tags: ['auth'],
      summary: 'Exchange email or username and password for an access token',
      description: 'Send exactly one of `email` or `username` with the password (else 400 AUTH_IDENTIFIER_REQUIRED). A wrong identifier or password ' +
        'is the same 401 AUTH_INVALID_CREDENTIALS; repeated failures lock the account for a growing time (429 AUTH_LOGIN_LOCKED).',
      body: LoginBodySchema,
      response: { 200: SessionSchema, ...errorResponses(400, 401, 429) }
    }
  }, async (request) => auth.login(request.body, request.clientIdentity?.key))

  app.post('/logout', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 30, duration: 60 } },
    schema: {
      operationId: 'logout',
      tags: ['auth'],
      description: 'Every access token issued to the account before this call stops working at once on every instance; log in again for a new one.',
      summary: 'Revoke every access token of the caller\'s account (all devices), this one included',
      security: [{ bearerAuth: [] }],
      response: { 204: Type.Null({ description: 'Logged out; no body' }), ...errorResponses(401) }
    }
  }, async (request, reply) => {
    await auth.logout(request.user.id)
    reply.code(204)
  })
}
