import type { Sql } from '../../db/client.js'
import { searchChannel, type SearchEvent } from '../../lib/observability/index.js'
import type { CacheDecorator, CacheLoadResult, CacheResult } from '../../plugins/cache.js'
import type { CategoryIndex } from './catalog.categories.js'
import { decodeCursor, encodeCursor, type SortKeyValue } from './catalog.cursor.js'
import { toSummary } from './catalog.dto.js'
import { CatalogErrors } from './catalog.errors.js'
import { fetchFacets, parseFacetNames, type FacetName } from './catalog.facets.js'
import { CATALOG_CACHE_TTL_S, CatalogKeys, CatalogTags, type CatalogCacheType } from './catalog.keys.js'
import type { MatchIndex } from './catalog.match-index.js'
import { createQueryAnalyzer, leastInformative, tsqueryOf, withLastAsPrefix, type TextQuery } from './catalog.query.js'
import { DEFAULT_PAGE_SIZE, MAX_OFFSET_ROWS, type ListQuery, type SortField } from './catalog.schemas.js'
import {
  checkCursorKey, countListing, fetchListingPage, filters, matchFilter, servesFilter, sortKeyLength,
  type ListingFilter, type ListingPage, type ListingRequest, type SearchContext, type TextIndex
} from './catalog.search.js'
import { timedSql } from './catalog.sql.js'
import type { WordsRefresher } from './catalog.words.js'

/** Empty results are cached briefly (negative caching): a product added soon after should show up. */
const EMPTY_RESULT_TTL_S = 60
/** Until the search vocabulary is built, an empty result may be the vocabulary's fault: kept only this long. */
const EMPTY_BEFORE_VOCABULARY_TTL_S = 1
// Sorts whose natural reading is "most first".
const DESC_BY_DEFAULT = new Set<SortField>(['relevance', 'created_at', 'rating'])

export interface ListingDeps {
  cache: CacheDecorator
  readSql: Sql
  categoryIndex: () => Promise<CategoryIndex>
  words: WordsRefresher
  /** How the read database serves text matches in rank order (known once the service has started). */
  textIndex: () => TextIndex
  /** Whether an active product may have this name (the suggestion index knows every name). */
  mayHaveName: (name: string) => boolean
  /** The in-process match index when it can answer (catalog.matches.ts). */
  matches: () => Promise<MatchIndex | undefined>
}

const TOTAL_COUNT = /"total_count":(\d+)/

interface Plan {
  type: CatalogCacheType
  key: string
  tags: string[]
  request: ListingRequest
  /** Binds cursors to this query (filters, sort, page size, facets). */
  fingerprint: string
  page: number
  /** The query as the client sent it (normalized); analyzed when the page is loaded. */
  q?: string
  facets: FacetName[]
}

/** Trims and collapses whitespace; an empty query is no query. */
function normalizeQuery (raw: string | undefined): string | undefined {
  const q = raw?.trim().replace(/\s+/g, ' ')
  return q || undefined
}

function moneyFilter (value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value)
}

/**
 * Lists, searches and category pages: one normalized plan per request, one
 * cache entry per plan (bytes ready to send), tagged with the ids on the page
 * and the scopes whose changes could alter its membership.
 */
