import type postgres from 'postgres'
import type { Sql } from '../../db/client.js'
import { timedSql } from './catalog.sql.js'
import { CatalogErrors } from './catalog.errors.js'
import type { SortKeyValue } from './catalog.cursor.js'
import type { SortField } from './catalog.schemas.js'
import { SUMMARY_COLUMNS, type SummaryRow } from './catalog.repository.js'

/** Counting stops here: past it the response says `total_count_exact: false`. */
export const COUNT_CAP = 10_000
/**
 * A relevance search ranks at most this many matches (see fetchRanked), and a
 * text search sorted otherwise counts at most this many. Every text match is a
 * heap visit and a tsvector read (about 5-10 µs each), so a word in 5,000
 * names cost 30-80 ms per search at 5,000 and costs a fifth of that here.
 */
export const RANK_CAP = 1000

type Fragment = postgres.Fragment

/** Filters of a listing, normalized (money as decimal strings, brand lowercased, category expanded to its subtree). */
export interface ListingFilter {
  q?: string
  /** Match the last word of `q` as a prefix. */
  prefix?: boolean
  categoryIds?: number[]
  minPrice?: string
  maxPrice?: string
  brand?: string
  featured?: boolean
  inStock?: boolean
}

export interface ListingRequest {
  filter: ListingFilter
  sort: SortField
  order: 'asc' | 'desc'
  pageSize: number
  /** Rows to skip (offset paging); 0 with a cursor. */
  offset: number
  /** Keyset position from a cursor: start after this row. */
  after?: { key: SortKeyValue[], id: number }
}

export interface ListingPage {
  /** Up to pageSize + 1 rows: the extra row only tells that there is a next page. */
  rows: (SummaryRow & { k1: SortKeyValue, k2: SortKeyValue | null })[]
  /** The match count, when the page query computed it (relevance search). */
  total?: { count: number, exact: boolean }
}

/**
 * How a sort maps to SQL: the key columns (read as text so a cursor
 * round-trips numerics and microsecond timestamps exactly), their casts for
 * the keyset comparison, and the direction. `exact` (name equals the query)
 * and `rank` exist only in the full-text match set.
 */
interface SortSpec { keys: [string, string | null], casts: [string, string | null], desc: boolean }

function sortSpec (req: ListingRequest): SortSpec {
  const desc = req.order === 'desc'
  switch (req.sort) {
    case 'price': return { keys: ['effective_price', null], casts: ['numeric', null], desc }
    case 'name': return { keys: ['name', null], casts: ['text', null], desc }
    case 'rating': return { keys: ['rating_avg', null], casts: ['numeric', null], desc }
    case 'created_at': return { keys: ['created_at', null], casts: ['timestamptz', null], desc }
    case 'relevance':
      // Exact name matches first, then rank; without a query, newest first.
      return req.filter.q
        ? { keys: ['exact', 'rank'], casts: ['boolean', 'real'], desc: true }
        : { keys: ['created_at', null], casts: ['timestamptz', null], desc: true }
  }
}

/** Number of sort key values a cursor of this request carries. */
export function sortKeyLength (req: Pick<ListingRequest, 'sort' | 'filter'>): number {
  return req.sort === 'relevance' && req.filter.q ? 2 : 1
}

const KEY_FORMATS: Record<string, RegExp> = {
  numeric: /^-?\d{1,12}(\.\d{1,4})?$/,
  real: /^-?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|Infinity)$/i,
  timestamptz: /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/,
  text: /^[\s\S]*$/
}

/** Checks that the cursor's key values fit the sort's column types (a malformed value must be a 400, not a SQL error). */
export function checkCursorKey (req: ListingRequest, key: SortKeyValue[]): void {
  const spec = sortSpec(req)
  spec.casts.forEach((cast, i) => {
    if (cast === null) return
    const v = key[i]
    const ok = cast === 'boolean' ? typeof v === 'boolean' : typeof v === 'string' && KEY_FORMATS[cast].test(v)
    if (!ok) throw new CatalogErrors.INVALID_CURSOR('bad sort key')
  })
}

