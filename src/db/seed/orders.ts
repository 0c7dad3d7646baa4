import { DAY_MS, type SeedClock } from './clock.js'
import { popularityRanking, productsExistingAt, type Catalog } from './products.js'
import { ZipfSampler, createRng, cumulative, pickWeighted, shuffle, type Rng } from './random.js'
import type { UserPopulation } from './users.js'

export const ORDER_WINDOW_DAYS = 90
// 1–5 items per order (mean ≈ 2.4) and mostly single units.
const ITEM_COUNT_WEIGHTS = cumulative([30, 28, 20, 12, 10])
const QUANTITY_WEIGHTS = cumulative([75, 17, 5, 2, 1])

export type OrderStatus = 'pending' | 'processing' | 'shipped' | 'delivered' | 'cancelled'

export interface SeedOrderItem { product: number, quantity: number, unitCents: number }

/** One generated order; `product` values are product indexes (id - 1). */
export interface SeedOrder {
  id: number
  userId: number
  status: OrderStatus
  createdAt: number
  shippedAt: number | null
  deliveredAt: number | null
  updatedAt: number
  items: SeedOrderItem[]
  totalCents: number
}

// Status mix by order age: recent orders are still moving, older ones are
// mostly delivered, a few cancelled at any age. [pending, processing, shipped, delivered, cancelled]
const STATUS_BY_AGE: [maxAgeDays: number, weights: number[]][] = [
  [1, cumulative([35, 40, 20, 0, 5])],
  [3, cumulative([8, 30, 52, 5, 5])],
  [7, cumulative([0, 5, 40, 50, 5])],
  [Infinity, cumulative([0, 0, 10, 85, 5])]
]
const STATUSES: OrderStatus[] = ['pending', 'processing', 'shipped', 'delivered', 'cancelled']

function statusFor (rng: Rng, ageDays: number): OrderStatus {
  const weights = STATUS_BY_AGE.find(([max]) => ageDays < max)?.[1] ?? STATUS_BY_AGE[3][1]
  return STATUSES[pickWeighted(rng, weights)]
}

/**
 * Order times rise with the id over the last 90 days, recent days busier
 * (density 1 + 0.6·x/90, x = days since the window start, inverted in
 * closed form). Stratified sampling keeps them sorted without a sort.
 */
function orderTime (rng: Rng, k: number, count: number, clock: SeedClock): number {
  const u = (k + rng.next()) / count
  const x = 150 * (Math.sqrt(1 + 1.56 * u) - 1)
  const t = clock.now - (ORDER_WINDOW_DAYS - x) * DAY_MS
  // The last ~0.1% are placed in today so "orders today" is never empty, whatever the hour.
  if (k >= count - Math.max(1, Math.round(count * 0.001))) return Math.max(t, clock.todayStart + rng.next() * (clock.now - clock.todayStart))
  return Math.min(t, clock.now)
}

function fulfilment (rng: Rng, status: OrderStatus, createdAt: number, now: number): Pick<SeedOrder, 'shippedAt' | 'deliveredAt' | 'updatedAt'> {
  if (status === 'pending') return { shippedAt: null, deliveredAt: null, updatedAt: createdAt }
  if (status === 'processing' || status === 'cancelled') {
    return { shippedAt: null, deliveredAt: null, updatedAt: createdAt + rng.next() * Math.min(6 * 3_600_000, now - createdAt) }
  }
  const shippedAt = createdAt + Math.min((0.5 + rng.next() * 2.5) * DAY_MS, (now - createdAt) * 0.5)
  if (status === 'shipped') return { shippedAt, deliveredAt: null, updatedAt: shippedAt }
  const deliveredAt = shippedAt + Math.min((1 + rng.next() * 5) * DAY_MS, (now - shippedAt) * 0.9)
  return { shippedAt, deliveredAt, updatedAt: deliveredAt }
}

/** Who shops and what sells: Zipf-skewed over shuffled customers and active products. */
interface Demand {
  shoppers: Int32Array
  shopperRank: ZipfSampler
  popular: Int32Array
  popularity: ZipfSampler
  /** The oldest active product: exists at any order time. */
  oldest: number
  demoShare: number
}

function demand (rng: Rng, catalog: Catalog, users: UserPopulation, orders: number, seed: number): Demand {
  const customers: number[] = []
  for (let id = users.customerIds.first; id < users.customerIds.first + users.customerIds.count; id++) {
    if (users.active[id] === 1) customers.push(id)
  }
  const popular = popularityRanking(catalog, seed)
  if (popular.length === 0) throw new Error('cannot seed orders: the catalog has no active product')
  return {
    shoppers: shuffle(rng, Int32Array.from(customers)),
    shopperRank: new ZipfSampler(customers.length, 1, 200),
    popular,
    popularity: new ZipfSampler(popular.length, 1, 50),
    oldest: popular.reduce((a, b) => Math.min(a, b)),
    // The demo customer gets about 20 orders of its own to show.
    demoShare: orders > 0 ? Math.min(20, orders * 0.02) / orders : 0
  }
}

function shopperAt (rng: Rng, d: Demand, users: UserPopulation, t: number): number {
  if (rng.chance(d.demoShare)) return users.demoCustomerId
  for (let tries = 0; tries < 10; tries++) {
    const id = d.shoppers[d.shopperRank.sample(rng)]
    if (users.createdAt[id] <= t) return id
  }
  return users.demoCustomerId
}

function pickProducts (rng: Rng, d: Demand, catalog: Catalog, t: number, wanted: number): number[] {
  const existing = productsExistingAt(catalog, t)
  const picked: number[] = []
  for (let tries = 0; picked.length < wanted && tries < wanted * 20; tries++) {
    const p = d.popular[d.popularity.sample(rng)]
    if (p < existing && !picked.includes(p)) picked.push(p)
  }
  // Every order has at least one item.
  if (picked.length === 0) picked.push(d.oldest)
  return picked
}

/** Generates the orders in id order. Deterministic: calling it twice yields the same orders. */
export function * generateOrders (count: number, catalog: Catalog, users: UserPopulation, seed: number, clock: SeedClock): Generator<SeedOrder> {
  if (count === 0) return
  const rng = createRng(seed, 'orders')
  const d = demand(rng, catalog, users, count, seed)
  for (let k = 0; k < count; k++) {
    const createdAt = orderTime(rng, k, count, clock)
    const userId = shopperAt(rng, d, users, createdAt)
    const products = pickProducts(rng, d, catalog, createdAt, pickWeighted(rng, ITEM_COUNT_WEIGHTS) + 1)
    const items = products.map((product) => ({ product, quantity: pickWeighted(rng, QUANTITY_WEIGHTS) + 1, unitCents: catalog.effectiveCents[product] }))
    const status = statusFor(rng, (clock.now - createdAt) / DAY_MS)
    yield {
      id: k + 1,
      userId,
      status,
      createdAt,
      ...fulfilment(rng, status, createdAt, clock.now),
      items,
      totalCents: items.reduce((sum, it) => sum + it.unitCents * it.quantity, 0)
    }
  }
}
