import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../../db/client.js'
import type { TextIndex } from './catalog.search.js'
import { timedSql } from './catalog.sql.js'

const RUM_INDEXES = ['products_title_rum_idx', 'products_search_rum_idx']

/**
 * Which text index the read database offers. Migration 0012 builds the RUM
 * indexes where the extension is installed; without them (the embedded
 * PGlite, a server without postgresql-15-rum) search takes every match of a
 * narrow word through GIN and sorts it, with the same results, slower for
 * words in thousands of products. Said once at start.
 */
export function createTextIndexProbe (deps: { readSql: Sql, log: FastifyBaseLogger, setting: 'auto' | 'gin' }) {
  let index: TextIndex = 'gin'

  async function probe (): Promise<TextIndex> {
    if (deps.setting === 'gin') {
      deps.log.info({ textIndex: 'gin' }, 'search: GIN text index (SEARCH_TEXT_INDEX=gin)')
      index = 'gin'
      return index
    }
    const [row] = await timedSql('catalog.text_index', deps.readSql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY(${RUM_INDEXES}::text[])`)
    index = row.n === RUM_INDEXES.length ? 'rum' : 'gin'
    if (index === 'rum') deps.log.info({ textIndex: 'rum' }, 'search: RUM text index')
    else deps.log.warn({ textIndex: 'gin' }, 'search: RUM indexes not found (extension rum not installed when migrating); using GIN, slower for words in thousands of products')
    return index
  }

  return { probe, current: (): TextIndex => index }
}
