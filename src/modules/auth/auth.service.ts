import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { hashPassword, verifyPassword } from '../../lib/password.js'
import type { AuthUser } from '../../plugins/auth.js'
import type { UsersService } from '../users/users.service.js'
import type { User } from '../users/users.schemas.js'
import { AuthAccountErrors } from './auth.errors.js'
import type { LoginBody, RegisterBody, Session } from './auth.schemas.js'

export interface AuthServiceDeps {
  users: UsersService
  signAccessToken: (user: AuthUser) => string
  /** Lifetime of the tokens `signAccessToken` makes, reported as `expires_in`. */
  expiresInS: number
  log: FastifyBaseLogger
}

function identifier (body: LoginBody): { email: string } | { username: string } {
  if (body.email !== undefined && body.username === undefined) return { email: body.email }
  if (body.username !== undefined && body.email === undefined) return { username: body.username }
  throw new AuthAccountErrors.IDENTIFIER_REQUIRED()
}

/** Registration and login on top of the users module; tokens come from the auth plugin. */
export function createAuthService ({ users, signAccessToken, expiresInS, log }: AuthServiceDeps) {
  const alog = log.child({ module: 'auth' })
  // A hash of a random secret, made once at startup (on the thread pool): a login for an
  // unknown user verifies against it, so it costs the same scrypt time as a wrong password.
  const dummyHash = hashPassword(randomBytes(32).toString('base64url'))
  dummyHash.catch((err: unknown) => alog.error({ err }, 'dummy password hash failed'))

  function session (user: User): Session {
    return {
      access_token: signAccessToken({ id: user.id, role: user.user_type }),
      token_type: 'bearer',
      expires_in: expiresInS,
      user
    }
  }

  return {
    /** Creates a customer account (sellers and admins are made by an admin, not here) and signs it in. */
    async register (body: RegisterBody): Promise<Session> {
      const passwordHash = await hashPassword(body.password)
      const result = await users.createAccount({
        username: body.username,
        email: body.email.toLowerCase(),
        passwordHash,
        firstName: body.first_name.trim(),
        lastName: body.last_name.trim(),
        phone: body.phone ?? null
      })
      if (!result.ok) {
        throw result.conflict === 'email'
          ? new AuthAccountErrors.EMAIL_TAKEN(body.email.toLowerCase())
          : new AuthAccountErrors.USERNAME_TAKEN(body.username)
      }
      alog.info({ userId: result.user.id }, 'user registered')
      return session(result.user)
    },

    /**
     * Unknown user, wrong password and disabled account take the same path
     * (one lookup, one scrypt verification) and get the same 401.
     */
    async login (body: LoginBody): Promise<Session> {
      const found = await users.findCredentials(identifier(body))
      const matches = await verifyPassword(body.password, found?.passwordHash ?? await dummyHash)
      if (!found || !matches || !found.isActive) {
        alog.info({ userId: found?.id, reason: !found ? 'unknown' : !matches ? 'password' : 'disabled' }, 'login refused')
        throw new AuthAccountErrors.INVALID_CREDENTIALS()
      }
      return session(await users.recordLogin(found.id))
    }
  }
}

export type AuthService = ReturnType<typeof createAuthService>
