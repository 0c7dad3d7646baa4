import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../../db/client.js'
import { CatalogTags } from './catalog.keys.js'
import { timedSql } from './catalog.sql.js'
import { sortIntsInSteps } from '../../lib/sorted-strings.js'
import { buildTokenIndex, createTokenIndexBuilder, findEntries, type TokenIndex } from './catalog.suggest-index.js'
import type { Suggestion, SuggestResponse } from './catalog.suggest-schemas.js'
import { documentTokens, normalizeText, queryWords } from './catalog.suggest-tokens.js'

/** Seconds between two rebuilds of an instance's index (each instance rebuilds on its own timer). */
export const DEFAULT_SUGGEST_REFRESH_S = 300
/** A rebuild this long after the last product write seen (a burst of writes costs one rebuild). */
export const DEFAULT_SUGGEST_AFTER_WRITE_MS = 1000
// Between the end of a build and a rebuild after writes, at least this many times the build's duration:
// a steady stream of product writes then costs at most a fifth of a core.
const REBUILD_SPACING = 4
// A failed first load is retried this much later (a failed rebuild keeps the previous index until the next one).
const RETRY_MS = 5000
// Rows per query while loading: each is a short index scan on the primary key, and the event loop runs between them.
const LOAD_CHUNK = 5000
// Rows processed between two yields to the event loop while building.
const WORK_CHUNK = 2000
// Rows counted or placed by the popularity sort between two yields (a few integer operations each).
const SORT_CHUNK = 20_000
// Rating counts above this rank as equal (ties then go by rating): bounds the counting sort's buckets.
const MAX_RANKED_COUNT = 1_000_000
/** Brands and categories shown before the products, each, at most: one per four suggestions, up to two. */
const MAX_GROUP_SLOTS = 2
// Any product write (name, activity, category) bumps this tag, here or on another instance, or made outside the app.
const PRODUCTS_CHANGED_TAG = CatalogTags.scope('all', 'base')

interface ProductItem { id: number, text: string, slug: string }
interface BrandItem { text: string, productCount: number }
interface CategoryItem { id: number, text: string, slug: string, productCount: number }

/** One built index of each kind, entries best first. */
export interface Built {
  products: { index: TokenIndex, items: ProductItem[] }
  brands: { index: TokenIndex, items: BrandItem[] }
  categories: { index: TokenIndex, items: CategoryItem[] }
  /** Hashes (nameHash) of every distinct product name, sorted: whether a query can equal a name. */
  nameHashes: Int32Array
  builtAt: Date
}

/** A product name lowercased, its spaces collapsed: names equal so are one entry. */
function nameKey (name: string): string {
  return name.toLowerCase().replace(/\s+/g, ' ').trim()
}

/** A 32-bit FNV-1a hash of a product name, lowercased and with its spaces collapsed. */
export function nameHash (name: string): number {
  return keyHash(nameKey(name))
}

function keyHash (key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return h | 0
}

function sortedContains (sorted: Int32Array, value: number): boolean {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] === value) return true
    if (sorted[mid] < value) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

export interface ProductRow { id: number, name: string, slug: string, brand: string | null, category_id: number, rating_count: number, rating_cents: number }
export interface CategoryRow { id: number, name: string, slug: string, parent_id: number | null }

export interface SuggestionsDeps {
  readSql: Sql
  log: FastifyBaseLogger
  /** Listens to the cache's invalidations: a product write anywhere schedules a rebuild. */
  onInvalidate: (listener: (tags: string[]) => void) => void
  /** @default 300 (0: no periodic rebuild; the index still loads at start and after product writes) */
  refreshS?: number
  /** @default 1000 */
  afterWriteMs?: number
}

