import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import { isoTime, isoTimeOrNull, type JsonAnswer } from '../../lib/http/index.js'
import type { CacheDecorator, WriteMark } from '../../plugins/cache.js'
import { hashPassword, passwordWeakness, verifyPassword } from '../../lib/auth/index.js'
import { driverError, withDetails } from '../../errors.js'
import { UsersErrors } from './users.errors.js'
import { PROFILE_CACHE_TTL_S, UsersKeys, UsersTags } from './users.keys.js'
import { createUsersRepository, type CredentialsRow, type NewUser, type ProfilePatch, type UserRow } from './users.repository.js'
import type { UpdateProfileBody, User } from './users.schemas.js'

export type { CredentialsRow } from './users.repository.js'

export interface UsersServiceDeps {
  db: Database
  log: FastifyBaseLogger
  cache: CacheDecorator
  /** Told after a change that revokes the account's tokens, so every instance drops its cached account state. */
  onTokensRevoked?: (userId: number) => Promise<void>
}

export type CreateAccountResult =
  | { ok: true, user: User, tokenVersion: number }
  | { ok: false, conflict: 'email' | 'username' }

// The unique indexes on lower(email) / lower(username) decide duplicates, so two racing registrations cannot both win.
const UNIQUE_CONFLICTS: Record<string, 'email' | 'username'> = {
  users_email_lower_key: 'email',
  users_username_lower_key: 'username'
}

export function toUser (row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    phone: row.phone,
    user_type: row.userType,
    is_active: row.isActive,
    is_verified: row.isVerified,
    created_at: isoTime(row.createdAt),
    last_login: isoTimeOrNull(row.lastLogin)
  }
}

/**
 * Owns the users table: profiles for the user, and the account operations
 * the auth module builds registration and login on.
 *
 * GET /users/profile is cached per user (users.keys.ts). Every write of the
 * profile's columns here answers the updated row, which becomes the cached
 * profile (write-through). Deactivation and role changes have no endpoint:
 * made in the database, they bump the account's token version (migration
 * 0011), so its tokens are refused before any cached profile is read, and
 * the next login stamps `last_login`, which replaces the cached profile.
 */
export function createUsersService ({ db, log, cache, onTokensRevoked = async () => {} }: UsersServiceDeps) {
  const repo = createUsersRepository(db)
  const ulog = log.child({ module: 'users' })

  const beginWrite = (userId: number): WriteMark => cache.beginWrite([UsersTags.profile(userId)])

  /** After a committed write of the row: its profile becomes the cached one (when nothing raced it). */
  async function written (mark: WriteMark, row: UserRow): Promise<User> {
    const user = toUser(row)
    await cache.invalidateAndStore(mark, { type: 'user_profile', key: UsersKeys.profile(row.id), body: JSON.stringify(user), ttlS: PROFILE_CACHE_TTL_S })
    return user
  }

  async function activeUser (userId: number): Promise<UserRow> {
    const row = await repo.findById(userId)
    if (!row) throw new UsersErrors.NOT_FOUND(userId)
    if (!row.isActive) throw new UsersErrors.ACCOUNT_DISABLED(userId)
    return row
  }

  async function passwordPatch (user: UserRow, current: string, next: string): Promise<string> {
    const stored = await repo.findPasswordHash(user.id)
    if (!stored) throw new UsersErrors.NOT_FOUND(user.id)
    if (!(await verifyPassword(current, stored.passwordHash))) throw new UsersErrors.CURRENT_PASSWORD_INCORRECT(user.id)
    const weakness = passwordWeakness(next, [user.email, user.email.split('@')[0], user.username])
    if (weakness) throw withDetails(new UsersErrors.WEAK_PASSWORD(weakness), [{ field: 'body.new_password', message: weakness }])
    return hashPassword(next)
  }

  return {
    /** GET /users/profile, serialized; a missing or disabled account is an error, never cached. */
    getProfile (userId: number): Promise<JsonAnswer> {
      return cache.getOrLoad({
        type: 'user_profile',
        key: UsersKeys.profile(userId),
        coherent: true,
        tags: [UsersTags.profile(userId)],
        load: async () => ({ body: JSON.stringify(toUser(await activeUser(userId))), ttlS: PROFILE_CACHE_TTL_S })
      })
    },

    async updateProfile (userId: number, body: UpdateProfileBody): Promise<User> {
      const mark = beginWrite(userId)
      const user = await activeUser(userId)
      const patch: ProfilePatch = {}
      if (body.first_name !== undefined) patch.firstName = body.first_name.trim()
      if (body.last_name !== undefined) patch.lastName = body.last_name.trim()
      if (body.phone !== undefined) patch.phone = body.phone
      if (body.new_password !== undefined) patch.passwordHash = await passwordPatch(user, body.current_password ?? '', body.new_password)
      // The schema guarantees at least one changed field (current_password alone is refused).
      const row = await repo.update(userId, patch)
      if (!row) throw new UsersErrors.NOT_FOUND(userId)
      const updated = await written(mark, row)
      if (patch.passwordHash) {
        // The users trigger bumped the token version: every token of the account, this request's too, is revoked.
        await onTokensRevoked(userId)
        ulog.info({ userId }, 'password changed; tokens revoked')
      }
      return updated
    },

    /** Inserts a customer account; a duplicate email or username is a result, not an exception. */
    async createAccount (user: NewUser): Promise<CreateAccountResult> {
      try {
        const row = await repo.insert(user)
        return { ok: true, user: toUser(row), tokenVersion: row.tokenVersion }
      } catch (err) {
        const pg = driverError(err)
        const conflict = pg.code === '23505' && pg.constraint_name ? UNIQUE_CONFLICTS[pg.constraint_name] : undefined
        if (conflict) return { ok: false, conflict }
        throw err
      }
    },

    findCredentials (by: { email: string } | { username: string }): Promise<CredentialsRow | undefined> {
      return repo.findCredentials(by)
    },

    /** Revokes every access token of the account (logout everywhere). */
    async revokeTokens (userId: number): Promise<void> {
      if (!(await repo.bumpTokenVersion(userId))) throw new UsersErrors.NOT_FOUND(userId)
      await onTokensRevoked(userId)
      ulog.info({ userId }, 'tokens revoked')
    },

    /** Stamps `last_login` and returns the fresh profile. */
    async recordLogin (userId: number): Promise<User> {
      const mark = beginWrite(userId)
      const row = await repo.touchLastLogin(userId)
      if (!row) throw new UsersErrors.NOT_FOUND(userId)
      return written(mark, row)
    }
  }
}

export type UsersService = ReturnType<typeof createUsersService>
