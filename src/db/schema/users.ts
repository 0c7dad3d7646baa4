import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgEnum, pgTable, timestamp, uniqueIndex, varchar } from 'drizzle-orm/pg-core'

export const userType = pgEnum('user_type', ['customer', 'seller', 'admin'])

export const users = pgTable('users', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  username: varchar('username', { length: 50 }).notNull(),
  email: varchar('email', { length: 100 }).notNull(),
  passwordHash: varchar('password_hash', { length: 200 }).notNull(),
  firstName: varchar('first_name', { length: 50 }).notNull(),
  lastName: varchar('last_name', { length: 50 }).notNull(),
  phone: varchar('phone', { length: 20 }),
  isActive: boolean('is_active').notNull().default(true),
  isVerified: boolean('is_verified').notNull().default(false),
  userType: userType('user_type').notNull().default('customer'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastLogin: timestamp('last_login', { withTimezone: true }),
  /** Claim `ver` of this user's access tokens; bumped by a trigger (role, activity, password) and by logout. */
  tokenVersion: integer('token_version').notNull().default(0)
}, (t) => [
  // Login looks users up by either name, case-insensitively.
  uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
  uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
  // Business metrics: new users today / active today use range scans.
  index('users_created_at_idx').on(t.createdAt),
  index('users_last_login_idx').on(t.lastLogin)
])
