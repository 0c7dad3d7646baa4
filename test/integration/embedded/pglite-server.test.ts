/**
 * The embedded PostgreSQL server (PGlite over the wire protocol) as the
 * app's driver sees it: postgres.js queries, COPY FROM STDIN (which PGlite
 * cannot take message by message), transactions of two clients kept apart
 * on PGlite's single session, clean-up after a client vanishes, the data
 * folder lock and the connection cap.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import postgres from 'postgres'
import { copyRows } from '../../../src/db/seed/copy.js'
import { DataDirLockedError } from '../../../src/embedded/data-lock.js'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/embedded/pglite-server.js'
import { freePort } from '../../support/ports.js'

describe('embedded PostgreSQL server', { timeout: 180_000 }, () => {
  let dir: string
  let pg: EmbeddedPostgres
  /** A one-connection postgres.js client, ended after the test. */
  const client = (t: TestContext) => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {}, connect_timeout: 10 })
    t.after(() => sql.end({ timeout: 1 }))
    return sql
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'techmart-pglite-'))
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: await freePort(55400, 55499), maxConnections: 4 })
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
    await sql`CREATE TABLE kv (k int PRIMARY KEY, v text NOT NULL)`
    await sql.end()
  })

  after(async () => {
    await pg?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  test('answers postgres.js with the extensions the catalog needs', async (t) => {
    const sql = client(t)
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`
    await sql`CREATE EXTENSION IF NOT EXISTS fuzzystrmatch`
    const [row] = await sql`SELECT ${41}::int + 1 AS answer, similarity('phone', 'phones') > 0.5 AS trgm, levenshtein('galaxy', 'galxy') AS lev`
    assert.deepEqual(row, { answer: 42, trgm: true, lev: 1 })
  })

  test("COPY FROM STDIN (the seed's loader) loads rows; a bad row fails the COPY and its transaction, and the client carries on", async (t) => {
    const sql = client(t)
    const loaded = await sql.begin(async (tx) => {
      const written = await copyRows(tx, 'kv', ['k', 'v'], [[100, 'hundred'], [101, 'tab\there'], [102, 'plain']])
      const [row] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM kv WHERE k >= 100`
      return { written, n: row.n }
    })
    assert.deepEqual(loaded, { written: 3, n: 3 })
    assert.equal((await sql<{ v: string }[]>`SELECT v FROM kv WHERE k = 101`)[0].v, 'tab\there')

    await assert.rejects(sql.begin(async (tx) => {
      await tx`INSERT INTO kv VALUES (200, 'inside the failed transaction')`
      await copyRows(tx, 'kv', ['k', 'v'], [[201, 'ok'], [202, null]])
    }), /null value in column "v"/)
    assert.equal((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM kv WHERE k >= 200`)[0].n, 0)
  })

  test("another client's statement waits for an open transaction instead of joining it", async (t) => {
    const a = client(t)
    const b = client(t)
    let bDone = false
    let bInsert: Promise<unknown> | undefined
    await assert.rejects(a.begin(async (tx) => {
      await tx`INSERT INTO kv VALUES (300, 'rolled back with a')`
      bInsert = b`INSERT INTO kv VALUES (301, 'b, on its own')`.then(() => { bDone = true })
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.equal(bDone, false, "b's insert waits while a's transaction is open")
      throw new Error('roll a back')
    }), /roll a back/)
    await bInsert
    const rows = await b<{ k: number }[]>`SELECT k FROM kv WHERE k IN (300, 301) ORDER BY k`
    assert.deepEqual(rows.map((r) => r.k), [301])
  })

  test('a client that disconnects inside a transaction is rolled back and does not block the others', async (t) => {
    const quitter = postgres(pg.url, { max: 1, onnotice: () => {} })
    const reserved = await quitter.reserve()
    await reserved`BEGIN`
    await reserved`INSERT INTO kv VALUES (400, 'never committed')`
    await quitter.end({ timeout: 0 })
    const other = client(t)
    const rows = await other<{ n: number }[]>`SELECT count(*)::int AS n FROM kv WHERE k = 400`
    assert.equal(rows[0].n, 0)
  })

  test('clients past maxConnections get a FATAL "too many clients"', async () => {
    // Clients of the earlier tests count until the server has cleaned up after them.
    while (pg.clients() > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    const held = await Promise.all([0, 1, 2, 3].map(async () => {
      const sql = postgres(pg.url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
      return { sql, conn: await sql.reserve() }
    }))
    try {
      const extra = postgres(pg.url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
      await assert.rejects(extra`SELECT 1`, (err: Error & { code?: string }) => err.code === '53300' && /too many clients/.test(err.message))
      await extra.end({ timeout: 0 })
    } finally {
      for (const h of held) h.conn.release()
      await Promise.all(held.map((h) => h.sql.end({ timeout: 1 })))
    }
  })

  test('a second server on the same data folder is refused while the first runs', async () => {
    await assert.rejects(startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: 0 }), (err: Error) => {
      assert.ok(err instanceof DataDirLockedError)
      assert.equal(err.pid, process.pid)
      assert.match(err.message, /in use by process \d+/)
      return true
    })
    assert.ok(existsSync(`${join(dir, 'data')}.lock`))
  })
})