async function loadProducts (sql: Sql): Promise<ProductRow[]> {
  const rows: ProductRow[] = []
  for (let last = 0; ;) {
    const chunk = await timedSql('catalog.suggest_products', sql<ProductRow[]>`
      SELECT id, name, slug, brand, category_id, rating_count, (rating_avg * 100)::int AS rating_cents
      FROM products WHERE is_active AND id > ${last} ORDER BY id LIMIT ${LOAD_CHUNK}`)
    for (const r of chunk) rows.push(r)
    if (chunk.length < LOAD_CHUNK) return rows
    last = chunk[chunk.length - 1].id
  }
}

/** Stable counting sort of `order` by `key` (0..max), largest key first, with a yield every SORT_CHUNK rows. */
async function byKeyDescending (order: Int32Array, key: (position: number) => number, max: number): Promise<Int32Array> {
  const counts = new Int32Array(max + 2)
  for (let i = 0; i < order.length; i++) {
    counts[max - key(order[i]) + 1]++
    if (i % SORT_CHUNK === SORT_CHUNK - 1) await yieldToEventLoop()
  }
  for (let k = 1; k < counts.length; k++) counts[k] += counts[k - 1]
  const out = new Int32Array(order.length)
  for (let i = 0; i < order.length; i++) {
    out[counts[max - key(order[i])]++] = order[i]
    if (i % SORT_CHUNK === SORT_CHUNK - 1) await yieldToEventLoop()
  }
  return out
}

/**
 * Positions of `rows` by popularity: rating count, then rating average, then
 * id (rows come in id order). Two stable counting sorts (rating, then count):
 * linear, where a comparison sort of 500,000 rows holds the event loop for
 * well over 100 ms; each in steps, as one pass over 500,000 rows holds it for 50-150 ms.
 */
async function byPopularity (rows: ProductRow[]): Promise<Int32Array> {
  let maxCount = 0
  const positions = new Int32Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    maxCount = Math.max(maxCount, Math.min(rows[i].rating_count, MAX_RANKED_COUNT))
    positions[i] = i
    if (i % SORT_CHUNK === SORT_CHUNK - 1) await yieldToEventLoop()
  }
  const byRating = await byKeyDescending(positions, (i) => Math.max(0, Math.min(500, rows[i].rating_cents)), 500)
  return byKeyDescending(byRating, (i) => Math.min(rows[i].rating_count, MAX_RANKED_COUNT), maxCount)
}

async function build (sql: Sql): Promise<Built> {
  const [rows, categoryRows] = await Promise.all([
    loadProducts(sql),
    timedSql('catalog.suggest_categories', sql<CategoryRow[]>`SELECT id, name, slug, parent_id FROM categories WHERE is_active`)
  ])
  return buildFromRows(rows, categoryRows)
}

/** The index of these active products (in id order) and active categories; exported for the benchmark's larger catalogs. */
export async function buildFromRows (rows: ProductRow[], categoryRows: CategoryRow[]): Promise<Built> {
  const order = await byPopularity(rows)
  await yieldToEventLoop()
  // Products: one entry per distinct name (the most popular product of that name).
  const seen = new Set<string>()
  const products: ProductItem[] = []
  const brandCounts = new Map<string, BrandItem>()
  // Brands repeat: each distinct spelling is normalized once.
  const brandKeys = new Map<string, string>()
  const direct = new Map<number, number>()
  const nameHashes = new Int32Array(order.length)
  for (let k = 0; k < order.length; k++) {
    const r = rows[order[k]]
    direct.set(r.category_id, (direct.get(r.category_id) ?? 0) + 1)
    if (r.brand !== null && r.brand.trim() !== '') {
      let key = brandKeys.get(r.brand)
      if (key === undefined) brandKeys.set(r.brand, key = normalizeText(r.brand.trim()))
      const brand = brandCounts.get(key)
      if (brand) brand.productCount++
      else brandCounts.set(key, { text: r.brand.trim(), productCount: 1 })
    }
    const key = nameKey(r.name)
    if (!seen.has(key)) {
      seen.add(key)
      nameHashes[products.length] = keyHash(key)
      products.push({ id: r.id, text: r.name, slug: r.slug })
    }
    if (k % WORK_CHUNK === WORK_CHUNK - 1) await yieldToEventLoop()
  }
  const productIndex = createTokenIndexBuilder()
  for (let i = 0; i < products.length; i++) {
    productIndex.add(documentTokens(products[i].text))
    if (i % WORK_CHUNK === WORK_CHUNK - 1) await yieldToEventLoop()
  }
  const brands = [...brandCounts.values()].sort((a, b) => b.productCount - a.productCount || a.text.localeCompare(b.text))
  const categories = categoriesWithCounts(categoryRows, direct)
  return {
    products: { index: await productIndex.build(), items: products },
    brands: { index: await buildTokenIndex(brands.map((b) => documentTokens(b.text))), items: brands },
    categories: { index: await buildTokenIndex(categories.map((c) => documentTokens(c.text))), items: categories },
    // Hashed as the names were seen; sorted in steps (one sort of 500,000 holds the event loop for about 50 ms).
    nameHashes: await sortIntsInSteps(nameHashes.slice(0, products.length), yieldToEventLoop),
    builtAt: new Date()
  }
}

