import type { FastifyBaseLogger } from 'fastify'
import type { Database, Sql } from '../../db/client.js'
import type { CacheDecorator, CacheResult } from '../../plugins/cache.js'
import type { AuthUser } from '../../plugins/auth.js'
import { createCategoryIndexSource } from './catalog.categories.js'
import { money, toCategoryTree, toDetail } from './catalog.dto.js'
import { CatalogErrors } from './catalog.errors.js'
import { CATALOG_CACHE_TTL_S, CatalogKeys, CatalogTags, type ScopeFamily } from './catalog.keys.js'
import { createListing } from './catalog.listing.js'
import { createMatchSource } from './catalog.matches.js'
import { createTextIndexProbe } from './catalog.text-index.js'
import { createCatalogRepository, POPULAR_WINDOW_DAYS } from './catalog.repository.js'
import { DEFAULT_POPULAR_LIMIT, MAX_POPULAR_LIMIT, type CreateProductBody, type ListQuery, type UpdateProductBody } from './catalog.schemas.js'
import { createSuggestions } from './catalog.suggest.js'
import type { SuggestResponse } from './catalog.suggest-schemas.js'
import { createWordsRefresher } from './catalog.words.js'
import { createProductWriter, type ProductChange, type WrittenProduct } from './catalog.writes.js'

export interface CatalogServiceDeps {
  db: { db: Database, sql: Sql, readSql: Sql }
  cache: CacheDecorator
  log: FastifyBaseLogger
  /** Seconds between rebuilds of the spelling vocabulary; 0 turns the periodic rebuild off. */
  wordsRefreshS: number
  /** `auto`: RUM when its indexes exist, else GIN; `gin` forces the GIN path. */
  searchTextIndex: 'auto' | 'gin'
  /** Relevance searches from the in-process match index once it has loaded; false: always the database's text index. */
  searchMatchIndex: boolean
}

/** Products written together, with their categories and slugs before and after the write. */
export interface WrittenProducts { ids: number[], categoryIds: number[], slugs: string[] }

/** What a cached read hands the route: bytes to send, their ETag, and how they were found. */
export type CachedJson = Pick<CacheResult, 'body' | 'etag' | 'status'>

const ALL_FAMILIES: ScopeFamily[] = ['base', 'stock', 'rating']
// Popular items show no stock or rating, so orders (stock) do not invalidate the ranking;
// product writes (price, name, activity) do, through the base scope. New orders count once the TTL ends.
const POPULAR_TAGS = [CatalogTags.scope('all', 'base')]

/**
 * The catalog: cached reads (detail, lists, search, categories, popular),
 * product writes, and the invalidation other modules call after changing
 * stock or ratings. Every read returns serialized bytes, so a cache hit
 * sends them without serializing again.
 */
