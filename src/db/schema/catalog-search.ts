import { sql } from 'drizzle-orm'
import { index, integer, pgTable, text, varchar } from 'drizzle-orm/pg-core'

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

/**
 * Term statistics of catalog search: each lexeme of active products with the
 * number of products holding it anywhere (`ndoc`) and in their name or brand
 * (`ntitle`). The search reads them to choose its plan per query and to
 * decide which words to drop. Rebuilt with catalog_search_words by
 * catalog_refresh_search_vocabulary() (migration 0012).
 */
export const catalogSearchTerms = pgTable('catalog_search_terms', {
  lexeme: text('lexeme').primaryKey(),
  ndoc: integer('ndoc').notNull(),
  ntitle: integer('ntitle').notNull()
})
