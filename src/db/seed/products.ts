import { KIND_LIST, kindIndex, type ProductKind } from './catalog-kinds.js'
import { slugify, type SeedCategory } from './categories.js'
import { DAY_MS, type SeedClock } from './clock.js'
import type { CopyValue } from './copy.js'
import { formatCents } from './money.js'
import { createRng, cumulative, hashOf, pickWeighted, shuffle, type Rng } from './random.js'
import { productText } from './text.js'
import type { UserPopulation } from './users.js'

const CATALOG_HISTORY_DAYS = 730
/** Share of products owned by the demo seller account, so its dashboard has real data. */
const DEMO_SELLER_SHARE = 0.12

/** What later phases need to know about each product (index = id - 1), kept in typed arrays. */
export interface Catalog {
  count: number
  /** Price paid at seed time (sale price when set), in cents. */
  effectiveCents: Int32Array
  active: Uint8Array
  stock: Int32Array
  /** Index into KIND_LIST. */
  kind: Uint16Array
  /** Product i was created at or before `createdStart + (i + 1) / count * createdSpan`. */
  createdStart: number
  createdSpan: number
  /** Active products from best to worst seller, once `popularityRanking` ran. */
  popular?: Int32Array
}

/**
 * Active product indexes in popularity order (a seeded shuffle): orders,
 * reviews and carts all draw from it with Zipf weights, so the best sellers
 * are also the most reviewed and the most often in carts.
 */
export function popularityRanking (catalog: Catalog, seed: number): Int32Array {
  if (catalog.popular) return catalog.popular
  const actives: number[] = []
  for (let i = 0; i < catalog.count; i++) if (catalog.active[i] === 1) actives.push(i)
  catalog.popular = shuffle(createRng(seed, 'popularity'), Int32Array.from(actives))
  return catalog.popular
}

/** How many of the first products existed at time `t` (creation times rise with the id). */
export function productsExistingAt (catalog: Catalog, t: number): number {
  const n = Math.floor(((t - catalog.createdStart) / catalog.createdSpan) * catalog.count)
  return Math.max(0, Math.min(catalog.count, n))
}

export function createCatalog (count: number, clock: SeedClock): Catalog {
  return {
    count,
    effectiveCents: new Int32Array(count),
    active: new Uint8Array(count),
    stock: new Int32Array(count),
    kind: new Uint16Array(count),
    createdStart: clock.now - CATALOG_HISTORY_DAYS * DAY_MS,
    createdSpan: CATALOG_HISTORY_DAYS * DAY_MS - 3_600_000
  }
}

interface Placement { category: SeedCategory, kind: ProductKind, kindIdx: number, lastVariant?: string[] }

function placements (categories: readonly SeedCategory[]): { places: Placement[], sums: number[] } {
  const places = categories.filter((c) => c.productWeight > 0).map((c) => {
    const kindIdx = kindIndex(c.kind)
    return { category: c, kind: KIND_LIST[kindIdx], kindIdx, lastVariant: c.lastVariant?.split(', ') }
  })
  return { places, sums: cumulative(places.map((p) => p.category.productWeight)) }
}

// Words that place a product line in the upper or lower half of its kind's price range.
const PREMIUM_LINE = /\b(Ultra|Pro|Max|Plus|Elite|Premium|Fold\d?|Studio|Signature|Master|Titan|Oracle|Omni|XR|GM)\b|\+/
const BUDGET_LINE = /\b(Lite|Mini|mini|SE|Go|FE|Nord|Redmi|Poco|Basics|Essentials?|Nano|Smile|Fire|Inspiron|Aspire|Pavilion|IdeaPad|Moto|Victus|Nitro|TUF)\b/

// A product line has one list price: it comes from a hash of (kind, brand,
// line), so "iPhone 15 Pro" is never $149 in one listing and $1,399 in
// another; listings then differ by a few percent and by their tier.
function priceCents (seed: number, rng: Rng, kind: ProductKind, line: string, lineKey: number, tier: number): number {
  const [min, max] = kind.price
  const h = hashOf(seed, `price:${kind.key}`, lineKey) / 4294967296
  const position = PREMIUM_LINE.test(line) ? 0.5 + h * 0.5 : BUDGET_LINE.test(line) ? h * 0.45 : 0.15 + h * 0.6
  const base = Math.exp(Math.log(min) + position * (Math.log(max) - Math.log(min)))
  const cents = Math.round(base * 100 * (1 + 0.22 * tier) * (0.94 + rng.next() * 0.12))
  const dollars = Math.max(1, Math.floor(cents / 100))
  const ending = rng.pick([99, 99, 99, 99, 49, 95, 0])
  return dollars * 100 + ending
}

