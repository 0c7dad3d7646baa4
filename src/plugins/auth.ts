import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler, RouteOptions } from 'fastify'
import jwt from '@fastify/jwt'
import createError from '@fastify/error'
import { AccountStateCache, type AccountState } from '../lib/auth/index.js'
import { timedQuery } from '../lib/observability/index.js'

export type UserRole = 'customer' | 'seller' | 'admin'

export interface AuthUser { id: number, role: UserRole }

/** What a verified token says: the user, its role and the account's token version when it was signed. */
export interface TokenSubject extends AuthUser { tokenVersion: number }

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string, role: UserRole, ver: number }
    user: AuthUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Route `onRequest` hook: 401 unless a valid bearer token of an active account is sent; sets
     * `request.user` (the account's current role). Reads headers only, so it runs before the body
     * is read or validated: no token and a bad body is a 401, not a 400.
     */
    authenticate: onRequestAsyncHookHandler
    /** Route `onRequest` hook factory: 401 without a token, 403 when the role is not one of `roles`. */
    requireRole: (...roles: UserRole[]) => onRequestAsyncHookHandler
    /** Signs an access token for a user at its current token version (0 for a new account). */
    signAccessToken: (user: AuthUser & { tokenVersion?: number }) => string
    /** After a change that revokes tokens (logout, password change): this instance drops its cached state of the account now (the others on the database's notice). */
    accountChanged: (userId: number) => Promise<void>
  }
  interface FastifyRequest {
    /**
     * The user a validly signed token names, else undefined; never throws. Signature and
     * claims only, no database: for rate-limit buckets, never for authorization.
     */
    optionalUser: () => Promise<AuthUser | undefined>
  }
}

export const AuthErrors = {
  TOKEN_MISSING: createError<'AUTH_TOKEN_MISSING', 401>('AUTH_TOKEN_MISSING', 'Authorization header with a Bearer token is required', 401),
  TOKEN_INVALID: createError<'AUTH_TOKEN_INVALID', 401>('AUTH_TOKEN_INVALID', 'The access token is invalid or has expired', 401),
  TOKEN_REVOKED: createError<'AUTH_TOKEN_REVOKED', 401>('AUTH_TOKEN_REVOKED',
    'The access token was revoked (logout, password or role change) or its account is disabled or deleted; log in again', 401),
  FORBIDDEN: createError<'AUTH_FORBIDDEN', 403, [string]>('AUTH_FORBIDDEN', 'This action requires one of the roles: %s', 403)
}

export interface AuthPluginOptions {
  secret: string
  expiresInS: number
  /**
   * How long an instance trusts an account's state (role, active, token version) without
   * reading it again. Changes reach every instance at commit through the database's
   * account-change notices, however they are made; the TTL bounds how late one is seen only
   * when notices are unavailable.
   * @default 60000
   */
  accountStateTtlMs?: number
}

const DEFAULT_ACCOUNT_STATE_TTL_MS = 60_000
// ~100 bytes per entry: a few MB for the accounts active within one TTL.
const ACCOUNT_STATES_MAX = 50_000
const MAX_INT4 = 2_147_483_647
const ROLES: ReadonlySet<string> = new Set<UserRole>(['customer', 'seller', 'admin'])
const SUBJECT = /^[1-9][0-9]{0,9}$/

/**
 * The claims of a verified token, checked: `sub` a positive int4 in decimal, `role` one of
 * the three, `ver` a non-negative int4 (absent in tokens signed before versions existed,
 * which stand for version 0). Anything else is an invalid token (401), never a 500 later.
 */
export function tokenSubject (payload: unknown): TokenSubject | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined
  const { sub, role, ver = 0 } = payload as Record<string, unknown>
  if (typeof sub !== 'string' || !SUBJECT.test(sub) || Number(sub) > MAX_INT4) return undefined
  if (typeof role !== 'string' || !ROLES.has(role)) return undefined
  if (typeof ver !== 'number' || !Number.isInteger(ver) || ver < 0 || ver > MAX_INT4) return undefined
  return { id: Number(sub), role: role as UserRole, tokenVersion: ver }
}

// Memoised per request: rate limiting and the route's own auth verify the token once.
const verified = new WeakMap<FastifyRequest, Promise<TokenSubject>>()

function verifiedSubject (request: FastifyRequest): Promise<TokenSubject> {
  let subject = verified.get(request)
  if (!subject) {
    subject = verify(request)
    subject.catch(() => {})
    verified.set(request, subject)
  }
  return subject
}