/**
 * Active categories under active parents (those the category tree shows),
 * with the active products of their subtree, most first.
 */
function categoriesWithCounts (rows: CategoryRow[], direct: Map<number, number>): CategoryItem[] {
  const byId = new Map(rows.map((r) => [r.id, r]))
  const visible = (r: CategoryRow, depth = 0): boolean =>
    r.parent_id === null || (depth < 64 && byId.has(r.parent_id) && visible(byId.get(r.parent_id)!, depth + 1))
  const shown = rows.filter((r) => visible(r))
  const totals = new Map<number, number>(shown.map((r) => [r.id, 0]))
  for (const r of shown) {
    const n = direct.get(r.id) ?? 0
    for (let c: CategoryRow | undefined = r, depth = 0; c !== undefined && depth < 64; depth++) {
      totals.set(c.id, (totals.get(c.id) ?? 0) + n)
      c = c.parent_id === null ? undefined : byId.get(c.parent_id)
    }
  }
  return shown.map((r) => ({ id: r.id, text: r.name, slug: r.slug, productCount: totals.get(r.id) ?? 0 }))
    .sort((a, b) => b.productCount - a.productCount || a.text.localeCompare(b.text))
}

/** Up to `limit` suggestions: brands and categories first (a few slots each), products after, then more of the first two. */
function compose (built: Built, words: string[], limit: number): Suggestion[] {
  const slots = Math.min(MAX_GROUP_SLOTS, Math.floor(limit / 4))
  const brands = findEntries(built.brands.index, words, limit).map((e): Suggestion => {
    const b = built.brands.items[e]
    return { type: 'brand', text: b.text, product_count: b.productCount }
  })
  const categories = findEntries(built.categories.index, words, limit).map((e): Suggestion => {
    const c = built.categories.items[e]
    return { type: 'category', text: c.text, id: c.id, slug: c.slug, product_count: c.productCount }
  })
  const leading = [...brands.slice(0, slots), ...categories.slice(0, slots)]
  const products = findEntries(built.products.index, words, limit - leading.length).map((e): Suggestion => {
    const p = built.products.items[e]
    return { type: 'product', text: p.text, id: p.id, slug: p.slug }
  })
  const rest = [...brands.slice(slots), ...categories.slice(slots)].slice(0, limit - leading.length - products.length)
  return [...leading, ...products, ...rest]
}

/** The answer for a typed text from an index (`ready: false` without one). */
export function answer (built: Built | undefined, q: string, limit: number): SuggestResponse {
  if (!built) return { query: q, ready: false, suggestions: [] }
  const words = queryWords(q)
  return { query: q, ready: true, suggestions: words.length === 0 ? [] : compose(built, words, limit) }
}

