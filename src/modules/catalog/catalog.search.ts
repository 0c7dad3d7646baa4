import type postgres from 'postgres'
import type { Sql } from '../../db/client.js'
import { timedSql } from './catalog.sql.js'
import { CatalogErrors } from './catalog.errors.js'
import type { SortKeyValue } from './catalog.cursor.js'
import type { SortField } from './catalog.schemas.js'
import { SUMMARY_COLUMNS, type SummaryRow } from './catalog.repository.js'
import { exactNames, tsqueryOf, type TextQuery } from './catalog.query.js'
import type { MatchFilter, MatchIndex, MatchTier } from './catalog.match-index.js'

/** Counting stops here: past it the response says `total_count_exact: false`. */
export const COUNT_CAP = 10_000

type Fragment = postgres.Fragment

/** How the database can serve text matches in rank order. */
export type TextIndex = 'rum' | 'gin'

/** What a search knows besides its request: the text index, and whether a product can have a given name. */
export interface SearchContext {
  index: TextIndex
  /** False only when no active product has this name (lowercased), so the exact-name tier can be skipped. */
  mayHaveName: (name: string) => boolean
  /** The in-process match index, up to date with every write heard of; absent until it has loaded. */
  matches?: MatchIndex
}

/** Filters of a listing, normalized (money as decimal strings, brand lowercased, category expanded to its subtree). */
export interface ListingFilter {
  /** The analyzed text query (words to match, dropped words, corrections). */
  text?: TextQuery
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
  /** The match count, when the page query knows it (a relevance search that saw every match). */
  total?: { count: number, exact: boolean }
}

/**
 * How a sort maps to SQL: the key columns (read as text so a cursor
 * round-trips numerics and microsecond timestamps exactly), their casts for
 * the keyset comparison, and the direction. A relevance search has its own
 * keys (tier, search_rank): see fetchRelevance.
 */
interface SortSpec { keys: [string, string | null], casts: [string, string | null], desc: boolean }

function sortSpec (req: Pick<ListingRequest, 'sort' | 'order'>, hasText: boolean): SortSpec {
  const desc = req.order === 'desc'
  switch (req.sort) {
    case 'price': return { keys: ['effective_price', null], casts: ['numeric', null], desc }
    case 'name': return { keys: ['name', null], casts: ['text', null], desc }
    case 'rating': return { keys: ['rating_avg', null], casts: ['numeric', null], desc }
    case 'created_at': return { keys: ['created_at', null], casts: ['timestamptz', null], desc }
    case 'relevance':
      // Tier (exact name, name or brand, descriptions), then search_rank; without a query, newest first.
      return hasText
        ? { keys: ['tier', 'search_rank'], casts: ['int', 'float8'], desc: true }
        : { keys: ['created_at', null], casts: ['timestamptz', null], desc: true }
  }
}

/** Number of sort key values a cursor of this request carries. */
export function sortKeyLength (sort: SortField, hasText: boolean): number {
  return sort === 'relevance' && hasText ? 2 : 1
}

const KEY_FORMATS: Record<string, RegExp> = {
  numeric: /^-?\d{1,12}(\.\d{1,4})?$/,
  int: /^[0-2]$/,
  float8: /^\d{1,16}$/,
  timestamptz: /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/,
  text: /^[\s\S]*$/
}

/** Checks that the cursor's key values fit the sort's column types (a malformed value must be a 400, not a SQL error). */
export function checkCursorKey (sort: SortField, hasText: boolean, key: SortKeyValue[]): void {
  // Direction does not change the key types.
  const spec = sortSpec({ sort, order: 'desc' }, hasText)
  spec.casts.forEach((cast, i) => {
    if (cast === null) return
    const v = key[i]
    if (typeof v !== 'string' || !KEY_FORMATS[cast].test(v)) throw new CatalogErrors.INVALID_CURSOR('bad sort key')
  })
}

/** The text query as a plain filter (listings sorted by something other than relevance, counts, facets). */
export function textMatch (sql: Sql, f: ListingFilter): Fragment {
  if (f.text === undefined) return sql``
  // Every word was dropped or is a stop word: nothing to match (an empty tsquery matches nothing, with a notice).
  return f.text.words.length === 0 ? sql`AND false` : sql`AND p.search_vector @@ ${tsqueryOf(f.text.words)}::tsquery`
}

