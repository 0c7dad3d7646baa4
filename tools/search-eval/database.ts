/**
 * A catalog of the evaluation's own: a `*_test` database seeded with the
 * seed's library at given sizes, reused while it holds the same seed, sizes,
 * migrations and seed code (a fingerprint recorded as the database's
 * comment), so repeated runs skip the seed.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { MIGRATIONS_FOLDER, ensureDatabase, runMigrations, assertResettable, seedDatabase, type SeedSizes } from '../../src/public.js'

/** Small enough to seed in seconds, large enough that names repeat and broad words match hundreds. */
export const EVAL_SEED_SIZES: Readonly<SeedSizes> = Object.freeze({
  products: 4000, categories: 100, users: 200, orders: 1000, reviews: 4000, carts: 0, seed: 42
})
const DEMO_PASSWORD = 'search-eval-password'
// Timestamps follow this instant, so a reseed is identical in every column.
const SEED_NOW = new Date('2026-01-01T00:00:00Z')

export interface PreparedDatabase { reused: boolean, seedMs: number }

const SEED_FOLDER = fileURLToPath(new URL('../../src/db/seed/', import.meta.url))

async function hashFiles (hash: ReturnType<typeof createHash>, dir: string, ext: string): Promise<void> {
  for (const name of (await readdir(dir)).filter((n) => n.endsWith(ext)).sort()) {
    hash.update(name).update(await readFile(join(dir, name)))
  }
}

/**
 * Seed sizes plus a hash of the migrations and the seed's code: a migration
 * edited after it was applied, or a changed generator, makes the catalog stale.
 */
async function fingerprint (sizes: SeedSizes): Promise<string> {
  const hash = createHash('sha256')
  await hashFiles(hash, MIGRATIONS_FOLDER, '.sql')
  await hashFiles(hash, SEED_FOLDER, '.ts')
  return `search-eval ${JSON.stringify(sizes)} ${hash.digest('hex').slice(0, 16)}`
}

async function currentLabel (url: string): Promise<string | null> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<{ comment: string | null, products: string }[]>`
      SELECT shobj_description(d.oid, 'pg_database') AS comment, (SELECT count(*) FROM products) AS products
      FROM pg_database d WHERE d.datname = current_database()`
    return Number(row.products) > 0 ? row.comment : null
  } catch {
    return null
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** Drops the database of `url` (its name was checked to end in `_test`), closing the connections still open to it. */
async function dropDatabase (url: string): Promise<void> {
  const admin = new URL(url)
  const name = decodeURIComponent(admin.pathname.slice(1))
  admin.pathname = '/postgres'
  const sql = postgres(admin.href, { max: 1, onnotice: () => {} })
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/**
 * Creates, migrates and seeds `url` (its name must end in `_test`), unless it
 * already holds this fingerprint. Otherwise the database is dropped and made
 * anew, so migrations (edited ones included) and the vocabulary start clean;
 * the app builds the vocabulary after it starts.
 */
export async function prepareEvalDatabase (url: string, sizes: SeedSizes = EVAL_SEED_SIZES): Promise<PreparedDatabase> {
  assertResettable(url, false)
  const label = await fingerprint(sizes)
  const exists = await ensureDatabase(url).then((created) => !created)
  if (exists && await currentLabel(url) === label) {
    await runMigrations(url)
    return { reused: true, seedMs: 0 }
  }
  if (exists) {
    await dropDatabase(url)
    await ensureDatabase(url)
  }
  await runMigrations(url)
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const summary = await seedDatabase(sql, { ...sizes, demoPassword: DEMO_PASSWORD, now: SEED_NOW })
    await sql.unsafe(`COMMENT ON DATABASE "${new URL(url).pathname.slice(1)}" IS '${label.replaceAll("'", "''")}'`)
    return { reused: false, seedMs: summary.durationMs }
  } finally {
    await sql.end({ timeout: 5 })
  }
}
