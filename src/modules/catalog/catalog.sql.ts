import type postgres from 'postgres'
import { timedQuery } from '../../lib/observability/index.js'

interface Built { statement?: { string: string } | null, parameters?: unknown[] }

/**
 * timedQuery for a postgres.js query built from nested fragments. Its
 * template parts alone do not make the SQL that ran; postgres.js keeps the
 * final statement on the query once it has run, so slow-query capture (which
 * reads it afterwards, for EXPLAIN) gets the real text and parameter count.
 */
export function timedSql<T extends readonly postgres.MaybeRow[]> (name: string, query: postgres.PendingQuery<T>): Promise<postgres.RowList<T>> {
  const built = query as unknown as Built
  const describable = Object.assign(query, {
    toSQL: () => built.statement ? { sql: built.statement.string, params: built.parameters ?? [] } : undefined
  })
  return timedQuery(name, describable)
}