export function filters (sql: Sql, f: ListingFilter): Fragment {
  return sql`
    ${f.categoryIds ? sql`AND p.category_id = ANY(${f.categoryIds}::int[])` : sql``}
    ${f.minPrice !== undefined ? sql`AND p.effective_price >= ${f.minPrice}::numeric` : sql``}
    ${f.maxPrice !== undefined ? sql`AND p.effective_price <= ${f.maxPrice}::numeric` : sql``}
    ${f.brand !== undefined ? sql`AND lower(p.brand) = ${f.brand}` : sql``}
    ${f.featured !== undefined ? sql`AND p.is_featured = ${f.featured}` : sql``}
    ${f.inStock === true ? sql`AND p.stock_quantity > 0` : f.inStock === false ? sql`AND p.stock_quantity = 0` : sql``}`
}

/** True when the listing narrows the catalog beyond its text. */
export function hasFilters (f: ListingFilter): boolean {
  return f.categoryIds !== undefined || f.minPrice !== undefined || f.maxPrice !== undefined ||
    f.brand !== undefined || f.featured !== undefined || f.inStock !== undefined
}

function keyset (sql: Sql, spec: SortSpec, after: ListingRequest['after']): Fragment {
  if (!after) return sql``
  const op = spec.desc ? sql`<` : sql`>`
  const k1 = `p.${spec.keys[0]}`
  const v1 = sql`${after.key[0]}::${sql.unsafe(spec.casts[0])}`
  // The redundant bound on the first key lets a single-column index serve the scan.
  const bound = spec.desc ? sql`<=` : sql`>=`
  return sql`AND ${sql.unsafe(k1)} ${bound} ${v1} AND (${sql.unsafe(k1)}, p.id) ${op} (${v1}, ${after.id}::int)`
}

function orderBy (sql: Sql, spec: SortSpec): Fragment {
  const dir = spec.desc ? 'DESC' : 'ASC'
  return sql.unsafe(`p.${spec.keys[0]} ${dir}, p.id ${dir}`)
}

function keyColumns (sql: Sql, spec: SortSpec): Fragment {
  return sql.unsafe(`p.${spec.keys[0]}::text AS k1, NULL AS k2`)
}

/**
 * One page of a listing. A relevance search walks its tiers (fetchRelevance);
 * every other listing (text match as a filter, or none) reads in index order
 * and stops after the page, and is counted separately (countListing).
 */
export async function fetchListingPage (sql: Sql, req: ListingRequest, ctx: SearchContext): Promise<ListingPage> {
  const spec = sortSpec(req, req.filter.text !== undefined)
  if (req.filter.text !== undefined && req.sort === 'relevance') {
    return ctx.matches !== undefined && servesFilter(req.filter)
      ? relevanceInProcess(sql, req, req.filter.text, ctx.matches)
      : fetchRelevance(sql, req, req.filter.text, ctx)
  }
  if (req.filter.categoryIds !== undefined) return { rows: await fetchCategoryPage(sql, req, spec) }
  const rows = await timedSql(req.filter.text === undefined ? 'catalog.list' : 'catalog.search_sorted', sql<ListingPage['rows']>`
    SELECT ${SUMMARY_COLUMNS(sql)}, ${keyColumns(sql, spec)}
    FROM products p JOIN categories c ON c.id = p.category_id
    WHERE p.is_active ${textMatch(sql, req.filter)} ${filters(sql, req.filter)} ${keyset(sql, spec, req.after)}
    ORDER BY ${orderBy(sql, spec)}
    LIMIT ${req.pageSize + 1} OFFSET ${req.offset}`)
  return { rows }
}

/**
 * Relevance tiers, best first: the name equals the query; every word is in
 * the name or brand; the words are found only with the descriptions. Within
 * a tier, search_rank (popularity, then id) decides. Every match of the
 * query is in exactly one tier, so the order is total over all matches.
 */
type Tier = 2 | 1 | 0
const TIERS: Tier[] = [2, 1, 0]

