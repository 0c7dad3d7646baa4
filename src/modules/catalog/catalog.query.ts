import type { Sql } from '../../db/client.js'
import { CatalogTags } from './catalog.keys.js'
import { timedSql } from './catalog.sql.js'
import { MIN_CORRECTABLE_LENGTH, type WordsRefresher } from './catalog.words.js'
import type { MatchIndex } from './catalog.match-index.js'

/** A last word this long or longer may match as a prefix (as-you-type). */
const MIN_PREFIX_LENGTH = 3
/** Searches of more words than this keep the first ones. */
const MAX_WORDS = 12
/** Word analyses kept in process (about 200 bytes each), and for how long at most. */
const MAX_CACHED_WORDS = 20_000
const ANALYSIS_TTL_MS = 300_000
/** Any product write invalidates this tag (catalog.service.ts), so a cached word may have changed. */
const CATALOG_CHANGED_TAG = CatalogTags.scope('all', 'base')

/** One word of the query as the search index sees it. */
export interface QueryWord {
  /** Position in the query (1-based). */
  pos: number
  /** The word as typed (lowercased). */
  typed: string
  /** The word searched: as typed, or its spelling correction. */
  text: string
  /** Its lexemes through the documents' own tokenization (empty for a stop word). */
  lexemes: string[]
  /** Matches the lexemes as prefixes (the last word, typed partly). */
  prefix: boolean
  /** Active products holding every lexeme somewhere (lowest lexeme count: an upper bound). */
  ndoc: number
  /** The same in names and brands. */
  ntitle: number
}

/** What the text search runs: the words kept, and what became of the others. */
export interface TextQuery {
  /** The query as the client sent it, whitespace collapsed. */
  q: string
  /** Words that must all match. */
  words: QueryWord[]
  /** Words left out because nothing matched with them, in query order. */
  dropped: string[]
  /** The query with its spelling corrections, when a word was corrected. */
  corrected?: string
  /** Active products (planner statistics): the scale for choosing a plan. */
  catalogSize: number
}

interface AnalyzedRow {
  pos: number
  word: string
  lexemes: string[]
  ndoc: number
  ntitle: number
  prefix_ndoc: number
  prefix_ntitle: number
  catalog_size: number
}

/** Quotes a lexeme for a tsquery literal. */
function quote (lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
}

/** The tsquery literal of these words: every lexeme required, prefixes marked `:*`. */
export function tsqueryOf (words: QueryWord[]): string {
  return words.flatMap((w) => w.lexemes.map((l) => w.prefix ? `${quote(l)}:*` : quote(l))).join(' & ')
}

/** The words of a query as typed: lowercased, split on whitespace. */
export function splitWords (q: string): string[] {
  return q.normalize('NFKC').toLowerCase().split(/\s+/).filter((w) => w.length > 0).slice(0, MAX_WORDS)
}

/**
 * Query analysis against the search vocabulary. Every word goes through
 * catalog_search_text() and to_tsvector('english'), the documents' own
 * tokenization, so "9.4", "WH-1000XM5" or "S24+" become exactly the lexemes
 * the products hold. Each word comes back with its document frequencies
 * (catalog_search_terms), which decide the plan, the words to drop and the
 * estimate of the total.
 */
