import { KIND_LIST } from './catalog-kinds.js'
import { DAY_MS, type SeedClock } from './clock.js'
import type { CopyValue } from './copy.js'
import type { SeedOrder } from './orders.js'
import { popularityRanking, type Catalog } from './products.js'
import { ZipfSampler, createRng, hashOf, type Rng } from './random.js'
import { reviewRating, reviewText } from './text.js'
import type { UserPopulation } from './users.js'

/** Share of reviews written by buyers of a delivered order (when enough such purchases exist). */
const VERIFIED_SHARE = 0.65

/**
 * Every (user, product) pair with a delivered order, and when it was first
 * delivered. `is_verified_purchase` is true exactly for these pairs.
 */
export class DeliveredPurchases {
  private readonly firstDelivery = new Map<number, number>()

  constructor (private readonly productCount: number) {}

  key (userId: number, product: number): number {
    return userId * this.productCount + product
  }

  record (order: SeedOrder): void {
    if (order.status !== 'delivered' || order.deliveredAt === null) return
    for (const item of order.items) {
      const key = this.key(order.userId, item.product)
      const seen = this.firstDelivery.get(key)
      if (seen === undefined || order.deliveredAt < seen) this.firstDelivery.set(key, order.deliveredAt)
    }
  }

  has (key: number): boolean {
    return this.firstDelivery.has(key)
  }

  get size (): number {
    return this.firstDelivery.size
  }

  /** `count` distinct purchases chosen at random: [key, deliveredAt] pairs. */
  choose (rng: Rng, count: number): [keys: Float64Array, deliveredAt: Float64Array] {
    const keys = Float64Array.from(this.firstDelivery.keys())
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rng.next() * (keys.length - i))
      const tmp = keys[i]; keys[i] = keys[j]; keys[j] = tmp
    }
    const chosen = keys.subarray(0, count)
    return [chosen, Float64Array.from(chosen, (k) => this.firstDelivery.get(k) ?? 0)]
  }
}

interface ReviewContext { seed: number, rng: Rng, catalog: Catalog, clock: SeedClock }

function reviewRow (ctx: ReviewContext, id: number, userId: number, product: number, verified: boolean, createdAt: number): CopyValue[] {
  // A per-product quality bias: some products average 4.6, others 3.4.
  const bias = (hashOf(ctx.seed, 'quality', product) / 4294967296) * 2 - 1
  const rating = reviewRating(ctx.rng, bias)
  const text = reviewText(ctx.rng, KIND_LIST[ctx.catalog.kind[product]], rating)
  return [id, userId, product + 1, rating, text.title, text.comment, verified, true, new Date(createdAt).toISOString()]
}

/** Picks unverified (user, product) pairs nobody bought-and-received and nobody reviewed yet. */
class UnverifiedPicker {
  private readonly taken = new Set<number>()
  private readonly reviewers: Int32Array
  private readonly actives: Int32Array
  private readonly popularity: ZipfSampler

  constructor (private readonly ctx: ReviewContext, private readonly purchases: DeliveredPurchases, users: UserPopulation) {
    const reviewers = [users.demoCustomerId]
    for (let id = users.customerIds.first; id < users.customerIds.first + users.customerIds.count; id++) if (users.active[id] === 1) reviewers.push(id)
    this.reviewers = Int32Array.from(reviewers)
    this.actives = popularityRanking(ctx.catalog, ctx.seed)
    if (this.actives.length === 0) throw new Error('cannot seed reviews: the catalog has no active product')
    this.popularity = new ZipfSampler(this.actives.length, 1, 50)
  }

  next (): [userId: number, product: number] {
    const { rng } = this.ctx
    // Reviews follow popularity; if the popular pairs are used up, fall back to uniform products.
    for (let tries = 0; tries < 10_000; tries++) {
      const userId = this.reviewers[Math.floor(rng.next() * this.reviewers.length)]
      const product = tries < 50 ? this.actives[this.popularity.sample(rng)] : this.actives[Math.floor(rng.next() * this.actives.length)]
      const key = this.purchases.key(userId, product)
      if (this.purchases.has(key) || this.taken.has(key)) continue
      this.taken.add(key)
      return [userId, product]
    }
    throw new Error('cannot find a free (user, product) pair for an unverified review: lower --reviews')
  }
}

/**
 * Review rows: about 65% from delivered purchases (written after delivery),
 * the rest unverified from random customers, interleaved at random.
 */
export function * reviewRows (count: number, purchases: DeliveredPurchases, catalog: Catalog, users: UserPopulation, seed: number, clock: SeedClock): Generator<CopyValue[]> {
  const rng = createRng(seed, 'reviews')
  const ctx: ReviewContext = { seed, rng, catalog, clock }
  if (count === 0) return
  const verifiedCount = Math.min(purchases.size, Math.round(count * VERIFIED_SHARE))
  const [keys, delivered] = purchases.choose(rng, verifiedCount)
  const picker = new UnverifiedPicker(ctx, purchases, users)
  const yearAgo = clock.now - 365 * DAY_MS
  let v = 0
  for (let id = 1; id <= count; id++) {
    const remainingVerified = verifiedCount - v
    if (remainingVerified > 0 && rng.next() * (count - id + 1) < remainingVerified) {
      const userId = Math.floor(keys[v] / catalog.count)
      const at = delivered[v] + rng.next() * (clock.now - delivered[v]) * 0.6
      yield reviewRow(ctx, id, userId, keys[v] - userId * catalog.count, true, at)
      v++
      continue
    }
    const [userId, product] = picker.next()
    const productCreated = catalog.createdStart + ((product + 1) / catalog.count) * catalog.createdSpan
    const from = Math.max(yearAgo, users.createdAt[userId], productCreated)
    yield reviewRow(ctx, id, userId, product, false, from + rng.next() * (clock.now - from))
  }
}

export const REVIEW_COLUMNS = ['id', 'user_id', 'product_id', 'rating', 'title', 'comment', 'is_verified_purchase', 'is_approved', 'created_at'] as const