/**
 * As-you-type suggestions from an in-process index of active product names,
 * brands and categories: a request costs no database round trip, only
 * binary searches and a walk of posting lists (catalog.suggest-index.ts).
 * Each instance loads the index from the read database in the background at
 * start, rebuilds it on its own timer and soon after any product write it
 * hears of (its own, another instance's through the cache bus, or one made
 * outside the app): a second later, or four build durations after the last
 * build when that is later. The new index replaces the old one whole;
 * requests keep using the previous one meanwhile. Until the first load finishes, answers say
 * `ready: false` with no suggestions.
 */
export function createSuggestions (deps: SuggestionsDeps) {
  const log = deps.log
  const refreshS = deps.refreshS ?? DEFAULT_SUGGEST_REFRESH_S
  const afterWriteMs = deps.afterWriteMs ?? DEFAULT_SUGGEST_AFTER_WRITE_MS
  let built: Built | undefined
  let current: Promise<void> | undefined
  let next: Promise<void> | undefined
  let interval: NodeJS.Timeout | undefined
  let soon: NodeJS.Timeout | undefined
  let started = false
  let stopped = false

  let earliestAfterWrite = 0
  // When the rows of the index in use were read, and when a product write was last heard of.
  let builtFrom = -Infinity
  let lastWrite = 0

  async function load (): Promise<void> {
    const startedAt = performance.now()
    const fresh = await build(deps.readSql)
    earliestAfterWrite = performance.now() + REBUILD_SPACING * (performance.now() - startedAt)
    if (stopped) return
    built = fresh
    builtFrom = startedAt
    const counts = { products: fresh.products.items.length, brands: fresh.brands.items.length, categories: fresh.categories.items.length }
    log.info({ ...counts, tokens: fresh.products.index.tokens.length, ms: Math.round(performance.now() - startedAt) }, 'suggestion index built')
  }

  /** Builds the index; resolves once a build that started after this call has finished. */
  function rebuild (): Promise<void> {
    if (current === undefined) {
      current = load().finally(() => { current = undefined })
      return current
    }
    next ??= current.catch(() => {}).then(() => { next = undefined; return rebuild() })
    return next
  }

  function runInBackground (): void {
    rebuild().catch((err) => {
      if (stopped) return
      log.warn({ err }, built ? 'suggestion index rebuild failed; serving the previous one' : `suggestion index load failed; retrying in ${RETRY_MS} ms`)
      if (!built) schedule(RETRY_MS)
    })
  }

  function schedule (ms: number): void {
    if (!started || stopped) return
    clearTimeout(soon)
    soon = setTimeout(() => { soon = undefined; runInBackground() }, ms).unref()
  }

  // A write while a rebuild is already due changes nothing (the rebuild reads after it): a steady
  // stream of writes cannot postpone the rebuild forever.
  deps.onInvalidate((tags) => {
    if (!tags.includes(PRODUCTS_CHANGED_TAG)) return
    lastWrite = performance.now()
    if (soon === undefined) schedule(Math.max(afterWriteMs, earliestAfterWrite - performance.now()))
  })

  return {
    rebuild,

    /** Suggestions for a typed text; never waits on anything. */
    suggest: (q: string, limit: number): SuggestResponse => answer(built, q, limit),

    /**
     * False when no active product has this name (lowercased, spaces
     * collapsed); true when one may (a hash match), and whenever the index
     * is not loaded yet or older than the last product write heard of.
     */
    mayHaveName: (name: string): boolean => built === undefined || builtFrom <= lastWrite || sortedContains(built.nameHashes, nameHash(name)),

    /** When the index in use was built (undefined before the first load). */
    builtAt: (): Date | undefined => built?.builtAt,

    /** Loads the index in the background and starts the periodic rebuild. */
    start (): void {
      if (started || stopped) return
      started = true
      schedule(0)
      if (refreshS > 0) interval = setInterval(runInBackground, refreshS * 1000).unref()
    },

    stop (): void {
      stopped = true
      clearTimeout(soon)
      clearInterval(interval)
    }
  }
}

export type Suggestions = ReturnType<typeof createSuggestions>
