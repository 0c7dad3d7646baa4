import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../../db/client.js'
import { timedSql } from './catalog.sql.js'
import { WORDS_REFRESH_LOCK_ID } from './catalog.keys.js'

// The first refresh waits for the process to settle (many workers may start together).
const STARTUP_DELAY_MS = 5000
// Product writes schedule a refresh this long after the last one, so a burst of writes costs one refresh.
const AFTER_WRITE_DELAY_MS = 30_000
// ts_stat over every active product name: seconds at 500,000 rows, more than the request timeout allows.
const REFRESH_STATEMENT_TIMEOUT = '120s'
/** Words shorter than this are never corrected: too many near neighbours. */
export const MIN_CORRECTABLE_LENGTH = 3

export interface WordSuggestion { word: string, known: boolean, suggestion: string | null }

/**
 * The search vocabulary: distinct words of active product names and brands
 * (`catalog_search_words`, trigram-indexed, for spelling correction) and the
 * document frequency of every lexeme (`catalog_search_terms`, for plan
 * choice and word dropping), rebuilt by a background job
 * rather than by triggers, so bulk loads and the constant stock updates of
 * orders pay nothing. One instance at a time refreshes (advisory lock); a
 * new product's words become correctable within a refresh interval.
 */
export function createWordsRefresher (deps: { sql: Sql, readSql: Sql, log: FastifyBaseLogger, intervalS: number }) {
  const { sql, log } = deps
  let interval: NodeJS.Timeout | undefined
  let soon: NodeJS.Timeout | undefined
  let stopped = false
  let built = false
  let version = 0

  /** Rebuilds the vocabulary; false when another instance holds the refresh lock. */
  async function refresh (): Promise<boolean> {
    return sql.begin(async (tx) => {
      const [lock] = await tx<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(${WORDS_REFRESH_LOCK_ID}) AS ok`
      // Another instance is rebuilding it now: the vocabulary exists.
      if (!lock.ok) { built = true; return false }
      await tx.unsafe(`SET LOCAL statement_timeout = '${REFRESH_STATEMENT_TIMEOUT}'`)
      // Spelling words and term statistics together (migration 0012 defines the function).
      await timedSql('catalog.refresh_words', tx`SELECT catalog_refresh_search_vocabulary()`)
      built = true
      version++
      return true
    })
  }

  function runInBackground (): void {
    refresh().catch((err) => log.warn({ err }, 'search vocabulary refresh failed; spelling correction uses the previous one'))
  }

  return {
    refresh,

    /** True once this process has seen the vocabulary rebuilt (by itself or, through the lock, by another instance). */
    ready: (): boolean => built,

    /** Counts this process's rebuilds: what was read from the vocabulary before a change of version may be stale. */
    version: (): number => version,

    /**
     * For each word: whether the vocabulary knows it, and its closest known
     * word. Candidates come from the trigram index (shared letter runs, any
     * position) and from words with the same first letter and a similar
     * length (transpositions in short words share few trigrams); the fewest
     * edits win, then trigram similarity, then the more common word.
     */
    suggest (words: string[]): Promise<WordSuggestion[]> {
      return timedSql('catalog.suggest_words', deps.readSql<WordSuggestion[]>`
        SELECT q.word,
          EXISTS (SELECT 1 FROM catalog_search_words w WHERE w.word = q.word) AS known,
          (SELECT c.word FROM (
             SELECT w.word, w.ndoc FROM catalog_search_words w WHERE w.word % q.word
             UNION
             SELECT w.word, w.ndoc FROM catalog_search_words w
             WHERE left(w.word, 1) = left(q.word, 1) AND length(w.word) BETWEEN length(q.word) - 2 AND length(q.word) + 2
           ) c
           -- One edit for words of up to 4 letters, two up to 8, three beyond.
           WHERE levenshtein(c.word, q.word) <= CASE WHEN length(q.word) <= 4 THEN 1 WHEN length(q.word) <= 8 THEN 2 ELSE 3 END
           ORDER BY levenshtein(c.word, q.word), similarity(c.word, q.word) DESC, c.ndoc DESC, c.word
           LIMIT 1) AS suggestion
        FROM unnest(${words}::text[]) WITH ORDINALITY AS q(word, pos)
        ORDER BY q.pos`)
    },

    /** Starts the periodic refresh (none when the interval is 0). */
    start (): void {
      if (deps.intervalS <= 0) return
      soon = setTimeout(runInBackground, STARTUP_DELAY_MS).unref()
      interval = setInterval(runInBackground, deps.intervalS * 1000).unref()
    },

    /** A refresh soon after product writes settle. */
    afterWrite (): void {
      if (stopped) return
      clearTimeout(soon)
      soon = setTimeout(runInBackground, AFTER_WRITE_DELAY_MS).unref()
    },

    stop (): void {
      stopped = true
      clearTimeout(soon)
      clearInterval(interval)
    }
  }
}

export type WordsRefresher = ReturnType<typeof createWordsRefresher>