export function createQueryAnalyzer (deps: { readSql: Sql, words: WordsRefresher, onInvalidate: (listener: (tags: string[]) => void) => void }) {
  const { readSql } = deps

  /**
   * Each word's analysis, kept per word (the vocabulary is finite and words
   * repeat across queries): a search of known words then needs no analysis
   * statement. Entries are dropped when the catalog changes (any product
   * write: a new product may bring new words) or the vocabulary is rebuilt,
   * and after ANALYSIS_TTL_MS.
   */
  const cache = new Map<string, { row: AnalyzedRow, at: number }>()
  let vocabulary = deps.words.version()
  deps.onInvalidate((tags) => { if (tags.includes(CATALOG_CHANGED_TAG)) cache.clear() })

  function cached (word: string, prefix: boolean): AnalyzedRow | undefined {
    if (deps.words.version() !== vocabulary) {
      cache.clear()
      vocabulary = deps.words.version()
    }
    const hit = cache.get(`${prefix ? 1 : 0}${word}`)
    return hit !== undefined && performance.now() - hit.at < ANALYSIS_TTL_MS ? hit.row : undefined
  }

  function remember (row: AnalyzedRow, prefix: boolean): void {
    if (cache.size >= MAX_CACHED_WORDS) cache.delete(cache.keys().next().value!)
    cache.set(`${prefix ? 1 : 0}${row.word}`, { row, at: performance.now() })
  }

  /**
   * Lexemes and frequencies of each word: from the match index when it knows
   * the word (exact counts, no statement), else from the cache, else one
   * statement for the others; `prefixLast` also looks the last word up as a prefix.
   */
  async function lookup (words: string[], prefixLast: boolean, index: MatchIndex | undefined): Promise<AnalyzedRow[]> {
    const prefixes = words.map((_, i) => prefixLast && i === words.length - 1)
    const rows: (AnalyzedRow | undefined)[] = words.map((w, i) => fromIndex(index, w, prefixes[i]) ?? cached(w, prefixes[i]))
    const missing = words.flatMap((w, i) => rows[i] === undefined ? [i] : [])
    if (missing.length > 0) {
      const fetched = await fetchAnalysis(missing.map((i) => words[i]), missing.map((i) => prefixes[i]))
      missing.forEach((i, j) => {
        rows[i] = fetched[j]
        remember(fetched[j], prefixes[i])
      })
    }
    return rows.map((r, i) => ({ ...r!, pos: i + 1 }))
  }

  function fromIndex (index: MatchIndex | undefined, word: string, prefix: boolean): AnalyzedRow | undefined {
    const stats = index?.word(word, prefix)
    if (stats === undefined) return undefined
    return {
      pos: 0,
      word,
      lexemes: stats.lexemes,
      ndoc: stats.ndoc,
      ntitle: stats.ntitle,
      prefix_ndoc: stats.prefixNdoc,
      prefix_ntitle: stats.prefixNtitle,
      catalog_size: index!.size
    }
  }

  /**
   * The analysis statement. The statistics are rebuilt in the background, so
   * a word they do not know is looked up in the text index itself (a probe of
   * one posting list): a product added since the last rebuild is found.
   */
  function fetchAnalysis (words: string[], prefixes: boolean[]): Promise<AnalyzedRow[]> {
    return timedSql('catalog.analyze_query', readSql<AnalyzedRow[]>`
      SELECT w.pos::int, w.word, v.lexemes,
        CASE WHEN v.ndoc > 0 THEN v.ndoc
             WHEN cardinality(v.lexemes) > 0 AND EXISTS (
               SELECT 1 FROM products p WHERE p.is_active AND p.search_vector @@ plainto_tsquery('english', catalog_search_text(w.word))
             ) THEN 1 ELSE 0 END AS ndoc,
        v.ntitle, pre.ndoc AS prefix_ndoc, pre.ntitle AS prefix_ntitle,
        greatest((SELECT reltuples FROM pg_class WHERE oid = 'products'::regclass), 0)::int AS catalog_size
      FROM unnest(${words}::text[], ${prefixes.map(Number)}::int[]) WITH ORDINALITY AS w(word, prefix, pos)
      CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(l.lexeme ORDER BY l.lexeme), '{}') AS lexemes,
          coalesce(min(coalesce(t.ndoc, 0)), 0)::int AS ndoc, coalesce(min(coalesce(t.ntitle, 0)), 0)::int AS ntitle
        FROM unnest(to_tsvector('english', catalog_search_text(w.word))) AS l
        LEFT JOIN catalog_search_terms t ON t.lexeme = l.lexeme
      ) v
      CROSS JOIN LATERAL (
        SELECT w.prefix = 1 AND w.word ~ '^[[:alnum:]]+$' AND length(w.word) >= ${MIN_PREFIX_LENGTH} AS ok
      ) eligible
      CROSS JOIN LATERAL (
        SELECT least(coalesce(sum(t.ndoc), 0), 2147483647)::int AS ndoc, least(coalesce(sum(t.ntitle), 0), 2147483647)::int AS ntitle
        FROM catalog_search_terms t
        WHERE eligible.ok AND t.lexeme >= w.word AND t.lexeme < w.word || chr(1114111)
      ) s
      CROSS JOIN LATERAL (
        SELECT CASE WHEN s.ndoc > 0 OR NOT eligible.ok
                 THEN s.ndoc
                 WHEN EXISTS (SELECT 1 FROM products p WHERE p.is_active AND p.search_vector @@ (w.word || ':*')::tsquery) THEN 1
                 ELSE 0 END AS ndoc,
          s.ntitle
      ) pre
      ORDER BY w.pos`)
  }

  /**
   * The query to run for `q`: known words as typed; an unknown last word as
   * a prefix when the vocabulary has words starting with it; other unknown
   * words replaced by their spelling correction; what is still unknown is
   * dropped (it would make the whole query match nothing).
   */
  async function analyze (q: string, index?: MatchIndex): Promise<TextQuery> {
    const typed = splitWords(q)
    const rows = await lookup(typed, true, index)
    const catalogSize = rows[0]?.catalog_size ?? 0
    const words: QueryWord[] = []
    const unknown: AnalyzedRow[] = []
    for (const r of rows) {
      if (r.lexemes.length === 0) continue
      const last = r.pos === typed.length
      if (r.ndoc > 0) {
        words.push({ pos: r.pos, typed: r.word, text: r.word, lexemes: r.lexemes, prefix: false, ndoc: r.ndoc, ntitle: r.ntitle })
      } else if (last && r.word.length >= MIN_PREFIX_LENGTH && r.prefix_ndoc > 0) {
        words.push({ pos: r.pos, typed: r.word, text: r.word, lexemes: [r.word], prefix: true, ndoc: r.prefix_ndoc, ntitle: r.prefix_ntitle })
      } else {
        unknown.push(r)
      }
    }
    const fixes = await corrections(unknown, index)
    const dropped: string[] = []
    for (const r of unknown) {
      const fix = fixes.get(r.word)
      if (fix) words.push({ ...fix, pos: r.pos })
      else dropped.push(r.word)
    }
    words.sort((a, b) => a.pos - b.pos)
    const corrected = fixes.size > 0 ? typed.map((w) => fixes.get(w)?.text ?? w).join(' ') : undefined
    return { q, words, dropped, corrected, catalogSize }
  }

  /** Spelling corrections of unknown words, as query words; only corrections the index knows. */
  async function corrections (unknown: AnalyzedRow[], index: MatchIndex | undefined): Promise<Map<string, QueryWord>> {
    const candidates = unknown.filter((r) => r.word.length >= MIN_CORRECTABLE_LENGTH && /^\p{L}+$/u.test(r.word)).map((r) => r.word)
    if (candidates.length === 0) return new Map()
    const suggestions = (await deps.words.suggest(candidates)).filter((s) => !s.known && s.suggestion !== null)
    if (suggestions.length === 0) return new Map()
    const fixed = await lookup(suggestions.map((s) => s.suggestion!), false, index)
    const fixes = new Map<string, QueryWord>()
    suggestions.forEach((s, i) => {
      const r = fixed[i]
      if (r.lexemes.length > 0 && r.ndoc > 0) fixes.set(s.word, { pos: 0, typed: s.word, text: r.word, lexemes: r.lexemes, prefix: false, ndoc: r.ndoc, ntitle: r.ntitle })
    })
    return fixes
  }

  return { analyze }
}

