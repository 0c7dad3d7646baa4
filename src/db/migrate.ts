import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'

/** The repository's `drizzle/` folder, found from both `src/` (tsx) and `dist/src/` (compiled). */
export const MIGRATIONS_FOLDER = findMigrationsFolder(dirname(fileURLToPath(import.meta.url)))

function findMigrationsFolder (from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'drizzle')
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate
  }
  throw new Error(`No drizzle/ migrations folder found above ${from}`)
}

// Any fixed number: it only serialises concurrent migrators (workers, test files).
const MIGRATION_LOCK_ID = 72_411_001

/** Creates the database named in `url` when it does not exist (connecting to the `postgres` database). */
export async function ensureDatabase (url: string): Promise<boolean> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`Refusing to create database with unusual name '${name}'`)
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const sql = postgres(admin.href, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`
    if (rows.length > 0) return false
    try {
      await sql.unsafe(`CREATE DATABASE "${name}"`)
    } catch (err) {
      // Another process created it between our check and our CREATE.
      if ((err as { code?: string }).code !== '42P04') throw err
    }
    return true
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** Applies the SQL migrations in `drizzle/` under an advisory lock; safe to run from many processes at once. */
export async function runMigrations (url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_ID})`
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER })
  } finally {
    await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_ID})`.catch(() => {})
    await sql.end({ timeout: 5 })
  }
}
