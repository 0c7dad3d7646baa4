import { sql } from 'drizzle-orm'
import { index, integer, pgTable, varchar } from 'drizzle-orm/pg-core'

/**
 * The spelling vocabulary of catalog search: the distinct words of active
 * product names and brands with the number of products using each. A
 * misspelled query word is replaced by its most similar word here (pg_trgm)
 * when the full-text search finds nothing. Derived data, rebuilt by the
 * catalog's background job (src/modules/catalog/catalog.words.ts).
 */
export const catalogSearchWords = pgTable('catalog_search_words', {
  word: varchar('word', { length: 64 }).primaryKey(),
  ndoc: integer('ndoc').notNull()
}, (t) => [
  index('catalog_search_words_trgm_idx').using('gin', sql`${t.word} gin_trgm_ops`)
])