/**
 * Costs per row measured on this project's machines (docs/SEARCH.md): a step
 * of a scan in search_rank order that reads the row (heap visit and text
 * check), and one match taken from a text index and ordered (RUM keeps the
 * rank in the index; GIN needs a heap visit and a sort).
 */
const SCAN_ROW_US = 2
const INDEX_MATCH_US: Record<TextIndex, number> = { rum: 0.3, gin: 4 }
/** Filters other than the text make a scan read this many times more rows (a guess: their selectivity is unknown here). */
const FILTERED_SCAN_FACTOR = 5
/** A scan in rank order reads at most this many rows more than it expects before giving the tier to the text index. */
const SCAN_SLACK_ROWS = 2000

/**
 * Chooses, per tier, between reading the catalog in rank order and keeping
 * the rows that match (cost grows with catalog size / matches: cheap for
 * broad words) and taking every match from the text index in rank order
 * (cost grows with the matches: cheap for rare words). A scan is bounded:
 * when it reads its budget without filling the page, the text index serves
 * the tier instead, so a misestimate costs a bounded detour, never a walk
 * through the whole catalog.
 */
function scanBudget (matches: number, need: number, catalogSize: number, filtered: boolean, index: TextIndex): number | undefined {
  if (matches <= 0) return undefined
  const expectedRows = need * Math.max(catalogSize, matches) / matches * (filtered ? FILTERED_SCAN_FACTOR : 1)
  if (expectedRows * SCAN_ROW_US >= matches * INDEX_MATCH_US[index]) return undefined
  return Math.ceil(expectedRows * 2 + SCAN_SLACK_ROWS)
}

/** Estimated matches of the tier: the rarest word bounds the intersection. */
function tierMatches (text: TextQuery, tier: Tier): number {
  if (text.words.length === 0) return 0
  const ndoc = Math.min(...text.words.map((w) => w.ndoc))
  const ntitle = Math.min(...text.words.map((w) => w.ntitle))
  return tier === 1 ? ntitle : Math.max(ndoc - ntitle, 0)
}

interface TierQuery {
  tier: Tier
  tsquery: string
  /** Lowercased names that count as the exact name (exactNames). */
  exact: string[]
  filter: ListingFilter
  need: number
  /** Start after this rank (cursor within the tier). */
  before?: string
}

/** A match in relevance order; with the product's summary columns when the statement read them. */
type Ranked = Partial<SummaryRow> & { id: number, tier: number, rank: string }

/** The condition that puts a product in the tier. */
function tierMatch (sql: Sql, t: TierQuery): Fragment {
  switch (t.tier) {
    case 2: return sql`lower(p.name) = ANY(${t.exact}::text[])`
    case 1: return sql`p.title_vector @@ ${t.tsquery}::tsquery AND lower(p.name) <> ALL(${t.exact}::text[])`
    case 0: return sql`p.search_vector @@ ${t.tsquery}::tsquery AND NOT p.title_vector @@ ${t.tsquery}::tsquery AND lower(p.name) <> ALL(${t.exact}::text[])`
  }
}

const rankBound = (sql: Sql, before: string | undefined): Fragment => before === undefined ? sql`` : sql`AND p.search_rank < ${before}::float8`

/**
 * What a tier statement selects: the relevance keys, and the summary columns
 * too when the page starts at the first match (`withRows`), which saves a
 * second statement; deeper offsets read ids only and fetch the page's rows after.
 */
function tierColumns (sql: Sql, tier: Tier, withRows: boolean): Fragment {
  const keys = sql`${tier}::int AS tier, p.search_rank::bigint::text AS rank, p.search_rank AS sort_rank`
  return withRows ? sql`${SUMMARY_COLUMNS(sql)}, ${keys}` : sql`p.id, ${keys}`
}
const categoryJoin = (sql: Sql, withRows: boolean): Fragment => withRows ? sql`JOIN categories c ON c.id = p.category_id` : sql``

/**
 * The tier's matches in rank order, read from the catalog in that order (at
 * most `budget` rows read). With `exact`, the exact-name probe runs in the
 * same statement, its rows first.
 */
