import diagnosticsChannel from 'node:diagnostics_channel'
import type { Sql } from '../../db/client.js'
import type { CacheDecorator, CacheLoadResult, CacheResult, CacheType } from '../../plugins/cache.js'
import type { CategoryIndex } from './catalog.categories.js'
import { decodeCursor, encodeCursor, type SortKeyValue } from './catalog.cursor.js'
import { toSummary } from './catalog.dto.js'
import { CatalogErrors } from './catalog.errors.js'
import { CatalogKeys, CatalogTags } from './catalog.keys.js'
import { DEFAULT_PAGE_SIZE, MAX_OFFSET_ROWS, type ListQuery, type SortField } from './catalog.schemas.js'
import { canMatchPrefix, checkCursorKey, countListing, fetchListingPage, sortKeyLength, type ListingFilter, type ListingPage, type ListingRequest } from './catalog.search.js'
import { MIN_CORRECTABLE_LENGTH, type WordsRefresher } from './catalog.words.js'

/** Empty results are cached briefly (negative caching): a product added soon after should show up. */
const EMPTY_RESULT_TTL_S = 60
// Sorts whose natural reading is "most first".
const DESC_BY_DEFAULT = new Set<SortField>(['relevance', 'created_at', 'rating'])

export interface ListingDeps {
  cache: CacheDecorator
  readSql: Sql
  categoryIndex: () => Promise<CategoryIndex>
  words: WordsRefresher
}

/** One search as monitoring's search analytics consumes it. */
export interface SearchEvent { query: string, results: number, durationMs: number }
/** Published after every search (GET/POST /products/search and `q` on lists). */
export const searchChannel = diagnosticsChannel.channel('techmart:search')
const TOTAL_COUNT = /"total_count":(\d+)/

interface Plan {
  type: CacheType
  key: string
  tags: string[]
  request: ListingRequest
  /** Binds cursors to this query (filters, sort, page size). */
  fingerprint: string
  page: number
  /** The query as the client sent it (normalized); the request may run a corrected one. */
  q?: string
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
  /** The category filter as its subtree; an unknown category in a filter matches nothing rather than failing. */
  async function subtreeOf (categoryId: number | undefined, fromPath: boolean): Promise<number[] | undefined> {
    if (categoryId === undefined) return undefined
    const index = await deps.categoryIndex()
    if (fromPath && !index.has(categoryId)) throw new CatalogErrors.CATEGORY_NOT_FOUND(categoryId)
    return index.has(categoryId) ? index.subtree(categoryId) : [categoryId]
  }

  /** Positions the request at the cursor, or at the offset of `page` (refused past MAX_OFFSET_ROWS). */
  function position (request: ListingRequest, query: ListQuery, fingerprint: string): number {
    if (query.cursor === undefined) {
      const page = query.page ?? 1
      if ((page - 1) * request.pageSize >= MAX_OFFSET_ROWS) throw new CatalogErrors.PAGE_TOO_DEEP(MAX_OFFSET_ROWS)
      request.offset = (page - 1) * request.pageSize
      return page
    }
    const pos = decodeCursor(query.cursor, fingerprint, sortKeyLength(request))
    checkCursorKey(request, pos.key)
    request.after = { key: pos.key, id: pos.id }
    request.filter = { ...request.filter, q: pos.q ?? request.filter.q, prefix: pos.prefix }
    return pos.page
  }

  /** Tags of the scopes whose changes could alter this page's membership or order. */
  function scopeTags (scope: number | 'all', filter: ListingFilter, sort: SortField): string[] {
    const tags = [CatalogTags.scope(scope, 'base')]
    if (filter.inStock !== undefined) tags.push(CatalogTags.scope(scope, 'stock'))
    if (sort === 'rating') tags.push(CatalogTags.scope(scope, 'rating'))
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
    const categoryId = pathCategoryId ?? query.category_id
    const filter: ListingFilter = {
      q,
      categoryIds: await subtreeOf(categoryId, pathCategoryId !== undefined),
      minPrice: moneyFilter(query.min_price),
      maxPrice: moneyFilter(query.max_price),
      brand: query.brand?.trim().toLowerCase() || undefined,
      featured: query.is_featured,
      inStock: query.in_stock
    }
    const normalized = { q, c: categoryId, min: filter.minPrice, max: filter.maxPrice, b: filter.brand, f: filter.featured, s: filter.inStock, sort, order, ps: pageSize }
    const fingerprint = CatalogKeys.listing(normalized).slice(0, 16)
    const request: ListingRequest = { filter, sort, order, pageSize, offset: 0 }
    const page = position(request, query, fingerprint)
    const type: CacheType = q ? 'product_search' : pathCategoryId !== undefined ? 'category_products' : 'product_list'
    return {
      type,
      key: CatalogKeys.listing({ ...normalized, p: page, cur: query.cursor ?? null }),
      tags: scopeTags(categoryId ?? 'all', filter, sort),
      request,
      fingerprint,
      page,
      q
    }
  }

