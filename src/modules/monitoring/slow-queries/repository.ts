import { and, desc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../../db/client.js'
import { slowQueries } from '../../../db/schema/index.js'
import { timedQuery } from '../../../lib/observability/index.js'

export type SlowQueryRow = typeof slowQueries.$inferSelect
export type NewSlowQuery = Omit<typeof slowQueries.$inferInsert, 'id'>
export type SlowQueryReason = 'absolute' | 'relative'

/** Query names of this repository: the capture ignores them, so it never feeds on itself. */
export const SLOW_QUERIES_QUERY_PREFIX = 'slow_queries.'

export type SlowQueriesRepository = ReturnType<typeof createSlowQueriesRepository>

export function createSlowQueriesRepository (db: Database) {
  return {
    async insert (row: NewSlowQuery): Promise<void> {
      await timedQuery('slow_queries.insert', db.insert(slowQueries).values(row))
    },

    /** Newest first; each filter is optional. */
    list (limit: number, filter: { name?: string, reason?: SlowQueryReason, since?: Date } = {}): Promise<SlowQueryRow[]> {
      const conditions: SQL[] = []
      if (filter.name !== undefined) conditions.push(eq(slowQueries.name, filter.name))
      if (filter.reason !== undefined) conditions.push(eq(slowQueries.reason, filter.reason))
      if (filter.since !== undefined) conditions.push(gte(slowQueries.capturedAt, filter.since))
      return timedQuery('slow_queries.list', db.select().from(slowQueries).where(and(...conditions)).orderBy(desc(slowQueries.id)).limit(limit))
    },

    /** Keeps the newest `maxRows` rows captured after `before`. */
    async prune (maxRows: number, before: Date): Promise<void> {
      // lt() maps the Date through the column; a raw template would hand postgres.js a Date it cannot send.
      await timedQuery('slow_queries.prune', db.delete(slowQueries).where(or(lt(slowQueries.capturedAt, before),
        sql`${slowQueries.id} <= (SELECT id FROM ${slowQueries} ORDER BY id DESC OFFSET ${maxRows} LIMIT 1)`)))
    }
  }
}
