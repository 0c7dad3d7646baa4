/**
 * A catalog of the evaluation's own: a `*_test` database seeded with the
 * seed's library at given sizes, reused while it holds the same seed and
 * sizes (recorded as the database's comment), so repeated runs skip the seed.
 */
import postgres from 'postgres'
import { ensureDatabase, runMigrations } from '../../src/db/migrate.js'
import { assertResettable, resetDatabase, seedDatabase, type SeedSizes } from '../../src/db/seed/index.js'
import { VOCABULARY_TABLES } from './run.js'

/** Small enough to seed in seconds, large enough that names repeat and broad words match hundreds. */
export const EVAL_SEED_SIZES: Readonly<SeedSizes> = Object.freeze({
  products: 4000, categories: 100, users: 200, orders: 1000, reviews: 4000, carts: 0, seed: 42
})
const DEMO_PASSWORD = 'search-eval-password'
// Timestamps follow this instant, so a reseed is identical in every column.
const SEED_NOW = new Date('2026-01-01T00:00:00Z')

export interface PreparedDatabase { reused: boolean, seedMs: number }

const label = (sizes: SeedSizes): string => `search-eval ${JSON.stringify(sizes)}`

/**
 * Creates, migrates and seeds `url` (its name must end in `_test`), unless it
 * already holds this seed at these sizes. A reseed also empties the spelling
 * vocabulary, which the app rebuilds from the new names after it starts.
 */
export async function prepareEvalDatabase (url: string, sizes: SeedSizes = EVAL_SEED_SIZES): Promise<PreparedDatabase> {
  assertResettable(url, false)
  await ensureDatabase(url)
  await runMigrations(url)
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<{ comment: string | null, products: string }[]>`
      SELECT shobj_description(d.oid, 'pg_database') AS comment, (SELECT count(*) FROM products) AS products
      FROM pg_database d WHERE d.datname = current_database()`
    if (row.comment === label(sizes) && Number(row.products) > 0) return { reused: true, seedMs: 0 }
    await resetDatabase(sql)
    for (const table of VOCABULARY_TABLES) {
      const [{ exists }] = await sql<{ exists: boolean }[]>`SELECT to_regclass(${table}) IS NOT NULL AS exists`
      if (exists) await sql`DELETE FROM ${sql(table)}`
    }
    const summary = await seedDatabase(sql, { ...sizes, demoPassword: DEMO_PASSWORD, now: SEED_NOW })
    await sql.unsafe(`COMMENT ON DATABASE "${new URL(url).pathname.slice(1)}" IS '${label(sizes).replaceAll("'", "''")}'`)
    return { reused: false, seedMs: summary.durationMs }
  } finally {
    await sql.end({ timeout: 5 })
  }
}
