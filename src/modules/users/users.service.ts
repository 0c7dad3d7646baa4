import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import { hashPassword, verifyPassword } from '../../lib/password.js'
import { isoTime, isoTimeOrNull } from '../../lib/http-schemas.js'
import { driverError, withDetails } from '../../errors.js'
import { passwordWeakness } from '../../lib/password-policy.js'
import { UsersErrors } from './users.errors.js'
import { createUsersRepository, type CredentialsRow, type NewUser, type ProfilePatch, type UserRow } from './users.repository.js'
import type { UpdateProfileBody, User } from './users.schemas.js'

export type { CredentialsRow } from './users.repository.js'

export interface UsersServiceDeps {
  db: Database
  log: FastifyBaseLogger
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
 */
export function createUsersService ({ db, log, onTokensRevoked = async () => {} }: UsersServiceDeps) {
  const repo = createUsersRepository(db)
  const ulog = log.child({ module: 'users' })

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
    async getProfile (userId: number): Promise<User> {
      return toUser(await activeUser(userId))
    },

    async updateProfile (userId: number, body: UpdateProfileBody): Promise<User> {
      const user = await activeUser(userId)
      const patch: ProfilePatch = {}
      if (body.first_name !== undefined) patch.firstName = body.first_name.trim()
      if (body.last_name !== undefined) patch.lastName = body.last_name.trim()
      if (body.phone !== undefined) patch.phone = body.phone
      if (body.new_password !== undefined) patch.passwordHash = await passwordPatch(user, body.current_password ?? '', body.new_password)
      // The schema guarantees at least one changed field (current_password alone is refused).
      const row = await repo.update(userId, patch)
      if (!row) throw new UsersErrors.NOT_FOUND(userId)
      if (patch.passwordHash) {
        // The users trigger bumped the token version: every token of the account, this request's too, is revoked.
        await onTokensRevoked(userId)
        ulog.info({ userId }, 'password changed; tokens revoked')
      }
      return toUser(row)
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
      const row = await repo.touchLastLogin(userId)
      if (!row) throw new UsersErrors.NOT_FOUND(userId)
      return toUser(row)
    }
  }
}

export type UsersService = ReturnType<typeof createUsersService>