// ~25% on sale, 5–40% off, snapped to .99 and always strictly below the price.
function saleCents (rng: Rng, price: number): number | null {
  if (!rng.chance(0.25)) return null
  const off = Math.floor((price * rng.int(5, 40)) / 100)
  const sale = Math.floor((price - off) / 100) * 100 - 1
  return sale > 0 && sale < price ? sale : null
}

// "Ring Video Doorbell Pro 2" needs no "Video Doorbell" after it: drop the
// product-type words when the line already shares one of them.
function nounFor (noun: string, line: string): string {
  const lineWords = new Set(line.toLowerCase().split(/[^a-z0-9]+/))
  return noun.toLowerCase().split(/[^a-z0-9]+/).some((w) => w.length >= 4 && lineWords.has(w)) ? '' : noun
}

function stockLevel (rng: Rng): number {
  const r = rng.next()
  if (r < 0.05) return 0
  if (r < 0.15) return rng.int(1, 10)
  return rng.int(11, 500)
}

function dimensions (rng: Rng, kind: ProductKind): string {
  return kind.size.map((d) => (d * (0.85 + rng.next() * 0.3)).toFixed(1)).join(' x ') + ' cm'
}

function sellerFor (rng: Rng, users: UserPopulation): number {
  if (rng.chance(DEMO_SELLER_SHARE)) return users.demoSellerId
  return users.sellerIds.first + Math.floor(rng.next() * users.sellerIds.count)
}

/** One product row; records its price, stock and kind in `catalog`. */
function productRow (seed: number, rng: Rng, index: number, place: Placement, ctx: ProductContext): CopyValue[] {
  const { kind } = place
  const brandIdx = Math.floor(rng.next() * kind.brands.length)
  const brand = kind.brands[brandIdx]
  const lineIdx = Math.floor(rng.next() * brand.lines.length)
  const line = brand.lines[lineIdx]
  const noun = nounFor(rng.pick(kind.nouns), line)
  const dims = place.lastVariant ? [...kind.variants.slice(0, -1), place.lastVariant] : kind.variants
  const picks = dims.map((options) => Math.floor(rng.next() * options.length))
  const variants = dims.map((options, d) => options[picks[d]])
  const name = [brand.name, line, noun, ...variants].filter(Boolean).join(' ').slice(0, 200)
  const price = priceCents(seed, rng, kind, line, brandIdx * 1000 + lineIdx, kind.tiered ? picks[0] : 0)
  const sale = saleCents(rng, price)
  const stock = stockLevel(rng)
  const active = !rng.chance(0.03)
  const featured = active && rng.chance(0.05)
  const id = index + 1
  const text = productText(rng, kind, `${brand.name} ${line}`, variants)
  const createdAt = ctx.catalog.createdStart + ((index + rng.next()) / ctx.catalog.count) * ctx.catalog.createdSpan
  const updatedAt = createdAt + rng.next() * (ctx.now - createdAt) * 0.5
  const weight = (kind.weight[0] + rng.next() * (kind.weight[1] - kind.weight[0])).toFixed(2)
  ctx.catalog.effectiveCents[index] = sale ?? price
  ctx.catalog.active[index] = active ? 1 : 0
  ctx.catalog.stock[index] = stock
  ctx.catalog.kind[index] = place.kindIdx
  return [
    id, sellerFor(rng, ctx.users), name, `${slugify(name).slice(0, 180)}-${id}`, text.description, text.shortDescription.slice(0, 500),
    `TM-${brand.name.replace(/[^A-Za-z0-9]/g, '').slice(0, 4).toUpperCase()}-${String(id).padStart(7, '0')}`,
    formatCents(price), sale === null ? null : formatCents(sale), stock, place.category.id, brand.name,
    weight === '0.00' ? '0.01' : weight, dimensions(rng, kind), active, featured,
    new Date(createdAt).toISOString(), new Date(updatedAt).toISOString()
  ]
}

interface ProductContext { catalog: Catalog, users: UserPopulation, now: number }

/** Product rows for COPY, ids 1..catalog.count, filling `catalog` as they go. */
export function * productRows (catalog: Catalog, categories: readonly SeedCategory[], users: UserPopulation, seed: number, clock: SeedClock): Generator<CopyValue[]> {
  const rng = createRng(seed, 'products')
  const { places, sums } = placements(categories)
  const ctx: ProductContext = { catalog, users, now: clock.now }
  for (let i = 0; i < catalog.count; i++) {
    yield productRow(seed, rng, i, places[pickWeighted(rng, sums)], ctx)
  }
}

export const PRODUCT_COLUMNS = [
  'id', 'seller_id', 'name', 'slug', 'description', 'short_description', 'sku', 'price', 'sale_price', 'stock_quantity',
  'category_id', 'brand', 'weight', 'dimensions', 'is_active', 'is_featured', 'created_at', 'updated_at'
] as const