function scanTier (sql: Sql, t: TierQuery, budget: number, withRows: boolean, exact?: TierQuery): Promise<Ranked[]> {
  const scan = sql`SELECT ${tierColumns(sql, t.tier, withRows)}
    FROM (
      SELECT * FROM products p WHERE p.is_active ${rankBound(sql, t.before)}
      ORDER BY p.search_rank DESC LIMIT ${budget}
    ) p ${categoryJoin(sql, withRows)}
    WHERE ${tierMatch(sql, t)} ${filters(sql, t.filter)}
    LIMIT ${t.need}`
  if (exact === undefined) return timedSql('catalog.search_scan', sql<Ranked[]>`${scan}`)
  return timedSql('catalog.search_scan', sql<Ranked[]>`
    SELECT * FROM ((${exactBranch(sql, exact, withRows)}) UNION ALL (${scan})) u ORDER BY u.tier DESC, u.sort_rank DESC`)
}

/**
 * The best `t.need` of every product matching `where`, all of them read
 * first (materialized, so the planner cannot turn the query into a walk down
 * the rank index that tests each product), then sorted by rank.
 */
function bestOfAll (sql: Sql, t: TierQuery, where: Fragment, withRows: boolean): Fragment {
  return sql`WITH m AS MATERIALIZED (SELECT p.id, p.search_rank FROM products p WHERE ${where})
    SELECT ${tierColumns(sql, t.tier, withRows)}
    FROM (SELECT m.id FROM m ORDER BY m.search_rank DESC LIMIT ${t.need}) top
    JOIN products p ON p.id = top.id ${categoryJoin(sql, withRows)}`
}

const tierWhere = (sql: Sql, t: TierQuery): Fragment => sql`p.is_active AND ${tierMatch(sql, t)} ${filters(sql, t.filter)} ${rankBound(sql, t.before)}`

/** The products named as the query (tier 2), through the name index, best first. */
const exactBranch = (sql: Sql, t: TierQuery, withRows: boolean): Fragment => bestOfAll(sql, t, tierWhere(sql, t), withRows)

/**
 * One tier's matches in rank order. The exact name: the few products of that
 * name, through the name index. Other tiers: from RUM already in rank order,
 * or every match through GIN, then sorted.
 */
function indexBranch (sql: Sql, t: TierQuery, index: TextIndex, withRows: boolean): Fragment {
  if (t.tier === 2) return exactBranch(sql, t, withRows)
  const where = tierWhere(sql, t)
  if (index === 'gin') return bestOfAll(sql, t, sql`p.search_vector @@ ${t.tsquery}::tsquery AND ${where}`, withRows)
  // `<=|` is RUM's distance to a bound above every rank: ascending distance is descending rank.
  return sql`SELECT ${tierColumns(sql, t.tier, withRows)} FROM products p ${categoryJoin(sql, withRows)}
    WHERE ${where} ORDER BY p.search_rank <=| '1e15'::float8 LIMIT ${t.need}`
}

/** Consecutive tiers served by the text index, in one statement, best first. */
function indexTiers (sql: Sql, tiers: TierQuery[], index: TextIndex, withRows: boolean): Promise<Ranked[]> {
  const branches = tiers.map((t) => sql`(${indexBranch(sql, t, index, withRows)})`)
  const union = branches.reduce((acc, b) => sql`${acc} UNION ALL ${b}`)
  return timedSql(`catalog.search_${index}`, sql<Ranked[]>`
    SELECT * FROM (${union}) u ORDER BY u.tier DESC, u.sort_rank DESC LIMIT ${tiers[0].need}`)
}

/**
 * Relevance: the tiers in order, each read until the page is full, so a
 * broad word stops after the page (ranked over every match, since within a
 * tier rows come in rank order) and a rare word reads its few matches. The
 * exact-name probe shares a statement with the name tier when the text index
 * serves it. The total is exact when every tier ran out before the page filled.
 */
