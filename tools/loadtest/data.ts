import type postgres from 'postgres'
import { createRng, createZipfSampler, deriveSeed, intBetween, pick, shuffled, type Rng } from './prng.js'

/**
 * Ids and words drawn from the database under test, so journeys ask for
 * things that exist (and for search words shoppers would type). Popularity
 * is Zipf-shaped over a seeded permutation: a few products, categories and
 * queries take most of the traffic, as in real shops, and which ones is
 * reproducible from --seed.
 */

/** Products with at least this much stock are the ones carts and checkouts buy. */
export const MIN_BUYABLE_STOCK = 50
/**
 * Purchases are less concentrated than page views: under the views' Zipf(1)
 * the best seller of ~38,000 buyable products would take 9% of every cart add
 * and order (top 10: 27%), which no shop sees (the seed flattens its
 * best-seller head for the same reason). Purchases use 0.7 of the views'
 * exponent: best seller ~1.3%, top 10 ~5%. The flash-sale scenario is the
 * one that races for a single product on purpose.
 */
export const PURCHASE_SKEW = 0.7
const SEARCH_WORDS = 400

export interface CatalogData {
  productIds: number[]
  buyableIds: number[]
  categoryIds: number[]
  words: string[]
  brands: string[]
}

export interface CatalogSampler {
  readonly data: CatalogData
  product: (rng: Rng) => number
  buyable: (rng: Rng) => number
  category: (rng: Rng) => number
  /** A search query: mostly one or two real words, sometimes a brand, sometimes with a typo. */
  query: (rng: Rng) => string
}

export async function loadCatalog (sql: postgres.Sql): Promise<CatalogData> {
  const [products, buyable, categories, words, brands] = await Promise.all([
    sql<{ id: number }[]>`SELECT id FROM products WHERE is_active ORDER BY id`,
    sql<{ id: number }[]>`SELECT id FROM products WHERE is_active AND stock_quantity >= ${MIN_BUYABLE_STOCK} ORDER BY id`,
    sql<{ id: number }[]>`SELECT id FROM categories WHERE is_active ORDER BY id`,
    // The most frequent words of product names (what a shopper would type), letters only.
    sql<{ word: string }[]>`
      SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', name) FROM products WHERE is_active')
      WHERE length(word) >= 3 AND word ~ '^[a-z]+$'
      ORDER BY ndoc DESC, word LIMIT ${SEARCH_WORDS}`,
    sql<{ brand: string }[]>`SELECT DISTINCT lower(brand) AS brand FROM products WHERE is_active AND brand IS NOT NULL ORDER BY 1`
  ])
  const data: CatalogData = {
    productIds: products.map((r) => r.id),
    buyableIds: buyable.map((r) => r.id),
    categoryIds: categories.map((r) => r.id),
    words: words.map((r) => r.word),
    brands: brands.map((r) => r.brand)
  }
  if (data.productIds.length === 0 || data.categoryIds.length === 0) {
    throw new Error('The database under test has no active products or categories: seed it first (npm run seed)')
  }
  if (data.buyableIds.length === 0) throw new Error(`No active product has ${MIN_BUYABLE_STOCK}+ units in stock: carts and checkouts would only fail`)
  if (data.words.length === 0) data.words = ['product']
  return data
}

/** A one-letter typo (swap, drop or double), so the typo-tolerant path is exercised too. */
function typo (rng: Rng, word: string): string {
  if (word.length < 4) return word
  const i = intBetween(rng, 1, word.length - 2)
  const kind = intBetween(rng, 0, 2)
  if (kind === 0) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2)
  if (kind === 1) return word.slice(0, i) + word.slice(i + 1)
  return word.slice(0, i) + word[i] + word.slice(i)
}

export function createCatalogSampler (data: CatalogData, seed: number, zipfExponent: number): CatalogSampler {
  const rng = createRng(deriveSeed(seed, 'popularity'))
  const products = shuffled(rng, data.productIds)
  const buyable = shuffled(rng, data.buyableIds)
  const categories = shuffled(rng, data.categoryIds)
  // Words come ordered by frequency already: frequent words are the popular queries.
  const productRank = createZipfSampler(products.length, zipfExponent)
  const buyableRank = createZipfSampler(buyable.length, zipfExponent * PURCHASE_SKEW)
  const categoryRank = createZipfSampler(categories.length, Math.min(zipfExponent, 0.8))
  const wordRank = createZipfSampler(data.words.length, zipfExponent)

  function query (r: Rng): string {
    const u = r()
    const first = data.words[wordRank(r)]
    if (u < 0.6) return first
    if (u < 0.8) return `${first} ${data.words[wordRank(r)]}`
    if (u < 0.9 && data.brands.length > 0) return `${pick(r, data.brands)} ${first}`
    return typo(r, first)
  }

  return {
    data,
    product: (r) => products[productRank(r)],
    buyable: (r) => buyable[buyableRank(r)],
    category: (r) => categories[categoryRank(r)],
    query
  }
}