export function createCatalogService (deps: CatalogServiceDeps) {
  const { cache } = deps
  const log = deps.log.child({ module: 'catalog' })
  const repo = createCatalogRepository({ db: deps.db.db, sql: deps.db.sql, readSql: deps.db.readSql })
  const categoryIndex = createCategoryIndexSource(cache, repo)
  const words = createWordsRefresher({ sql: deps.db.sql, readSql: deps.db.readSql, log, intervalS: deps.wordsRefreshS })
  const suggestions = createSuggestions({ readSql: deps.db.readSql, log, onInvalidate: cache.onInvalidate })
  const textIndex = createTextIndexProbe({ readSql: deps.db.readSql, log, setting: deps.searchTextIndex })
  const matchSource = deps.searchMatchIndex ? createMatchSource({ readSql: deps.db.readSql, log, onInvalidate: cache.onInvalidate }) : undefined
  const listing = createListing({
    cache,
    readSql: deps.db.readSql,
    categoryIndex,
    words,
    textIndex: textIndex.current,
    mayHaveName: suggestions.mayHaveName,
    matches: async () => matchSource?.current()
  })

  /** Tags of every entry showing the product: its detail and the pages listing it. */
  const productTags = (id: number): string[] => [CatalogTags.product(id), CatalogTags.listed(id)]

  /** Tags of every scope family for the categories and all their ancestors, plus `all`. */
  async function scopeTags (categoryIds: number[], families: ScopeFamily[]): Promise<string[]> {
    const index = await categoryIndex()
    const scopes = new Set<number | 'all'>(['all'])
    for (const id of categoryIds) for (const c of index.lineage(id)) scopes.add(c)
    return [...scopes].flatMap((s) => families.map((f) => CatalogTags.scope(s, f)))
  }

  /** What a product write makes stale: the products' entries, their slugs, and every page that could list them. */
  async function productsWritten (change: WrittenProducts): Promise<void> {
    await cache.invalidate([
      ...change.ids.flatMap(productTags),
      ...change.slugs.map(CatalogTags.slug),
      ...await scopeTags(change.categoryIds, ALL_FAMILIES)
    ])
  }

  async function afterWrite (change: ProductChange): Promise<void> {
    await productsWritten({ ids: [change.id], categoryIds: change.categoryIds, slugs: change.slugs })
    if (change.textChanged) words.afterWrite()
  }

  /** The top MAX_POPULAR_LIMIT popular products as a JSON array of PopularListSchema's items. */
  function popularTop (): Promise<CacheResult> {
    return cache.getOrLoad({
      type: 'popular_products',
      ttlS: CATALOG_CACHE_TTL_S.popular_products,
      key: CatalogKeys.popularTop,
      tags: POPULAR_TAGS,
      load: async () => ({
        body: JSON.stringify((await repo.popular(MAX_POPULAR_LIMIT)).map((r) => ({
          id: r.id,
          name: r.name,
          slug: r.slug,
          price: money(r.price),
          sale_price: r.sale_price === null ? null : money(r.sale_price),
          effective_price: money(r.effective_price),
          brand: r.brand,
          order_count: Number(r.order_count)
        })))
      })
    })
  }

  const writer = createProductWriter({ db: deps.db.db, sql: deps.db.sql, repo, afterWrite })

  function found (result: CacheResult, what: string): CachedJson {
    if (result.negative) throw new CatalogErrors.PRODUCT_NOT_FOUND(what)
    return result
  }

  return {
    // The hottest reads: a fresh L1 entry is answered synchronously (no promise per request).
    getProduct (id: number): CachedJson | Promise<CachedJson> {
      const key = CatalogKeys.productDetail(id)
      const hit = cache.peek('product_detail', key)
      if (hit !== undefined) return found(hit, String(id))
      return cache.getOrLoad({
        type: 'product_detail',
        ttlS: CATALOG_CACHE_TTL_S.product_detail,
        key,
        tags: [CatalogTags.product(id), CatalogTags.details],
        load: async () => {
          const row = await repo.findDetail(id)
          return row ? { body: JSON.stringify(toDetail(row)) } : { body: '', negative: true }
        }
      }).then((result) => found(result, String(id)))
    },

    getProductBySlug (slug: string): CachedJson | Promise<CachedJson> {
      const key = CatalogKeys.productBySlug(slug)
      const hit = cache.peek('product_detail', key)
      if (hit !== undefined) return found(hit, slug)
      return cache.getOrLoad({
        type: 'product_detail',
        ttlS: CATALOG_CACHE_TTL_S.product_detail,
        key,
        tags: [CatalogTags.slug(slug), CatalogTags.details],
        load: async () => {
          const row = await repo.findDetailBySlug(slug)
          return row ? { body: JSON.stringify(toDetail(row)), tags: [CatalogTags.product(row.id)] } : { body: '', negative: true }
        }
      }).then((result) => found(result, slug))
    },

    /** GET /products and both search routes. */
    list: (query: ListQuery): Promise<CachedJson> => listing.list(query),

    /** GET /categories/{id}/products: 404 when the category does not exist. */
    categoryProducts: (categoryId: number, query: Omit<ListQuery, 'category_id'>): Promise<CachedJson> => listing.list(query, categoryId),

    popular (limit = DEFAULT_POPULAR_LIMIT): Promise<CachedJson> {
      // Every limit is a slice of one cached top-50 list, so the aggregate over the
      // window's orders runs once per TTL, not once per limit value.
      return cache.getOrLoad({
        type: 'popular_products',
        ttlS: CATALOG_CACHE_TTL_S.popular_products,
        key: CatalogKeys.popular(limit),
        tags: POPULAR_TAGS,
        load: async () => {
          const top = JSON.parse((await popularTop()).body) as unknown[]
          return { body: JSON.stringify({ window_days: POPULAR_WINDOW_DAYS, products: top.slice(0, limit) }) }
        }
      })
    },

    categoryTree (): Promise<CachedJson> {
      return cache.getOrLoad({
        type: 'category_tree',
        ttlS: CATALOG_CACHE_TTL_S.category_tree,
        key: CatalogKeys.categoryTree,
        // Product counts change with product writes (create, delete, category moves).
        tags: [CatalogTags.categories, CatalogTags.scope('all', 'base')],
        load: async () => {
          const [rows, counts] = await Promise.all([repo.listCategories(), repo.countByCategory()])
          return { body: JSON.stringify({ categories: toCategoryTree(rows, counts) }) }
        }
      })
    },

    createProduct: (actor: AuthUser, body: CreateProductBody): Promise<WrittenProduct> => writer.create(actor, body),
    updateProduct: (actor: AuthUser, id: number, body: UpdateProductBody): Promise<WrittenProduct> => writer.update(actor, id, body),
    deleteProduct: (actor: AuthUser, id: number): Promise<void> => writer.remove(actor, id),

    /**
     * The tags an entry of another module must carry when it shows these
     * products' details (a cached cart shows their names, prices and stock):
     * everything that makes their cached detail stale (a product write, a
     * stock or rating change, a change made outside the app) then makes that
     * entry stale in the same invalidation, on every instance.
     */
    detailTags: (productIds: number[]): string[] => [CatalogTags.details, ...productIds.map(CatalogTags.product)],

    /**
     * For other modules, after their transaction commits a change to these
     * products' rating (reviews). Makes stale, on every instance: their
     * detail entries, every cached page showing them, and the pages whose
     * membership or order depends on stock or rating (in_stock filters,
     * rating sorts) in their categories and above. Changes to other product
     * fields go through this module's own writes, which invalidate
     * everything that could contain the product.
     */
    async invalidateProducts (productIds: number[]): Promise<void> {
      const ids = [...new Set(productIds)]
      if (ids.length === 0) return
      const refs = await repo.productRefs(ids)
      await cache.invalidate([
        ...ids.flatMap(productTags),
        ...await scopeTags([...new Set(refs.map((r) => r.category_id))], ['stock', 'rating'])
      ])
    },

    /**
     * For other modules, after their transaction commits a change to these
     * products' stock (orders, cancellations). Their detail entries show the
     * new stock at once; list, search and category pages keep the stock
     * they were cached with, unless a product is in `flippedIds` (it went out
     * of stock or came back): then the pages showing it and the in_stock
     * filtered pages of its categories and above are made stale too.
     */
    async invalidateStock (productIds: number[], flippedIds: number[]): Promise<void> {
      const ids = [...new Set([...productIds, ...flippedIds])]
      if (ids.length === 0) return
      const flipped = [...new Set(flippedIds)]
      const refs = flipped.length > 0 ? await repo.productRefs(flipped) : []
      await cache.invalidate([
        ...ids.map(CatalogTags.product),
        ...flipped.map(CatalogTags.listed),
        ...refs.length > 0 ? await scopeTags([...new Set(refs.map((r) => r.category_id))], ['stock']) : []
      ])
    },

    /**
     * After product writes made outside the app (catalog.external.ts): the
     * same invalidation as this module's own writes, for many products at
     * once. `categoryIds` and `slugs` are their values before and after.
     */
    invalidateWritten: (change: WrittenProducts): Promise<void> => productsWritten(change),

    /**
     * Everything the catalog caches (a bulk change made outside the app, too
     * large to name product by product): every detail entry, every list,
     * search and category page, popular products and the category tree.
     */
    async invalidateAll (): Promise<void> {
      const ids = await repo.allCategoryIds()
      await cache.invalidate([
        CatalogTags.details,
        CatalogTags.categories,
        ...[...ids, 'all' as const].map((s) => CatalogTags.scope(s, 'base'))
      ])
    },

    /**
     * After categories change (no API writes them; seeds and admin tooling
     * do): the tree, the index, and every list scoped to any category, since
     * subtrees may have moved.
     */
    async invalidateCategories (): Promise<void> {
      const ids = await repo.allCategoryIds()
      await cache.invalidate([CatalogTags.categories, ...[...ids, 'all' as const].map((s) => CatalogTags.scope(s, 'base'))])
    },

    /** Rebuilds the spelling vocabulary now; false when another instance is already doing it. */
    refreshSearchWords: (): Promise<boolean> => words.refresh(),

    /** GET /products/suggest: answered from the in-process suggestion index, synchronously. */
    suggest: (q: string, limit: number): SuggestResponse => suggestions.suggest(q, limit),
    /** Rebuilds the suggestion index now; resolves once a build started after the call has finished. */
    rebuildSuggestions: (): Promise<void> => suggestions.rebuild(),

    /** Resolves once the in-process match index has loaded (at once when it is off). */
    matchesLoaded: async (): Promise<void> => { await matchSource?.loaded() },

    /** Rebuilds the in-process match index now (no-op when it is off). */
    rebuildMatches: async (): Promise<void> => { await matchSource?.rebuild() },

    /** Finds how the database serves text search, then starts the background vocabulary refresh and the suggestion index (loaded in the background). */
    start: async (): Promise<void> => { await textIndex.probe(); words.start(); suggestions.start(); matchSource?.start() },
    stop: (): void => { words.stop(); suggestions.stop(); matchSource?.stop() }
  }
}

export type CatalogService = ReturnType<typeof createCatalogService>