async function fetchRelevance (sql: Sql, req: ListingRequest, text: TextQuery, ctx: SearchContext): Promise<ListingPage> {
  const { index } = ctx
  const need = req.offset + req.pageSize + 1
  const withRows = req.offset === 0
  const after = req.after ? { tier: Number(req.after.key[0]) as Tier, rank: String(req.after.key[1]) } : undefined
  // Most queries are no product's name: then the exact-name tier is left out of the statements.
  const exact = exactNames(text).filter(ctx.mayHaveName)
  const tiers = TIERS.filter((tier) => !(after && tier > after.tier) && (tier === 2 ? exact.length > 0 : text.words.length > 0))
  const tsquery = tsqueryOf(text.words)
  const query = (tier: Tier, remaining: number): TierQuery => ({
    tier,
    tsquery,
    exact,
    filter: req.filter,
    need: remaining,
    before: after && tier === after.tier ? after.rank : undefined
  })
  const budgetOf = (t: TierQuery) => t.tier === 2 ? undefined : scanBudget(tierMatches(text, t.tier), t.need, text.catalogSize, hasFilters(t.filter), index)
  const found: Ranked[] = []
  for (let i = 0; i < tiers.length && found.length < need;) {
    const t = query(tiers[i], need - found.length)
    const next = tiers[i + 1] === 1 && t.tier === 2 ? query(1, t.need) : undefined
    const nextBudget = next === undefined ? undefined : budgetOf(next)
    if (next !== undefined && nextBudget !== undefined) {
      // Exact name and a name tier read in rank order, in one statement.
      const rows = await scanTier(sql, next, nextBudget, withRows, t)
      found.push(...rows.filter((r) => r.tier === 2))
      const scanned = rows.filter((r) => r.tier === 1)
      const remaining = need - found.length
      // Fewer than needed: the scan may have stopped at its budget, so the text index serves the tier.
      found.push(...(scanned.length >= remaining ? scanned.slice(0, remaining) : await indexTiers(sql, [query(1, remaining)], index, withRows)))
      i += 2
      continue
    }
    const budget = budgetOf(t)
    if (budget !== undefined) {
      const scanned = await scanTier(sql, t, budget, withRows)
      found.push(...(scanned.length === t.need ? scanned : await indexTiers(sql, [t], index, withRows)))
      i++
      continue
    }
    const group = next === undefined ? [t] : [t, next]
    found.push(...await indexTiers(sql, group, index, withRows))
    i += group.length
  }
  const page = found.slice(req.offset)
  const rows = withRows
    ? page.map(({ tier, rank, ...row }) => ({ ...row as SummaryRow, k1: String(tier), k2: rank }))
    : page.length === 0 ? [] : await fetchSummaries(sql, page)
  const total = found.length < need && after === undefined ? { count: found.length, exact: true } : undefined
  return { rows, total }
}

/** Whether the match index can apply the filter: it holds every filtered field but stock. */
export function servesFilter (f: ListingFilter): boolean {
  return f.inStock === undefined
}

/** The filter as the match index applies it (prices as numbers: both sides have at most two decimals). */
export function matchFilter (f: ListingFilter): MatchFilter {
  return {
    categoryIds: f.categoryIds,
    minPrice: f.minPrice === undefined ? undefined : Number(f.minPrice),
    maxPrice: f.maxPrice === undefined ? undefined : Number(f.maxPrice),
    brand: f.brand,
    featured: f.featured
  }
}

/**
 * Relevance from the in-process match index: every match found, ranked and
 * counted in process, then the page's rows in one statement by id.
 */
async function relevanceInProcess (sql: Sql, req: ListingRequest, text: TextQuery, matches: MatchIndex): Promise<ListingPage> {
  const after = req.after ? { tier: Number(req.after.key[0]) as MatchTier, rank: Number(req.after.key[1]) } : undefined
  const { top, total } = matches.search({
    words: text.words,
    exact: exactNames(text),
    filter: matchFilter(req.filter),
    need: req.offset + req.pageSize + 1,
    after
  })
  const page = top.slice(req.offset)
  const rows = page.length === 0 ? [] : await fetchSummaries(sql, page.map((m) => ({ id: m.id, tier: m.tier, rank: String(m.rank) })))
  return { rows, total: { count: total, exact: true } }
}

