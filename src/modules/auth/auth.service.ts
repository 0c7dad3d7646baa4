import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { withDetails } from '../../errors.js'
import { hashPassword, passwordWeakness, verifyPassword } from '../../lib/auth/index.js'
import type { AuthUser } from '../../plugins/auth.js'
import type { UsersService } from '../users/users.service.js'
import type { User } from '../users/users.schemas.js'
import { AuthAccountErrors } from './auth.errors.js'
import { accountSubject } from './auth.keys.js'
import type { AuthThrottle } from './auth.throttle.js'
import type { LoginBody, RegisterBody, Session } from './auth.schemas.js'

export interface AuthServiceDeps {
  users: UsersService
  /** Login lockout and registration caps. */
  throttle: AuthThrottle
  signAccessToken: (user: AuthUser & { tokenVersion: number }) => string
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
export function createAuthService ({ users, throttle, signAccessToken, expiresInS, log }: AuthServiceDeps) {
  const alog = log.child({ module: 'auth' })
  // A hash of a random secret, made once at startup (on the thread pool): a login for an
  // unknown user verifies against it, so it costs the same scrypt time as a wrong password.
  const dummyHash = hashPassword(randomBytes(32).toString('base64url'))
  dummyHash.catch((err: unknown) => alog.error({ err }, 'dummy password hash failed'))

  function session (user: User, tokenVersion: number): Session {
    return {
      access_token: signAccessToken({ id: user.id, role: user.user_type, tokenVersion }),
      token_type: 'bearer',
      expires_in: expiresInS,
      user
    }
  }

  return {
    /**
     * Creates a customer account (sellers and admins are made by an admin, not here) and signs it in.
     * `client` (the rate-limit bucket of the caller's address; undefined when limits are off or the
     * address is whitelisted) is capped per day, and each email and username per hour.
     */
    async register (body: RegisterBody, client?: string): Promise<Session> {
      if (client !== undefined) await throttle.registration(client, [accountSubject({ email: body.email }), accountSubject({ username: body.username })])
      const weakness = passwordWeakness(body.password, [body.email, body.email.split('@')[0], body.username])
      if (weakness) throw withDetails(new AuthAccountErrors.WEAK_PASSWORD(weakness), [{ field: 'body.password', message: weakness }])
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
      return session(result.user, result.tokenVersion)
    },

    /**
     * Unknown user, wrong password and disabled account take the same path
     * (one lookup, one scrypt verification) and get the same 401. With
     * `client` set (limits on), a locked account is refused before the
     * password is checked and each failure counts towards its lockout.
     */
    async login (body: LoginBody, client?: string): Promise<Session> {
      const by = identifier(body)
      const found = await users.findCredentials(by)
      const account = accountSubject(found ? { id: found.id } : by)
      if (client !== undefined) await throttle.assertLoginAllowed(account)
      const matches = await verifyPassword(body.password, found?.passwordHash ?? await dummyHash)
      if (!found || !matches || !found.isActive) {
        alog.info({ userId: found?.id, reason: !found ? 'unknown' : !matches ? 'password' : 'disabled' }, 'login refused')
        if (client !== undefined) await throttle.loginFailed(account)
        throw new AuthAccountErrors.INVALID_CREDENTIALS()
      }
      if (client !== undefined) await throttle.loginSucceeded(account)
      return session(await users.recordLogin(found.id), found.tokenVersion)
    },

    /** Revokes every token of the caller's account, the one used for this request included. */
    async logout (userId: number): Promise<void> {
      await users.revokeTokens(userId)
    }
  }
}

export type AuthService = ReturnType<typeof createAuthService>