const WEB_SYNTAX = /["]|(^|\s)-\S|\sor\s/i
const MIN_PREFIX_LENGTH = 3

function tokens (q: string): string[] {
  return q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}

/** True when `q` is plain words whose last one is long enough to try as a prefix. */
export function canMatchPrefix (q: string): boolean {
  const words = tokens(q)
  return !WEB_SYNTAX.test(q) && words.length > 0 && words[words.length - 1].length >= MIN_PREFIX_LENGTH
}

/**
 * The text search query. Plain words become `w1 & w2 & w3`, or with
 * `prefix` `w1 & w2 & w3:*` (as-you-type: tried only when the whole words
 * match nothing, since a prefix scan is wider and slower); anything with
 * web-search syntax (quotes, `or`, `-word`) goes to websearch_to_tsquery
 * unchanged. Tokens are letters and digits only, so the to_tsquery text is
 * always valid syntax.
 */
export function tsQuery (sql: Sql, q: string, prefix = false): Fragment {
  const words = tokens(q)
  if (WEB_SYNTAX.test(q) || words.length === 0) return sql`websearch_to_tsquery('english', ${q})`
  if (prefix && words[words.length - 1].length >= MIN_PREFIX_LENGTH) words[words.length - 1] += ':*'
  return sql`to_tsquery('english', ${words.join(' & ')})`
}

/** The text query as a plain filter (listings sorted by something other than relevance). */
function textMatch (sql: Sql, f: ListingFilter): Fragment {
  return f.q === undefined ? sql`` : sql`AND p.search_vector @@ ${tsQuery(sql, f.q, f.prefix)}`
}

function filters (sql: Sql, f: ListingFilter): Fragment {
  return sql`
    ${f.categoryIds ? sql`AND p.category_id = ANY(${f.categoryIds}::int[])` : sql``}
    ${f.minPrice !== undefined ? sql`AND p.effective_price >= ${f.minPrice}::numeric` : sql``}
    ${f.maxPrice !== undefined ? sql`AND p.effective_price <= ${f.maxPrice}::numeric` : sql``}
    ${f.brand !== undefined ? sql`AND lower(p.brand) = ${f.brand}` : sql``}
    ${f.featured !== undefined ? sql`AND p.is_featured = ${f.featured}` : sql``}
    ${f.inStock === true ? sql`AND p.stock_quantity > 0` : f.inStock === false ? sql`AND p.stock_quantity = 0` : sql``}`
}

/** `rel` is the alias the sort columns are read from: `p` (products) or `m` (the match set). */
function keyset (sql: Sql, spec: SortSpec, after: ListingRequest['after'], rel: 'p' | 'm'): Fragment {
  if (!after) return sql``
  const op = spec.desc ? sql`<` : sql`>`
  const [k1, k2] = spec.keys.map((k) => k === null ? null : `${rel}.${k}`)
  const v1 = sql`${after.key[0]}::${sql.unsafe(spec.casts[0])}`
  if (k2 === null) {
    // The redundant bound on the first key lets a single-column index serve the scan.
    const bound = spec.desc ? sql`<=` : sql`>=`
    return sql`AND ${sql.unsafe(k1!)} ${bound} ${v1} AND (${sql.unsafe(k1!)}, ${sql.unsafe(rel)}.id) ${op} (${v1}, ${after.id}::int)`
  }
  const v2 = sql`${after.key[1]}::${sql.unsafe(spec.casts[1]!)}`
  return sql`AND (${sql.unsafe(k1!)}, ${sql.unsafe(k2)}, ${sql.unsafe(rel)}.id) ${op} (${v1}, ${v2}, ${after.id}::int)`
}

function orderBy (sql: Sql, spec: SortSpec, rel: 'p' | 'm'): Fragment {
  const dir = spec.desc ? 'DESC' : 'ASC'
  const cols = [spec.keys[0], spec.keys[1], 'id'].filter((c): c is string => c !== null)
  return sql.unsafe(cols.map((c) => `${rel}.${c} ${dir}`).join(', '))
}

function keyColumns (sql: Sql, spec: SortSpec, rel: 'p' | 'm'): Fragment {
  const text = (col: string | null) => col === null ? 'NULL' : col === 'exact' ? `${rel}.exact` : `${rel}.${col}::text`
  return sql.unsafe(`${text(spec.keys[0])} AS k1, ${text(spec.keys[1])} AS k2`)
}

/**
 * One page of a listing. A relevance search ranks its matches in a CTE that
 * also yields the total; every other listing (text match as a filter, or
 * none) reads in index order and stops after the page, and is counted
 * separately (countListing).
 */
export async function fetchListingPage (sql: Sql, req: ListingRequest): Promise<ListingPage> {
  const spec = sortSpec(req)
  if (req.filter.q !== undefined && req.sort === 'relevance') return fetchRanked(sql, req, spec, req.filter.q)
  if (req.filter.categoryIds !== undefined) return { rows: await fetchCategoryPage(sql, req, spec) }
  const rows = await timedSql(req.filter.q === undefined ? 'catalog.list' : 'catalog.search_sorted', sql<ListingPage['rows']>`
    SELECT ${SUMMARY_COLUMNS(sql)}, ${keyColumns(sql, spec, 'p')}
    FROM products p JOIN categories c ON c.id = p.category_id
    WHERE p.is_active ${textMatch(sql, req.filter)} ${filters(sql, req.filter)} ${keyset(sql, spec, req.after, 'p')}
    ORDER BY ${orderBy(sql, spec, 'p')}
    LIMIT ${req.pageSize + 1} OFFSET ${req.offset}`)
  return { rows }
}

/**
 * Relevance: exact name matches first, then ts_rank_cd. Ranking touches
 * every match, so at most RANK_CAP matches are ranked: a query matching more
 * (a colour, a big brand) ranks the first RANK_CAP in table order and
 * reports a lower-bound total, which keeps its cost flat as the catalog
 * grows. The page is cut before the join that reads the row data.
 */
async function fetchRanked (sql: Sql, req: ListingRequest, spec: SortSpec, q: string): Promise<ListingPage> {
  const rows = await timedSql('catalog.search', sql<(ListingPage['rows'][number] & { total: string })[]>`
    WITH m AS MATERIALIZED (
      SELECT p.id, lower(p.name) = ${q.toLowerCase()} AS exact, ts_rank_cd(p.search_vector, t.query) AS rank
      FROM products p, (SELECT ${tsQuery(sql, q, req.filter.prefix)} AS query) t
      WHERE p.is_active AND p.search_vector @@ t.query ${filters(sql, req.filter)}
      LIMIT ${RANK_CAP + 1}
    ), top AS (
      SELECT * FROM m WHERE true ${keyset(sql, spec, req.after, 'm')}
      ORDER BY ${orderBy(sql, spec, 'm')} LIMIT ${req.pageSize + 1} OFFSET ${req.offset}
    )
    SELECT ${SUMMARY_COLUMNS(sql)}, ${keyColumns(sql, spec, 'm')}, (SELECT count(*) FROM m) AS total
    FROM top m JOIN products p ON p.id = m.id JOIN categories c ON c.id = p.category_id
    ORDER BY ${orderBy(sql, spec, 'm')}`)
  if (rows.length === 0) return { rows }
  const total = Number(rows[0].total)
  return { rows, total: total > RANK_CAP ? { count: RANK_CAP, exact: false } : { count: total, exact: true } }
}

/**
 * A category subtree (not ranked by relevance): the best rows of each category
 * through its (category_id, sort key) index, then merged. One ordered scan
 * over a global sort index with a category filter can read most of the
 * table when the category's rows sort late (the planner assumes they are
 * spread evenly); per-category scans read at most offset + limit rows each.
 */
async function fetchCategoryPage (sql: Sql, req: ListingRequest, spec: SortSpec): Promise<ListingPage['rows']> {
  const limit = req.pageSize + 1
  const perCategory = { ...req.filter, categoryIds: undefined }
  return timedSql('catalog.list_category', sql<ListingPage['rows']>`
    SELECT ${SUMMARY_COLUMNS(sql)}, ${keyColumns(sql, spec, 'p')}
    FROM unnest(${req.filter.categoryIds!}::int[]) AS cid(id)
    CROSS JOIN LATERAL (
      SELECT p.* FROM products p
      WHERE p.category_id = cid.id AND p.is_active ${textMatch(sql, perCategory)} ${filters(sql, perCategory)} ${keyset(sql, spec, req.after, 'p')}
      ORDER BY ${orderBy(sql, spec, 'p')}
      LIMIT ${req.offset + limit}
    ) p
    JOIN categories c ON c.id = p.category_id
    ORDER BY ${orderBy(sql, spec, 'p')}
    LIMIT ${limit} OFFSET ${req.offset}`)
}

/**
 * Matches of a listing, counted up to a cap so a broad filter stays cheap:
 * COUNT_CAP, or RANK_CAP when a text query makes every counted match a heap visit.
 */
export async function countListing (sql: Sql, filter: ListingFilter): Promise<{ count: number, exact: boolean }> {
  const cap = filter.q === undefined ? COUNT_CAP : RANK_CAP
  const [row] = await timedSql('catalog.count', sql<{ n: string }[]>`
    SELECT count(*) AS n FROM (
      SELECT 1 FROM products p WHERE p.is_active ${textMatch(sql, filter)} ${filters(sql, filter)} LIMIT ${cap + 1}
    ) s`)
  const n = Number(row.n)
  return n > cap ? { count: cap, exact: false } : { count: n, exact: true }
}
