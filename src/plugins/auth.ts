import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import jwt from '@fastify/jwt'
import createError from '@fastify/error'

export type UserRole = 'customer' | 'seller' | 'admin'

export interface AuthUser { id: number, role: UserRole }

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string, role: UserRole }
    user: AuthUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: 401 unless a valid bearer token is sent; sets `request.user`. */
    authenticate: preHandlerAsyncHookHandler
    /** preHandler factory: 401 without a token, 403 when the role is not one of `roles`. */
    requireRole: (...roles: UserRole[]) => preHandlerAsyncHookHandler
    /** Signs an access token for a user. */
    signAccessToken: (user: AuthUser) => string
  }
  interface FastifyRequest {
    /** The verified user when a valid token was sent, else undefined; never throws. */
    optionalUser: () => Promise<AuthUser | undefined>
  }
}

export const AuthErrors = {
  TOKEN_MISSING: createError<'AUTH_TOKEN_MISSING', 401>('AUTH_TOKEN_MISSING', 'Authorization header with a Bearer token is required', 401),
  TOKEN_INVALID: createError<'AUTH_TOKEN_INVALID', 401>('AUTH_TOKEN_INVALID', 'The access token is invalid or has expired', 401),
  FORBIDDEN: createError<'AUTH_FORBIDDEN', 403, [string]>('AUTH_FORBIDDEN', 'This action requires one of the roles: %s', 403)
}

export interface AuthPluginOptions {
  secret: string
  expiresInS: number
}

// Memoised per request: rate limiting and the route's own auth verify the token once.
const verified = new WeakMap<FastifyRequest, Promise<AuthUser | undefined>>()

async function verify (request: FastifyRequest): Promise<AuthUser> {
  const header = request.headers.authorization
  if (!header || !/^Bearer\s+\S+/i.test(header)) throw new AuthErrors.TOKEN_MISSING()
  try {
    return await request.jwtVerify<AuthUser>()
  } catch (err) {
    request.log.debug({ err }, 'access token rejected')
    throw new AuthErrors.TOKEN_INVALID()
  }
}

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, opts) => {
  await app.register(jwt, {
    secret: opts.secret,
    sign: { expiresIn: opts.expiresInS, algorithm: 'HS256' },
    verify: { algorithms: ['HS256'] },
    formatUser: (payload) => ({ id: Number(payload.sub), role: payload.role })
  })

  app.decorate('signAccessToken', (user: AuthUser) => app.jwt.sign({ sub: String(user.id), role: user.role }))

  app.decorateRequest('optionalUser', function (this: FastifyRequest) {
    let user = verified.get(this)
    if (!user) {
      user = this.headers.authorization ? verify(this).catch(() => undefined) : Promise.resolve(undefined)
      verified.set(this, user)
    }
    return user
  })

  app.decorate('authenticate', async function (request: FastifyRequest) {
    const user = await request.optionalUser()
    if (user) {
      request.user = user
      return
    }
    await verify(request) // throws the precise 401 (missing vs invalid)
  })

  app.decorate('requireRole', (...roles: UserRole[]) => async function (request: FastifyRequest) {
    await app.authenticate(request, undefined as never)
    if (!roles.includes(request.user.role)) throw new AuthErrors.FORBIDDEN(roles.join(', '))
  })
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x' })
