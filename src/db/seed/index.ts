/**
 * Demo-data seed: users, a category tree, products, orders with items,
 * reviews and carts, streamed into PostgreSQL with COPY. Independent of
 * Fastify so the CLI (`npm run seed`), `npm start` (seed-if-empty) and an
 * embedded-PostgreSQL mode can all call `seedDatabase`.
 */
import type postgres from 'postgres'
import { hashPassword } from '../../lib/auth/index.js'
import { createClock } from './clock.js'
import { advanceSequences, loadAll, refreshRatings, vacuumAnalyze, withoutTextIndexes, type SeedCounts } from './load.js'
import { validateSeedOptions, type SeedOptions } from './options.js'
import type { ProgressReporter } from './progress.js'

export { DEFAULT_SEED_SIZES, SeedOptionsError, validateSeedOptions, type SeedOptions, type SeedSizes } from './options.js'
export { createProgressPrinter, type ProgressReporter, type SeedPhase, type SeedProgress } from './progress.js'
export { DEMO_ACCOUNTS, LOAD_TEST_USERS } from './users.js'
export type { SeedCounts } from './load.js'

export interface SeedSummary extends SeedCounts {
  seed: number
  /** Wall time of the whole run, VACUUM (ANALYZE) included. */
  durationMs: number
}

/** The database already holds data the seed would collide with. */
export class DatabaseNotEmptyError extends Error {
  constructor (readonly table: string) {
    super(`The database already has ${table}: seed only an empty database, or reset it first (npm run seed -- --reset)`)
    this.name = 'DatabaseNotEmptyError'
  }
}

/** Refused to reset a database that does not look disposable. */
export class ResetRefusedError extends Error {
  constructor (readonly database: string) {
    super(`Refusing to reset database '${database}': its name does not end in _test (pass --force to reset it anyway)`)
    this.name = 'ResetRefusedError'
  }
}

// Serialises concurrent seeders (several workers running seed-if-empty at once).
const SEED_LOCK_ID = 72_411_002
const DOMAIN_TABLES = ['users', 'categories', 'products', 'orders', 'order_items', 'reviews', 'cart_items', 'idempotency_keys']

/** True when the catalog has no product (the trigger for seed-if-empty). */
export async function isDatabaseEmpty (sql: postgres.Sql): Promise<boolean> {
  const [row] = await sql<{ empty: boolean }[]>`SELECT NOT EXISTS (SELECT 1 FROM products) AS empty`
  return row.empty
}

/** Throws `ResetRefusedError` unless the database name ends in `_test` or `force` is set. */
export function assertResettable (databaseUrl: string, force: boolean): void {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1))
  if (!force && !name.endsWith('_test')) throw new ResetRefusedError(name)
}

/**
 * Empties every domain table and restarts their identities. CASCADE also
 * empties tables of other modules that reference them (they hold data about
 * the rows being removed). Call `assertResettable` first.
 */
export async function resetDatabase (sql: postgres.Sql): Promise<void> {
  await sql`TRUNCATE ${sql(DOMAIN_TABLES)} RESTART IDENTITY CASCADE`
}

async function assertEmpty (tx: postgres.TransactionSql): Promise<void> {
  const [row] = await tx<Record<string, boolean>[]>`
    SELECT EXISTS (SELECT 1 FROM products) AS products, EXISTS (SELECT 1 FROM users) AS users,
           EXISTS (SELECT 1 FROM categories) AS categories, EXISTS (SELECT 1 FROM orders) AS orders,
           EXISTS (SELECT 1 FROM reviews) AS reviews, EXISTS (SELECT 1 FROM cart_items) AS cart_items`
  const busy = Object.keys(row).find((table) => row[table])
  if (busy) throw new DatabaseNotEmptyError(busy)
}

/**
 * Builds the demo data set in one transaction: nothing is visible until it
 * all loaded, and a failure leaves the database as it was. Throws
 * `SeedOptionsError` for bad sizes and `DatabaseNotEmptyError` when the
 * tables already hold rows. `progress` receives per-phase progress events.
 */
export async function seedDatabase (sql: postgres.Sql, options: SeedOptions, progress: ProgressReporter = () => {}): Promise<SeedSummary> {
  validateSeedOptions(options)
  const started = performance.now()
  const clock = createClock(options.now ?? new Date())
  const passwordHash = await hashPassword(options.demoPassword)
  const counts = await sql.begin(async (tx) => {
    // The caller's pool may carry a request-sized statement_timeout; a 500k-product COPY needs longer.
    await tx`SET LOCAL statement_timeout = 0`
    await tx`SELECT pg_advisory_xact_lock(${SEED_LOCK_ID})`
    await assertEmpty(tx)
    const loaded = await withoutTextIndexes(tx, async () => {
      const rows = await loadAll({ tx, options, clock, progress }, passwordHash)
      progress({ phase: 'finalize', done: 0, total: 5 })
      await advanceSequences(tx)
      progress({ phase: 'finalize', done: 1, total: 5 })
      await refreshRatings(tx)
      progress({ phase: 'finalize', done: 2, total: 5 })
      return rows
    })
    progress({ phase: 'finalize', done: 3, total: 5 })
    // The search vocabulary (spelling words, term statistics) of the new catalog, so the
    // first searches need not wait for the app's background rebuild.
    await tx`SELECT catalog_refresh_search_vocabulary()`
    progress({ phase: 'finalize', done: 4, total: 5 })
    return loaded
  })
  await vacuumAnalyze(sql)
  progress({ phase: 'finalize', done: 5, total: 5 })
  return { ...counts, seed: options.seed, durationMs: performance.now() - started }
}

const count = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`

/** One line, e.g. "seeded 50,000 products, 100 categories, … 2,000 carts in 41.2 s". */
export function formatSeedSummary (s: SeedSummary): string {
  return `seeded ${count(s.products, 'product', 'products')}, ${count(s.categories, 'category', 'categories')}, ` +
    `${count(s.users, 'user', 'users')}, ${count(s.orders, 'order', 'orders')} (${count(s.orderItems, 'item', 'items')}), ` +
    `${count(s.reviews, 'review', 'reviews')}, ${count(s.carts, 'cart', 'carts')} in ${(s.durationMs / 1000).toFixed(1)} s`
}