async function verify (request: FastifyRequest): Promise<TokenSubject> {
  const header = request.headers.authorization
  if (!header || !/^Bearer\s+\S+/i.test(header)) throw new AuthErrors.TOKEN_MISSING()
  let subject: TokenSubject | undefined
  try {
    subject = tokenSubject(await request.jwtVerify())
  } catch (err) {
    request.log.debug({ err }, 'access token rejected')
  }
  if (!subject) throw new AuthErrors.TOKEN_INVALID()
  request.user = { id: subject.id, role: subject.role }
  return subject
}

function accountLoader (app: FastifyInstance) {
  return async (userId: number): Promise<AccountState | undefined> => {
    const [row] = await timedQuery('auth.account_state', app.db.sql<{ user_type: UserRole, is_active: boolean, token_version: number }[]>`
      SELECT user_type, is_active, token_version FROM users WHERE id = ${userId}`)
    return row && { role: row.user_type, active: row.is_active, tokenVersion: row.token_version }
  }
}

/** The channel of migration 0015's notices: a user id whose role, activity or token version changed, or that was deleted. */
export const ACCOUNT_CHANGED_CHANNEL = 'techmart_account_changed'

/**
 * Listens for the database's account-change notices, sent at commit whoever makes the change
 * (this instance, another one, psql), and drops the cached state of the account named. The
 * listening connection is postgres.js's own; each time it (re)connects the cache is emptied,
 * since notices sent while it was down were missed. Without notices (the database refuses
 * LISTEN) the TTL alone bounds how late a change made elsewhere is seen.
 */
async function listenForChanges (app: FastifyInstance, states: AccountStateCache): Promise<void> {
  try {
    // The listening connection closes with the pool, as the catalog's does.
    await app.db.sql.listen(ACCOUNT_CHANGED_CHANNEL, (payload) => states.forget(Number(payload)), () => states.clear())
  } catch (err) {
    app.log.warn({ err: { message: (err as Error).message } }, 'account-change notices unavailable; changes made elsewhere are seen within AUTH_STATE_TTL_MS')
  }
}

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, opts) => {
  await app.register(jwt, {
    secret: opts.secret,
    sign: { expiresIn: opts.expiresInS, algorithm: 'HS256' },
    // A token without `exp` never expires: refuse it whatever signed it.
    verify: { algorithms: ['HS256'], requiredClaims: ['exp'] }
  })
  const states = new AccountStateCache(accountLoader(app), opts.accountStateTtlMs ?? DEFAULT_ACCOUNT_STATE_TTL_MS, ACCOUNT_STATES_MAX)
  await listenForChanges(app, states)

  app.decorate('signAccessToken', (user: AuthUser & { tokenVersion?: number }) =>
    app.jwt.sign({ sub: String(user.id), role: user.role, ver: user.tokenVersion ?? 0 }))

  // This instance forgets at once; the others when the database's notice reaches them.
  app.decorate('accountChanged', async (userId: number) => {
    states.forget(userId)
  })

  app.decorateRequest('optionalUser', function (this: FastifyRequest) {
    if (!this.headers.authorization) return Promise.resolve(undefined)
    return verifiedSubject(this).then(({ id, role }) => ({ id, role }), () => undefined)
  })

  const authHooks = new WeakSet<object>()

  async function authenticate (request: FastifyRequest): Promise<void> {
    const subject = await verifiedSubject(request) // throws the precise 401 (missing vs invalid)
    const state = await states.get(subject.id)
    if (!state || !state.active || state.tokenVersion !== subject.tokenVersion) throw new AuthErrors.TOKEN_REVOKED()
    request.user = { id: subject.id, role: state.role }
  }
  authHooks.add(authenticate)
  app.decorate('authenticate', authenticate)

  app.decorate('requireRole', (...roles: UserRole[]) => {
    const requireRole = async function (request: FastifyRequest): Promise<void> {
      await authenticate(request)
      if (!roles.includes(request.user.role)) throw new AuthErrors.FORBIDDEN(roles.join(', '))
    }
    authHooks.add(requireRole)
    return requireRole
  })

  // Load shedding and rate limiting append their guards to each route's onRequest hooks (their
  // onRoute hooks ran first: those plugins are registered earlier). Authentication moves behind
  // them, so the cheapest rejections still come first and a flood of bad tokens is limited before
  // any account lookup; it stays ahead of body parsing and validation.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.onRequest === undefined || !Array.isArray(route.onRequest)) return
    const hooks: onRequestHookHandler[] = route.onRequest
    const auth = hooks.filter((hook) => authHooks.has(hook))
    if (auth.length > 0) route.onRequest = [...hooks.filter((hook) => !auth.includes(hook)), ...auth]
  })
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x', dependencies: ['db'] })