  /** The words of `q` the vocabulary does not know, replaced by their closest known word; undefined when nothing changes. */
  async function correct (q: string): Promise<string | undefined> {
    const tokens = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
    const candidates = tokens.filter((t) => t.length >= MIN_CORRECTABLE_LENGTH && /^\p{L}/u.test(t))
    if (candidates.length === 0) return undefined
    const fixes = new Map((await deps.words.suggest(candidates))
      .filter((s) => !s.known && s.suggestion !== null).map((s) => [s.word, s.suggestion!]))
    return fixes.size === 0 ? undefined : tokens.map((t) => fixes.get(t) ?? t).join(' ')
  }

  /**
   * Whole words first; when they match nothing on the first page, the last
   * word as a prefix (as-you-type), then a spelling correction.
   */
  async function fetchWithFallbacks (p: Plan): Promise<{ page: ListingPage, request: ListingRequest, corrected?: string }> {
    const page = await fetchListingPage(deps.readSql, p.request)
    const firstPage = p.request.offset === 0 && p.request.after === undefined
    const q = p.request.filter.q
    if (page.rows.length > 0 || !firstPage || q === undefined) return { page, request: p.request }
    if (canMatchPrefix(q)) {
      const prefixed = { ...p.request, filter: { ...p.request.filter, prefix: true } }
      const byPrefix = await fetchListingPage(deps.readSql, prefixed)
      if (byPrefix.rows.length > 0) return { page: byPrefix, request: prefixed }
    }
    const corrected = await correct(q)
    if (corrected === undefined) return { page, request: p.request }
    const request = { ...p.request, filter: { ...p.request.filter, q: corrected } }
    const retry = await fetchListingPage(deps.readSql, request)
    return retry.rows.length > 0 ? { page: retry, request, corrected } : { page, request: p.request }
  }

  async function totalOf (request: ListingRequest, page: ListingPage): Promise<{ count: number, exact: boolean }> {
    if (page.total !== undefined) return page.total
    if (page.rows.length === 0 && request.offset === 0 && request.after === undefined) return { count: 0, exact: true }
    return countListing(deps.readSql, request.filter)
  }

  async function load (p: Plan): Promise<CacheLoadResult> {
    // A relevance search counts while it ranks; any other listing stops after the page,
    // so its (capped) count runs alongside unless a fallback may change the query.
    const ranked = p.request.filter.q !== undefined && p.request.sort === 'relevance'
    const [{ page, request, corrected }, listCount] = await Promise.all([
      fetchWithFallbacks(p),
      ranked || p.request.filter.q !== undefined ? undefined : countListing(deps.readSql, p.request.filter)
    ])
    const total = listCount ?? await totalOf(request, page)
    const rows = page.rows.slice(0, request.pageSize)
    const last = rows[rows.length - 1]
    const key: SortKeyValue[] = sortKeyLength(request) === 2 ? [last?.k1, last?.k2 as SortKeyValue] : [last?.k1]
    const effectiveQ = request.filter.q !== p.q ? request.filter.q : undefined
    const nextCursor = page.rows.length > request.pageSize
      ? encodeCursor(p.fingerprint, { page: p.page + 1, key, id: last.id, q: effectiveQ, prefix: request.filter.prefix })
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
      ...(corrected !== undefined && { corrected_query: corrected })
    })
    return { body, tags: rows.map((r) => CatalogTags.listed(r.id)), ttlS: rows.length === 0 ? EMPTY_RESULT_TTL_S : undefined }
  }

  /** A list, search or category page as cached bytes. */
  async function list (query: ListQuery, pathCategoryId?: number): Promise<CacheResult> {
    const started = performance.now()
    const p = await plan(query, pathCategoryId)
    const result = await deps.cache.getOrLoad({ type: p.type, key: p.key, tags: p.tags, load: () => load(p) })
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
