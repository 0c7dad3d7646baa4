import { spawn } from 'node:child_process'
import postgres from 'postgres'

/**
 * Copies of the demo database for before/after measurements, so the demo
 * data is never altered: `CREATE DATABASE ... TEMPLATE` when nobody is
 * connected to the source (a file-level copy, seconds), else `pg_dump | psql`
 * (works while others use it). The "before" copy then loses its search and
 * composite indexes.
 */

const NAME = /^[a-z0-9_]+$/

function withDatabase (url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.href
}

export function databaseName (url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1))
}

function adminSql (url: string): postgres.Sql {
  return postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {}, connect_timeout: 5 })
}

function pipeDump (sourceUrl: string, targetUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const dump = spawn('pg_dump', ['--no-owner', '--no-privileges', '--dbname', sourceUrl], { stdio: ['ignore', 'pipe', 'inherit'] })
    const load = spawn('psql', ['--quiet', '--set', 'ON_ERROR_STOP=1', '--dbname', targetUrl], { stdio: ['pipe', 'ignore', 'inherit'] })
    dump.stdout.pipe(load.stdin)
    let failed = false
    const fail = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true
        reject(new Error(`${what} exited with ${code}`))
      }
    }
    dump.on('exit', fail('pg_dump'))
    dump.on('error', reject)
    load.on('error', reject)
    load.on('exit', (code) => {
      fail('psql')(code)
      if (code === 0 && !failed) resolve()
    })
  })
}

/** Creates `name` as a copy of the database at `sourceUrl` (replacing an old copy); returns its URL. */
export async function copyDatabase (sourceUrl: string, name: string, log: (line: string) => void): Promise<string> {
  if (!NAME.test(name)) throw new Error(`Refusing an unusual database name '${name}'`)
  const source = databaseName(sourceUrl)
  if (source === name) throw new Error('A copy needs a name different from its source')
  const sql = adminSql(sourceUrl)
  const targetUrl = withDatabase(sourceUrl, name)
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    try {
      await sql.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${source}"`)
      log(`copied ${source} to ${name} (template)`)
      return targetUrl
    } catch (err) {
      // 55006: the source has other sessions; a template copy needs it idle.
      if ((err as { code?: string }).code !== '55006') throw err
    }
    await sql.unsafe(`CREATE DATABASE "${name}"`)
  } finally {
    await sql.end({ timeout: 5 })
  }
  log(`copying ${source} to ${name} with pg_dump | psql (the source is in use)`)
  await pipeDump(sourceUrl, targetUrl)
  return targetUrl
}

/**
 * Ends every session still open on database `name` (queries a stopped server
 * left running until their statement timeout), so the next measured run does
 * not share the CPU with them.
 */
export async function endSessions (url: string, name: string): Promise<number> {
  const sql = adminSql(url)
  try {
    const rows = await sql<{ ended: boolean }[]>`
      SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = ${name} AND pid <> pg_backend_pid()`
    return rows.filter((r) => r.ended).length
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export async function dropDatabase (url: string, name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`Refusing an unusual database name '${name}'`)
  const sql = adminSql(url)
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** Tables whose secondary indexes the performance work added. */
const INDEXED_TABLES = ['products', 'categories', 'orders', 'order_items', 'reviews', 'cart_items']

export interface DroppedIndex { name: string, definition: string }

/**
 * Drops the search (GIN: full-text, trigram) and composite or partial
 * B-tree indexes of the catalogue and order tables; primary keys and unique
 * indexes stay (constraints and ON CONFLICT need them). Runs ANALYZE so the
 * planner knows. Returns what was dropped, for the report.
 */
export async function dropSearchAndCompositeIndexes (url: string): Promise<DroppedIndex[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    const rows = await sql<{ name: string, definition: string }[]>`
      SELECT i.indexname AS name, i.indexdef AS definition
      FROM pg_indexes i
      JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = 'public'::regnamespace
      JOIN pg_index x ON x.indexrelid = c.oid
      WHERE i.schemaname = 'public' AND i.tablename = ANY(${INDEXED_TABLES})
        AND NOT x.indisunique AND NOT x.indisprimary
        AND (i.indexdef ~ 'USING gin' OR x.indnatts > 1 OR x.indpred IS NOT NULL)
      ORDER BY i.tablename, i.indexname`
    for (const r of rows) await sql.unsafe(`DROP INDEX "${r.name}"`)
    await sql`ANALYZE`
    return rows
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** ANALYZE, so both copies start with fresh planner statistics. */
export async function analyze (url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await sql`ANALYZE`
  } finally {
    await sql.end({ timeout: 5 })
  }
}
