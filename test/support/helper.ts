import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { buildApp, type BuildOptions } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { ensureDatabase, runMigrations } from '../../src/db/migrate.js'
import { deleteKeysUnder } from '../../src/lib/redis/keys.js'

/** Tests never touch the demo database: their own, created and migrated here. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/techmart_test'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** One Redis key prefix per test process (= per test file), so files never see each other's keys. */
export const TEST_REDIS_PREFIX = `techmart-test-${process.pid}`

let prepared: Promise<void> | undefined

/** Creates and migrates the test database once per process; refuses a name not ending in `_test`. */
export function ensureTestDb (): Promise<void> {
  const name = new URL(TEST_DATABASE_URL).pathname.slice(1)
  if (!name.endsWith('_test')) throw new Error(`Refusing to use database '${name}' for tests: its name must end in _test`)
  prepared ??= ensureDatabase(TEST_DATABASE_URL).then(() => runMigrations(TEST_DATABASE_URL))
  return prepared
}

/** A validated config for tests: the test database and Redis prefix, quiet logs, plus `overrides`. */
export function testConfig (overrides: Partial<Config> = {}): Readonly<Config> {
  return loadConfig({}, {
    databaseUrl: TEST_DATABASE_URL,
    redisUrl: TEST_REDIS_URL,
    redisKeyPrefix: TEST_REDIS_PREFIX,
    databasePoolMax: 10,
    logLevel: 'silent',
    // No background load sampling: a CPU-heavy test run must not raise the load
    // level and tighten limits or shed requests mid-test. Tests of the sampler set it.
    loadSampleIntervalMs: 0,
    // Tests insert products through SQL, which the in-process match index hears of only through
    // invalidations: the database's search answers unless a test turns the index on (test/search/).
    searchMatchIndex: false,
    ...overrides
  })
}

export interface TestAppOptions {
  logger?: BuildOptions['logger']
  /** Runs before `ready()`: add test-only routes or hooks here. */
  setup?: (app: FastifyInstance) => void | Promise<void>
}

/** Builds the app on the test database, waits for `ready()`, and closes it after the test (or suite). */
export async function buildTestApp (t: Pick<TestContext, 'after'> | undefined, overrides: Partial<Config> = {}, opts: TestAppOptions = {}): Promise<FastifyInstance> {
  await ensureTestDb()
  const app = await buildApp(testConfig(overrides), { logger: opts.logger ?? false })
  await opts.setup?.(app)
  await app.ready()
  t?.after(() => app.close())
  return app
}

const TABLES = ['cart_items', 'reviews', 'order_items', 'orders', 'idempotency_keys', 'products', 'categories', 'users']

/** Empties every domain table (identities restart at 1). */
export async function resetDb (): Promise<void> {
  await ensureTestDb()
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
  try {
    const existing = await sql<{ tablename: string }[]>`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__drizzle_migrations'`
    const names = existing.map((r) => r.tablename).filter((n) => TABLES.includes(n) || !n.startsWith('__'))
    if (names.length > 0) await sql.unsafe(`TRUNCATE ${names.map((n) => `"${n}"`).join(', ')} RESTART IDENTITY CASCADE`)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** Deletes every Redis key under this process's prefix (SCAN, never KEYS). */
export async function flushRedisPrefix (app: FastifyInstance): Promise<void> {
  await deleteKeysUnder(app.redis.client, app.redis.prefix)
}
