import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { createDbClient, type Database, type Sql } from '../db/client.js'
import type { PoolMonitor } from '../lib/metrics/index.js'
import { withTimeout } from '../lib/timeout.js'
import { redactUrl } from '../lib/logging/index.js'

export interface DbPluginOptions {
  url: string
  /** Optional read replica; read-only catalog and monitoring queries may use it. */
  readUrl?: string
  max: number
  statementTimeoutMs: number
  connectTimeoutS: number
  /** Client-side deadline for a silent server (db/socket-deadline.ts). @default statementTimeoutMs + 1000 */
  responseTimeoutMs?: number
  /**
   * `url` is the embedded PGlite server of `npm start` (DATABASE_EMBEDDED):
   * one session shared by all its clients, so the pool must be one
   * connection (checked at boot). @default false
   */
  embedded?: boolean
}

export interface DbDecorator {
  /** Drizzle over the primary pool. */
  db: Database
  /** postgres.js tagged template over the primary pool (raw SQL, COPY, LISTEN). */
  sql: Sql
  /** Drizzle for reads that tolerate replica lag; the primary when no replica is set. */
  read: Database
  readSql: Sql
  /** Primary pool in-use / waiting counts (metrics). */
  pool: PoolMonitor
  /** True when the database answers `SELECT 1` within `timeoutMs`. */
  ping: (timeoutMs?: number) => Promise<boolean>
  /** The database is the embedded PGlite server (health and the dashboard show it). */
  embedded: boolean
}

declare module 'fastify' {
  interface FastifyInstance { db: DbDecorator }
}

const dbPlugin: FastifyPluginAsync<DbPluginOptions> = async (app, opts) => {
  // Two pooled connections to PGlite would run inside each other's transactions.
  if (opts.embedded && opts.max !== 1) throw new Error(`The embedded database serves one session: DATABASE_POOL_MAX must be 1, got ${opts.max}`)
  const timeouts = { statementTimeoutMs: opts.statementTimeoutMs, connectTimeoutS: opts.connectTimeoutS, responseTimeoutMs: opts.responseTimeoutMs }
  const primary = createDbClient({ url: opts.url, max: opts.max, ...timeouts })
  const replica = opts.readUrl
    ? createDbClient({ url: opts.readUrl, max: opts.max, ...timeouts, applicationName: 'techmart-read' })
    : undefined

  async function ping (timeoutMs = 1000): Promise<boolean> {
    try {
      return await withTimeout(primary.sql`SELECT 1`.then(() => true as const), timeoutMs, { resolve: false as const })
    } catch {
      return false
    }
  }

  // Boot fails fast, naming the URL, when the database is not there.
  try {
    await primary.sql`SELECT 1`
  } catch (err) {
    await primary.close().catch(() => {})
    throw new Error(`PostgreSQL at ${redactUrl(opts.url)} is not reachable: ${(err as Error).message}`, { cause: err })
  }

  app.decorate('db', {
    db: primary.db,
    sql: primary.sql,
    read: replica?.db ?? primary.db,
    readSql: replica?.sql ?? primary.sql,
    pool: primary.pool,
    ping,
    embedded: opts.embedded === true
  })
  app.addHook('onClose', async () => {
    await Promise.all([primary.close(), replica?.close()])
  })
}

export default fp(dbPlugin, { name: 'db', fastify: '5.x' })
