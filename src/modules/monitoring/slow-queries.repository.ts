import { desc, eq, lt, or, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { slowQueries } from '../../db/schema/index.js'
import { timedQuery } from '../../lib/instrumentation.js'

export type SlowQueryRow = typeof slowQueries.$inferSelect
export type NewSlowQuery = Omit<typeof slowQueries.$inferInsert, 'id'>

/** Query names of this repository: the capture ignores them, so it never feeds on itself. */
export const SLOW_QUERIES_QUERY_PREFIX = 'slow_queries.'

export type SlowQueriesRepository = ReturnType<typeof createSlowQueriesRepository>

export function createSlowQueriesRepository (db: Database) {
  return {
    async insert (row: NewSlowQuery): Promise<void> {
      await timedQuery('slow_queries.insert', db.insert(slowQueries).values(row))
    },

    list (limit: number, name?: string): Promise<SlowQueryRow[]> {
      const q = db.select().from(slowQueries)
      return timedQuery('slow_queries.list', (name ? q.where(eq(slowQueries.name, name)) : q).orderBy(desc(slowQueries.id)).limit(limit))
    },

    /** Keeps the newest `maxRows` rows captured after `before`. */
    async prune (maxRows: number, before: Date): Promise<void> {
      // lt() maps the Date through the column; a raw template would hand postgres.js a Date it cannot send.
      await timedQuery('slow_queries.prune', db.delete(slowQueries).where(or(lt(slowQueries.capturedAt, before),
        sql`${slowQueries.id} <= (SELECT id FROM ${slowQueries} ORDER BY id DESC OFFSET ${maxRows} LIMIT 1)`)))
    }
  }
}
