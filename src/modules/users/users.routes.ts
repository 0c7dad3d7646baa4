import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses, sendJson } from '../../lib/http/index.js'
import { UpdateProfileBodySchema, UserSchema } from './users.schemas.js'
import type { UsersService } from './users.service.js'

export interface UsersRoutesOptions { users: UsersService }

const security = [{ bearerAuth: [] }]

/** `/users/profile`: the caller's own profile only; there is no id in the path to tamper with. */
export const usersRoutes: FastifyPluginAsyncTypebox<UsersRoutesOptions> = async (app, { users }) => {
  app.get('/profile', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      operationId: 'getProfile',
      tags: ['users'],
      summary: 'The caller\'s profile',
      description: 'The account behind the access token: names, contact details, role and dates; never the password hash.',
      security,
      response: { 200: UserSchema, ...errorResponses(401, 403, 404) }
    }
  }, async (request, reply) => sendJson(request, reply, await users.getProfile(request.user.id)))

  app.patch('/profile', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      operationId: 'updateProfile',
      tags: ['users'],
      summary: 'Update names and phone, or change the password (with current_password)',
      description: 'Changes only the fields sent; email and role are not changeable here. A password change needs both `current_password` and ' +
        '`new_password` (422 USERS_CURRENT_PASSWORD_INCORRECT when the current one is wrong) and revokes every token issued before it.',
      security,
      body: UpdateProfileBodySchema,
      response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 422) }
    }
  }, async (request) => users.updateProfile(request.user.id, request.body))
}
