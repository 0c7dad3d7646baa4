import postgres from 'postgres'
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import * as schema from './schema/index.js'
import { instrumentPool, type PoolMonitor } from '../lib/pool-stats.js'

export type Database = PostgresJsDatabase<typeof schema>
export type Sql = postgres.Sql

export interface DbClientOptions {
  url: string
  /** Connections in the pool. @default 20 */
  max?: number
  /** Server-side `statement_timeout` so no query holds a request forever. @default 5000 */
  statementTimeoutMs?: number
  /** Seconds to wait for a new connection. @default 5 */
  connectTimeoutS?: number
  /** Name shown in `pg_stat_activity`. */
  applicationName?: string
}

export interface DbClient {
  sql: Sql
  db: Database
  /** In-use / waiting counts of this pool (see lib/pool-stats.ts for what is measured). */
  pool: PoolMonitor
  close: () => Promise<void>
}

/** Creates one bounded postgres.js pool and its Drizzle wrapper. Nothing connects until the first query. */
export function createDbClient (opts: DbClientOptions): DbClient {
  const max = opts.max ?? 20
  const raw = postgres(opts.url, {
    max,
    connect_timeout: opts.connectTimeoutS ?? 5,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: {
      application_name: opts.applicationName ?? 'techmart',
      statement_timeout: opts.statementTimeoutMs ?? 5000
    }
  })
  // Every query goes through the counting wrapper, Drizzle's included.
  const { sql, monitor } = instrumentPool(raw, max)
  const db = drizzle(sql, { schema })
  return { sql, db, pool: monitor, close: () => raw.end({ timeout: 5 }) }
}
