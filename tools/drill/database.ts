import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import postgres from 'postgres'
import { databaseName } from '../loadtest/db-copy.js'

/**
 * The drill's database work: the guard (a seeded catalog with its text
 * indexes), dropping the search text indexes, and restoring them exactly as
 * they were (their definitions are read from pg_indexes before the drop and
 * kept in a file until restored, so even a drill killed mid-run can be
 * repaired by the next one).
 */

/** The text indexes of product search (migration 0012): GIN always, RUM where the extension is installed. */
export const SEARCH_TEXT_INDEXES = ['products_search_vector_idx', 'products_title_rum_idx', 'products_search_rum_idx']

export interface IndexDefinition { name: string, definition: string }

/** Thrown when the database is not one the drill may run on; the message says why. */
export class DrillRefusal extends Error {}

const PENDING_FILE = path.join('.data', 'drill', 'pending-restore.json')

function connect (url: string): postgres.Sql {
  return postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
}

/** Refuses a database without the seeded catalog (at least `minProducts` active products) or without its search text index. */
export async function checkSeededCatalog (url: string, minProducts: number): Promise<{ products: number, indexes: string[] }> {
  const sql = connect(url)
  try {
    const [table] = await sql<{ exists: boolean }[]>`SELECT to_regclass('public.products') IS NOT NULL AS exists`
    if (!table.exists) throw new DrillRefusal(`${databaseName(url)} has no products table: migrate and seed it first (npm start does both)`)
    const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM products WHERE is_active`
    if (n < minProducts) {
      throw new DrillRefusal(`${databaseName(url)} has ${n} active products, fewer than --min-products ${minProducts}: the drill needs the seeded demo catalog (npm run seed)`)
    }
    const indexes = (await sql<{ name: string }[]>`
      SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND indexname = ANY(${SEARCH_TEXT_INDEXES}) ORDER BY indexname`).map((r) => r.name)
    if (!indexes.includes('products_search_vector_idx')) {
      throw new DrillRefusal(`${databaseName(url)} has no products_search_vector_idx: restore it first (the CREATE INDEX of migration 0012, or a pending restore in ${PENDING_FILE})`)
    }
    return { products: n, indexes }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

interface PendingRestore { database: string, indexes: IndexDefinition[] }

async function readPending (): Promise<PendingRestore | undefined> {
  if (!existsSync(PENDING_FILE)) return undefined
  return JSON.parse(await readFile(PENDING_FILE, 'utf8')) as PendingRestore
}

/**
 * Drops every search text index present, after writing their definitions
 * to the pending-restore file; returns the definitions.
 */
export async function dropSearchIndexes (url: string): Promise<IndexDefinition[]> {
  const sql = connect(url)
  try {
    const defs = await sql<IndexDefinition[]>`
      SELECT indexname AS name, indexdef AS definition FROM pg_indexes
      WHERE schemaname = 'public' AND indexname = ANY(${SEARCH_TEXT_INDEXES}) ORDER BY indexname`
    await mkdir(path.dirname(PENDING_FILE), { recursive: true })
    await writeFile(PENDING_FILE, JSON.stringify({ database: url, indexes: defs } satisfies PendingRestore, null, 2))
    for (const d of defs) await sql.unsafe(`DROP INDEX IF EXISTS "${d.name}"`)
    return defs
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/**
 * Builds the indexes again from their own definitions (as migration 0012
 * wrote them); `concurrently` when others use the database, so their writes
 * to products are not blocked meanwhile. Clears the pending-restore file.
 */
export async function restoreIndexes (url: string, defs: IndexDefinition[], concurrently: boolean): Promise<void> {
  const sql = connect(url)
  try {
    for (const d of defs) {
      const ddl = d.definition.replace(/^CREATE INDEX /, `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF NOT EXISTS `)
      await sql.unsafe(ddl)
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
  const pending = await readPending()
  if (pending?.database === url) await rm(PENDING_FILE, { force: true })
}

/** Restores what a drill killed before its cleanup left dropped on this database; returns their names. */
export async function restorePending (url: string, concurrently: boolean): Promise<string[]> {
  const pending = await readPending()
  if (!pending || pending.database !== url) return []
  await restoreIndexes(url, pending.indexes, concurrently)
  return pending.indexes.map((d) => d.name)
}

/** Search words of moderate frequency (the text index serves them, not a scan in rank order) and products for details. */
export async function loadDrillData (url: string): Promise<{ words: string[], productIds: number[], adminId?: number }> {
  const sql = connect(url)
  try {
    const [words, products, admins] = await Promise.all([
      sql<{ word: string }[]>`SELECT word FROM catalog_search_words WHERE ndoc BETWEEN 3 AND 500 ORDER BY word`,
      sql<{ id: number }[]>`SELECT id FROM products WHERE is_active ORDER BY id LIMIT 200`,
      sql<{ id: number }[]>`SELECT id FROM users WHERE user_type = 'admin' AND is_active ORDER BY (lower(email) = 'admin@techmart.local') DESC, id LIMIT 1`
    ])
    if (words.length === 0) throw new DrillRefusal(`${databaseName(url)} has no search vocabulary (catalog_search_words): start the app once so it builds it`)
    return { words: words.map((r) => r.word), productIds: products.map((r) => r.id), adminId: admins[0]?.id }
  } finally {
    await sql.end({ timeout: 5 })
  }
}