export function createListing (deps: ListingDeps) {
  const context = (matches: MatchIndex | undefined): SearchContext => ({ index: deps.textIndex(), mayHaveName: deps.mayHaveName, matches })
  const analyzer = createQueryAnalyzer({ readSql: deps.readSql, words: deps.words, onInvalidate: deps.cache.onInvalidate })

  /** The category filter as its subtree; an unknown category in a filter matches nothing rather than failing. */
  async function subtreeOf (categoryId: number | undefined, fromPath: boolean): Promise<number[] | undefined> {
    if (categoryId === undefined) return undefined
    const index = await deps.categoryIndex()
    if (fromPath && !index.has(categoryId)) throw new CatalogErrors.CATEGORY_NOT_FOUND(categoryId)
    return index.has(categoryId) ? index.subtree(categoryId) : [categoryId]
  }

  /** Positions the request at the cursor, or at the offset of `page` (refused past MAX_OFFSET_ROWS). */
  function position (request: ListingRequest, query: ListQuery, fingerprint: string, hasText: boolean): number {
    if (query.cursor === undefined) {
      const page = query.page ?? 1
      if ((page - 1) * request.pageSize >= MAX_OFFSET_ROWS) throw new CatalogErrors.PAGE_TOO_DEEP(MAX_OFFSET_ROWS)
      request.offset = (page - 1) * request.pageSize
      return page
    }
    const pos = decodeCursor(query.cursor, fingerprint, sortKeyLength(request.sort, hasText))
    checkCursorKey(request.sort, hasText, pos.key)
    request.after = { key: pos.key, id: pos.id }
    return pos.page
  }

  /** Tags of the scopes whose changes could alter this page's membership or order. */
  function scopeTags (scope: number | 'all', filter: ListingFilter, sort: SortField, hasText: boolean): string[] {
    const tags = [CatalogTags.scope(scope, 'base')]
    if (filter.inStock !== undefined) tags.push(CatalogTags.scope(scope, 'stock'))
    // Reviews move a product's search rank as well as its rating.
    if (sort === 'rating' || (hasText && sort === 'relevance')) tags.push(CatalogTags.scope(scope, 'rating'))
    return tags
  }

  async function plan (query: ListQuery, pathCategoryId?: number): Promise<Plan> {
    const q = normalizeQuery(query.q ?? query.query)
    const sort: SortField = query.sort_by ?? (q ? 'relevance' : 'name')
    const order = query.sort_order ?? (DESC_BY_DEFAULT.has(sort) ? 'desc' : 'asc')
    const pageSize = query.page_size ?? DEFAULT_PAGE_SIZE
    if (query.min_price !== undefined && query.max_price !== undefined && query.min_price > query.max_price) {
      throw new CatalogErrors.INVALID_PRICE_RANGE(String(query.min_price), String(query.max_price))
    }
    const facets = parseFacetNames(query.facets)
    const categoryId = pathCategoryId ?? query.category_id
    const filter: ListingFilter = {
      categoryIds: await subtreeOf(categoryId, pathCategoryId !== undefined),
      minPrice: moneyFilter(query.min_price),
      maxPrice: moneyFilter(query.max_price),
      brand: query.brand?.trim().toLowerCase() || undefined,
      featured: query.is_featured,
      inStock: query.in_stock
    }
    const normalized = {
      ...{ q, c: categoryId, min: filter.minPrice, max: filter.maxPrice, b: filter.brand, f: filter.featured, s: filter.inStock, sort, order, ps: pageSize },
      ...(facets.length > 0 && { fa: facets.join(',') })
    }
    const fingerprint = CatalogKeys.listing(normalized).slice(0, 16)
    const request: ListingRequest = { filter, sort, order, pageSize, offset: 0 }
    const page = position(request, query, fingerprint, q !== undefined)
    const type: CatalogCacheType = q ? 'product_search' : pathCategoryId !== undefined ? 'category_products' : 'product_list'
    return {
      type,
      key: CatalogKeys.listing({ ...normalized, p: page, cur: query.cursor ?? null }),
      tags: scopeTags(categoryId ?? 'all', filter, sort, q !== undefined),
      request,
      fingerprint,
      page,
      q,
      facets
    }
  }

  /**
   * Whether any product matches these words and the request's filters. With
   * RUM the probe is ordered by the index's own operator, so it must go
   * through the text index; a plain EXISTS on common words is planned as a
   * sequential scan that stops at the first match, and reads the whole
   * catalog when no product has all the words.
   */
  async function anyMatch (request: ListingRequest, text: TextQuery, matches: MatchIndex | undefined): Promise<boolean> {
    if (matches !== undefined && servesFilter(request.filter)) return matches.any(text.words, matchFilter(request.filter))
    const sql = deps.readSql
    const where = sql`p.is_active AND p.search_vector @@ ${tsqueryOf(text.words)}::tsquery ${filters(sql, request.filter)}`
    const rows = deps.textIndex() === 'rum'
      ? await timedSql('catalog.search_any', sql<{ id: number }[]>`SELECT p.id FROM products p WHERE ${where} ORDER BY p.search_rank <=| '1e15'::float8 LIMIT 1`)
      : await timedSql('catalog.search_any', sql<{ id: number }[]>`SELECT p.id FROM products p WHERE ${where} LIMIT 1`)
    return rows.length > 0
  }

  /**
   * The page for the analyzed words. When two or more of them together match
   * nothing, the last word is tried as a prefix (it may be typed partly and
   * be a whole word too: "arm" of "armor"); then the least informative word
   * is dropped (the most common one), again and again while more than one is
   * left: a shopper's extra word that no product has, or one too many, no
   * longer empties the answer.
   */
  async function fetchText (request: ListingRequest, text: TextQuery, matches: MatchIndex | undefined): Promise<{ page: ListingPage, request: ListingRequest }> {
    const firstPage = request.offset === 0 && request.after === undefined
    const run = async (t: TextQuery) => {
      const r = { ...request, filter: { ...request.filter, text: t } }
      return { page: await fetchListingPage(deps.readSql, r, context(matches)), request: r }
    }
    const whole = await run(text)
    // One known word that the filters leave without matches is an empty answer: nothing to drop or complete.
    if (whole.page.rows.length > 0 || text.words.length < 2) return whole
    // An empty later page is the end of the matches unless the words match nothing at all.
    if (!firstPage && await anyMatch(whole.request, text, matches)) return whole
    const prefixed = withLastAsPrefix(text)
    if (prefixed !== undefined && await anyMatch(whole.request, prefixed, matches)) return run(prefixed)
    let words = text.words
    const dropped = [...text.dropped]
    while (words.length > 1) {
      const i = leastInformative(words)
      dropped.push(words[i].typed)
      words = words.filter((_, j) => j !== i)
      const reduced: TextQuery = { ...text, words, dropped: [...dropped] }
      if (words.length === 1 || await anyMatch(whole.request, reduced, matches)) return run(reduced)
    }
    return whole
  }

  async function totalOf (request: ListingRequest, page: ListingPage, matches: MatchIndex | undefined): Promise<{ count: number, exact: boolean }> {
    if (page.total !== undefined) return page.total
    if (page.rows.length === 0 && request.offset === 0 && request.after === undefined) return { count: 0, exact: true }
    return countListing(deps.readSql, request.filter, matches)
  }

  /** The search part of the answer: which words were used, which were dropped, what was corrected. */
  function searchFields (text: TextQuery | undefined): Record<string, unknown> {
    if (text === undefined) return {}
    return {
      matching: text.dropped.length > 0 ? 'partial' : 'all',
      dropped: text.dropped,
      ...(text.corrected !== undefined && { corrected_query: text.words.map((w) => w.text).join(' ') })
    }
  }

  async function load (p: Plan): Promise<CacheLoadResult> {
    const matches = p.q === undefined ? undefined : await deps.matches()
    const text = p.q === undefined ? undefined : await analyzer.analyze(p.q, matches)
    const ranked = text !== undefined && p.request.sort === 'relevance'
    // A relevance search knows its total when it saw every match; any other listing stops after
    // the page, so its (capped) count runs alongside unless dropping words may change the query.
    const [{ page, request }, listCount] = await Promise.all([
      text === undefined ? fetchListingPage(deps.readSql, p.request, context(undefined)).then((page) => ({ page, request: p.request })) : fetchText(p.request, text, matches),
      ranked || text !== undefined ? undefined : countListing(deps.readSql, p.request.filter)
    ])
    const [total, facets] = await Promise.all([
      listCount ?? totalOf(request, page, matches),
      p.facets.length > 0 ? fetchFacets(deps.readSql, request.filter, p.facets, deps.textIndex(), await deps.categoryIndex(), matches) : undefined
    ])
    const rows = page.rows.slice(0, request.pageSize)
    const last = rows[rows.length - 1]
    const key: SortKeyValue[] = sortKeyLength(request.sort, request.filter.text !== undefined) === 2 ? [last?.k1, last?.k2 as SortKeyValue] : [last?.k1]
    const nextCursor = page.rows.length > request.pageSize
      ? encodeCursor(p.fingerprint, { page: p.page + 1, key, id: last.id })
      : null
    const body = JSON.stringify({
      products: rows.map(toSummary),
      pagination: {
        page: p.page,
        page_size: request.pageSize,
        total_count: total.count,
        total_count_exact: total.exact,
        total_pages: Math.ceil(total.count / request.pageSize),
        next_cursor: nextCursor
      },
      ...searchFields(request.filter.text),
      ...(facets !== undefined && { facets })
    })
    const emptyTtl = deps.words.ready() ? EMPTY_RESULT_TTL_S : EMPTY_BEFORE_VOCABULARY_TTL_S
    return { body, tags: rows.map((r) => CatalogTags.listed(r.id)), ttlS: rows.length === 0 ? emptyTtl : undefined }
  }

  /** A list, search or category page as cached bytes. */
  async function list (query: ListQuery, pathCategoryId?: number): Promise<CacheResult> {
    const started = performance.now()
    const p = await plan(query, pathCategoryId)
    const result = await deps.cache.getOrLoad({ type: p.type, ttlS: CATALOG_CACHE_TTL_S[p.type], key: p.key, tags: p.tags, load: () => load(p) })
    if (p.q !== undefined && searchChannel.hasSubscribers) {
      // Search analytics (top, zero-result and slow queries) for hits and misses alike;
      // the count is read from the cached bytes rather than re-parsing the whole body.
      const results = Number(TOTAL_COUNT.exec(result.body)?.[1] ?? 0)
      searchChannel.publish({ query: p.q, results, durationMs: performance.now() - started } satisfies SearchEvent)
    }
    return result
  }

  return { list }
}