export type QueryAnalyzer = ReturnType<typeof createQueryAnalyzer>

/**
 * Names that count as an exact match: the query as typed, and the query as
 * searched (corrections applied, dropped words left out), so that a typo or
 * an extra word does not hide the product whose name the rest spells.
 */
export function exactNames (text: TextQuery): string[] {
  const fixes = new Map(text.words.filter((w) => w.text !== w.typed).map((w) => [w.typed, w.text]))
  const dropped = new Set(text.dropped)
  const searched = splitWords(text.q).filter((w) => !dropped.has(w)).map((w) => fixes.get(w) ?? w).join(' ')
  return [...new Set([text.q.toLowerCase(), searched])]
}

/** The query with its last word as a prefix, when that word is typed as letters and digits and long enough; else undefined. */
export function withLastAsPrefix (text: TextQuery): TextQuery | undefined {
  const last = text.words.at(-1)
  if (last === undefined || last.prefix || last.text !== last.typed || last.typed.length < MIN_PREFIX_LENGTH || !/^[\p{L}\p{N}]+$/u.test(last.typed)) return undefined
  return { ...text, words: [...text.words.slice(0, -1), { ...last, lexemes: [last.typed], prefix: true }] }
}

/**
 * The word to drop next when all the words together match nothing: the most
 * common one (it tells the least about what the shopper wants); the rarer,
 * more specific words stay longest.
 */
export function leastInformative (words: QueryWord[]): number {
  let at = 0
  words.forEach((w, i) => { if (w.ndoc > words[at].ndoc) at = i })
  return at
}
