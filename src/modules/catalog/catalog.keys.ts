import { createHash } from 'node:crypto'

/**
 * Cache keys and invalidation tags of the catalog, built only here. The
 * cache plugin prefixes keys as `<prefix>:cache:<type>:<key>`.
 *
 * Tags:
 * - `catalog:p:<id>`: product <id>'s detail entries (by id and by slug),
 *   which must show its exact stock: every stock change bumps it.
 * - `catalog:l:<id>`: every list, search and category page showing product
 *   <id>. Those pages show a product's stock as of when they were cached, so
 *   a stock change bumps this tag only when the product goes out of stock
 *   or comes back; any other product write, and a rating change, bump it.
 * - `catalog:slug:<slug>`: the by-slug entry (including a cached "not found").
 * - `catalog:s:<scope>:<family>`: list and search pages whose *membership or
 *   order* may change when a product in <scope> changes. <scope> is a
 *   category id (a page filtered on it, which covers its subtree) or `all`.
 *   <family> says which change matters: `base` (any product field, used for
 *   every list), `stock` (pages filtered on in_stock: bumped when a product
 *   goes out of stock or back), `rating` (pages sorted by rating). Orders
 *   bump no family unless a product sells out, so they do not empty cached
 *   searches.
 * - `catalog:categories`: the category tree and the category index.
 * - `catalog:details`: every product detail entry (by id and by slug), for
 *   changes made outside the app too large to name product by product.
 */
export type ScopeFamily = 'base' | 'stock' | 'rating'

export const CatalogTags = {
  product: (id: number) => `catalog:p:${id}`,
  listed: (id: number) => `catalog:l:${id}`,
  slug: (slug: string) => `catalog:slug:${slug}`,
  scope: (scope: number | 'all', family: ScopeFamily) => `catalog:s:${scope}:${family}`,
  categories: 'catalog:categories',
  details: 'catalog:details'
}

export const CatalogKeys = {
  productDetail: (id: number) => String(id),
  productBySlug: (slug: string) => `slug:${slug}`,
  /** Lists and searches are keyed by a digest of their normalized parameters. */
  listing: (normalized: unknown) => createHash('sha1').update(JSON.stringify(normalized)).digest('base64url'),
  popular: (limit: number) => `limit:${limit}`,
  popularTop: 'top',
  categoryTree: 'tree',
  categoryIndex: 'index'
}

/**
 * Fresh lifetime of each kind of catalog entry, in seconds (the cache type is
 * its name). Writes through the API invalidate at once; the lifetime bounds how
 * long a change made outside it (SQL, another service) can go unseen.
 */
export const CATALOG_CACHE_TTL_S = {
  product_detail: 3600,
  product_list: 1800,
  product_search: 1800,
  category_tree: 7200,
  category_products: 1800,
  popular_products: 1800
} as const

export type CatalogCacheType = keyof typeof CATALOG_CACHE_TTL_S

/** The advisory lock id that keeps one instance at a time refreshing the search words. */
export const WORDS_REFRESH_LOCK_ID = 72_411_101
