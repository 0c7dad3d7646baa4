import { eq, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { users } from '../../db/schema/index.js'
import { timedQuery } from '../../lib/observability/index.js'

type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

// Explicit columns: the password hash is selected only by the queries that need it.
const publicColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  phone: users.phone,
  userType: users.userType,
  isActive: users.isActive,
  isVerified: users.isVerified,
  createdAt: users.createdAt,
  lastLogin: users.lastLogin,
  tokenVersion: users.tokenVersion
}

export interface UserRow {
  id: number
  username: string
  email: string
  firstName: string
  lastName: string
  phone: string | null
  userType: 'customer' | 'seller' | 'admin'
  isActive: boolean
  isVerified: boolean
  createdAt: Date
  lastLogin: Date | null
  /** Claim `ver` of the account's valid tokens (never sent to clients). */
  tokenVersion: number
}
export type CredentialsRow = UserRow & { passwordHash: string }

export interface NewUser {
  username: string
  email: string
  passwordHash: string
  firstName: string
  lastName: string
  phone: string | null
}

export interface ProfilePatch {
  firstName?: string
  lastName?: string
  phone?: string | null
  passwordHash?: string
}

export function createUsersRepository (db: Database) {
  return {
    async insert (user: NewUser, ex: Executor = db): Promise<UserRow> {
      const [row] = await timedQuery('users.insert', ex.insert(users).values(user).returning(publicColumns))
      return row
    },

    /** Case-insensitive lookup on the `lower(...)` unique indexes. */
    async findCredentials (by: { email: string } | { username: string }, ex: Executor = db): Promise<CredentialsRow | undefined> {
      const where = 'email' in by
        ? sql`lower(${users.email}) = lower(${by.email})`
        : sql`lower(${users.username}) = lower(${by.username})`
      const [row] = await timedQuery('users.find_credentials', ex.select({ ...publicColumns, passwordHash: users.passwordHash })
        .from(users).where(where).limit(1))
      return row
    },

    async findById (id: number, ex: Executor = db): Promise<UserRow | undefined> {
      const [row] = await timedQuery('users.find_by_id', ex.select(publicColumns).from(users).where(eq(users.id, id)))
      return row
    },

    async findPasswordHash (id: number, ex: Executor = db): Promise<{ passwordHash: string, isActive: boolean } | undefined> {
      const [row] = await timedQuery('users.find_password_hash', ex.select({ passwordHash: users.passwordHash, isActive: users.isActive })
        .from(users).where(eq(users.id, id)))
      return row
    },

    async touchLastLogin (id: number, ex: Executor = db): Promise<UserRow | undefined> {
      const [row] = await timedQuery('users.touch_last_login', ex.update(users).set({ lastLogin: sql`now()` })
        .where(eq(users.id, id)).returning(publicColumns))
      return row
    },

    /** Revokes every token of the account: they carry the old version. */
    async bumpTokenVersion (id: number, ex: Executor = db): Promise<boolean> {
      const rows = await timedQuery('users.bump_token_version', ex.update(users).set({ tokenVersion: sql`${users.tokenVersion} + 1` })
        .where(eq(users.id, id)).returning({ id: users.id }))
      return rows.length > 0
    },

    async update (id: number, patch: ProfilePatch, ex: Executor = db): Promise<UserRow | undefined> {
      const [row] = await timedQuery('users.update', ex.update(users).set(patch).where(eq(users.id, id)).returning(publicColumns))
      return row
    }
  }
}

export type UsersRepository = ReturnType<typeof createUsersRepository>