/** Summary rows of these ranked ids, in their order, with their relevance keys. */
async function fetchSummaries (sql: Sql, ids: Ranked[]): Promise<ListingPage['rows']> {
  const rows = await timedSql('catalog.search_rows', sql<(SummaryRow & { k1: SortKeyValue, k2: SortKeyValue | null })[]>`
    SELECT ${SUMMARY_COLUMNS(sql)}, NULL AS k1, NULL AS k2
    FROM products p JOIN categories c ON c.id = p.category_id
    WHERE p.id = ANY(${ids.map((r) => r.id)}::int[])`)
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.flatMap((r) => {
    const row = byId.get(r.id)
    return row ? [{ ...row, k1: String(r.tier), k2: r.rank }] : []
  })
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
    SELECT ${SUMMARY_COLUMNS(sql)}, ${keyColumns(sql, spec)}
    FROM unnest(${req.filter.categoryIds!}::int[]) AS cid(id)
    CROSS JOIN LATERAL (
      SELECT p.* FROM products p
      WHERE p.category_id = cid.id AND p.is_active ${textMatch(sql, perCategory)} ${filters(sql, perCategory)} ${keyset(sql, spec, req.after)}
      ORDER BY ${orderBy(sql, spec)}
      LIMIT ${req.offset + limit}
    ) p
    JOIN categories c ON c.id = p.category_id
    ORDER BY ${orderBy(sql, spec)}
    LIMIT ${limit} OFFSET ${req.offset}`)
}

/** A text search reads at most this many of its text matches to count or estimate its total. */
export const TEXT_COUNT_SAMPLE = 300

/**
 * Matches of a listing. Without text: counted up to COUNT_CAP, so a broad
 * filter stays cheap. With text, every counted match is a heap visit, so the
 * count reads at most TEXT_COUNT_SAMPLE text matches (in table order, which
 * is unrelated to price, brand or category): when that is all of them the
 * count is exact; otherwise the total is estimated as the text's match count
 * (from the term statistics) times the share of the sample that passes the
 * other filters. A single word without filters needs no query at all.
 */
export async function countListing (sql: Sql, filter: ListingFilter, inProcess?: MatchIndex): Promise<{ count: number, exact: boolean }> {
  const text = filter.text
  if (text !== undefined && inProcess !== undefined && servesFilter(filter)) {
    return { count: inProcess.search({ words: text.words, exact: [], filter: matchFilter(filter), need: 0 }).total, exact: true }
  }
  if (text === undefined) {
    const [row] = await timedSql('catalog.count', sql<{ n: string }[]>`
      SELECT count(*) AS n FROM (SELECT 1 FROM products p WHERE p.is_active ${filters(sql, filter)} LIMIT ${COUNT_CAP + 1}) s`)
    const n = Number(row.n)
    return n > COUNT_CAP ? { count: COUNT_CAP, exact: false } : { count: n, exact: true }
  }
  if (text.words.length === 0) return { count: 0, exact: true }
  const matches = textMatches(text)
  if (!hasFilters(filter) && text.words.length === 1 && matches > TEXT_COUNT_SAMPLE) return { count: matches, exact: false }
  const [row] = await timedSql('catalog.count_text', sql<{ seen: number, passed: number }[]>`
    SELECT count(*)::int AS seen, count(*) FILTER (WHERE true ${filters(sql, filter)})::int AS passed
    FROM (SELECT * FROM products p WHERE p.is_active ${textMatch(sql, filter)} LIMIT ${TEXT_COUNT_SAMPLE + 1}) p`)
  if (row.seen <= TEXT_COUNT_SAMPLE) return { count: row.passed, exact: true }
  return { count: Math.max(Math.round(Math.max(matches, row.seen) * row.passed / row.seen), row.passed > 0 ? 1 : 0), exact: false }
}

/**
 * Estimated text matches of the words together: the catalog times the
 * product of each word's share (as if independent), within what the
 * statistics bound it to (at most the rarest word's count).
 */
function textMatches (text: TextQuery): number {
  const n = Math.max(text.catalogSize, ...text.words.map((w) => w.ndoc))
  const rarest = Math.min(...text.words.map((w) => w.ndoc))
  const independent = text.words.reduce((acc, w) => acc * (w.ndoc / n), n)
  return Math.round(Math.min(rarest, Math.max(independent, 1)))
}
