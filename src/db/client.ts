import postgres from 'postgres'
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import * as schema from './schema/index.js'
import { instrumentPool, type PoolMonitor } from '../lib/metrics/index.js'
import { createDeadlineSocketFactory, type SocketFactory } from './socket-deadline.js'

/**
 * Longest wait before a closed connection dials again after failures.
 * postgres.js' own backoff grows to 20 s (3^failures / 100 s): after a few
 * seconds of outage each new query would wait that long before failing, and
 * the first queries after the database comes back as well. Capped, a query
 * during an outage fails within this plus the connect attempt, and recovery
 * takes at most this; each pooled connection still dials at most this often.
 */
const RECONNECT_BACKOFF_MAX_S = 0.25

/** Seconds before reconnecting after `failures` failed connections in a row: 10 ms × 3^n, capped, jittered. */
function reconnectBackoff (failures: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.01 * 3 ** failures, RECONNECT_BACKOFF_MAX_S)
}

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
  /**
   * Client-side deadline: a connection whose server sends nothing this long
   * after a query is closed and its queries fail with APP_DATABASE_TIMEOUT
   * (db/socket-deadline.ts). Must exceed `statementTimeoutMs`.
   * @default statementTimeoutMs + 1000
   */
  responseTimeoutMs?: number
  /** Name shown in `pg_stat_activity`. */
  applicationName?: string
}

export interface DbClient {
  sql: Sql
  db: Database
  /** In-use / waiting counts of this pool (see lib/metrics/pool-stats.ts for what is measured). */
  pool: PoolMonitor
  close: () => Promise<void>
}

/**
 * Drizzle sends its queries through `unsafe` unnamed (`prepare: false` unless
 * `.prepare(name)` is called), so PostgreSQL parses and plans every execution:
 * for the small hot queries planning cost more than running them (cart.list
 * 0.40 ms planning against 0.17 ms executing in pg_stat_statements). A query
 * with parameters is a single statement, so it is prepared per connection
 * instead, as postgres.js does for tagged templates; postgres.js re-prepares
 * when a schema change invalidates a statement. Parameterless `unsafe` calls
 * (DDL, several statements) stay unnamed. Each connection keeps the statements
 * it prepared until it is recycled (`max_lifetime`, 30 minutes), which bounds
 * them when query texts vary (IN lists of different lengths). Not for a
 * transaction-mode pooler (PgBouncer), which cannot keep prepared statements;
 * this app has its own pool.
 */
function prepareParameterizedQueries (sql: postgres.Sql<Record<string, unknown>>): void {
  const unsafe = sql.unsafe.bind(sql)
  sql.unsafe = ((query: string, args?: unknown[], options?: postgres.UnsafeQueryOptions) =>
    unsafe(query, args as postgres.ParameterOrJSON<never>[], args !== undefined && args.length > 0 ? { ...options, prepare: true } : options)) as typeof sql.unsafe
}

/** Creates one bounded postgres.js pool and its Drizzle wrapper. Nothing connects until the first query. */
export function createDbClient (opts: DbClientOptions): DbClient {
  const max = opts.max ?? 20
  const statementTimeoutMs = opts.statementTimeoutMs ?? 5000
  const responseTimeoutMs = opts.responseTimeoutMs ?? statementTimeoutMs + 1000
  // Below the statement timeout, a slow but healthy query would be taken for a silent server.
  if (responseTimeoutMs <= statementTimeoutMs) {
    throw new Error(`The database response timeout (${responseTimeoutMs} ms) must exceed the statement timeout (${statementTimeoutMs} ms)`)
  }
  // `socket` is documented in postgres.js' README ("Custom socket") but missing from its types.
  const options: postgres.Options<Record<string, never>> & { socket: SocketFactory } = {
    max,
    connect_timeout: opts.connectTimeoutS ?? 5,
    socket: createDeadlineSocketFactory(responseTimeoutMs),
    backoff: reconnectBackoff,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: {
      application_name: opts.applicationName ?? 'techmart',
      statement_timeout: statementTimeoutMs
    }
  }
  const raw = postgres(opts.url, options)
  prepareParameterizedQueries(raw)
  // Every query goes through the counting wrapper, Drizzle's included.
  const { sql, monitor } = instrumentPool(raw, max)
  const db = drizzle(sql, { schema })
  return { sql, db, pool: monitor, close: () => raw.end({ timeout: 5 }) }
}
