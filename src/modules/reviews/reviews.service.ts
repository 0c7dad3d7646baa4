import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import type { CacheDecorator } from '../../plugins/cache.js'
import { isoTime, pagination, type JsonAnswer } from '../../lib/http/index.js'
import type { InventoryService } from '../inventory/inventory.service.js'
import { driverError } from '../../errors.js'
import { ReviewsErrors } from './reviews.errors.js'
import { createReviewsRepository, type ReviewRow } from './reviews.repository.js'
import type { CreateReviewBody, ListReviewsQuery, Review, ReviewList } from './reviews.schemas.js'

/** Fresh lifetime of a cached page of reviews, in seconds: a new review or a change of the product invalidates it at once. */
const REVIEWS_CACHE_TTL_S = 1800

export interface ReviewsServiceDeps {
  db: Database
  log: FastifyBaseLogger
  inventory: InventoryService
  cache: CacheDecorator
  /** The cache tags of a product's detail: whatever makes it stale (a review, stock, activity, a bulk change) makes its review pages stale too. */
  productTags: (productIds: number[]) => string[]
}

/** True for the one-review-per-user-and-product violation. */
function isDuplicateReview (err: unknown): boolean {
  const pg = driverError(err)
  return pg.code === '23505' && pg.constraint_name === 'reviews_user_product_key'
}

/**
 * The name a review shows: first name and the initial of the last name
 * ("Ana G."), never the login username (half of a login, and the handle
 * of an account to attack).
 */
export function displayName (firstName: string, lastName: string): string {
  const first = firstName.trim()
  const initial = Array.from(lastName.trim())[0]
  const name = initial ? `${first} ${initial.toUpperCase()}.`.trim() : first
  return name || 'Customer'
}

function toReview (row: ReviewRow): Review {
  return {
    id: row.id,
    product_id: row.productId,
    user: { id: row.userId, display_name: displayName(row.firstName, row.lastName) },
    rating: row.rating,
    title: row.title,
    comment: row.comment,
    is_verified_purchase: row.isVerifiedPurchase,
    created_at: isoTime(row.createdAt)
  }
}

export function createReviewsService ({ db, log, inventory, cache, productTags }: ReviewsServiceDeps) {
  const repo = createReviewsRepository(db)
  const rlog = log.child({ module: 'reviews' })

  return {
    /**
     * A page of a product's approved reviews, cached per product, page and
     * page size (one query on a miss: the page with the count). A new review
     * bumps the product's tags (`inventory.productsChanged`), and so does any
     * change of the product, so a page is never older than the product's
     * cached detail; a missing or inactive product is a cached "not found".
     */
    async list (productId: number, query: ListReviewsQuery): Promise<JsonAnswer> {
      const result = await cache.getOrLoad({
        type: 'product_reviews',
        ttlS: REVIEWS_CACHE_TTL_S,
        key: `${productId}:${query.page}:${query.page_size}`,
        tags: productTags([productId]),
        load: async () => {
          const found = await repo.page(productId, query.page, query.page_size)
          if (found === undefined) return { body: '', negative: true }
          const list: ReviewList = { reviews: found.rows.map(toReview), pagination: pagination(query.page, query.page_size, found.total) }
          return { body: JSON.stringify(list) }
        }
      })
      if (result.negative) throw new ReviewsErrors.PRODUCT_NOT_FOUND(productId)
      return result
    },

    /**
     * Writes the review and the product's rating summary in one transaction.
     * The product row is locked first, so concurrent reviews of one product
     * recompute the summary one after another, each seeing the others'
     * committed reviews. Uniqueness is the index's job (no check-then-insert race).
     * The product's own seller is refused before anything is written.
     */
    async create (userId: number, productId: number, body: CreateReviewBody): Promise<Review> {
      const review = await db.transaction(async (tx) => {
        const product = await inventory.lockForReview(tx, productId)
        if (!product) throw new ReviewsErrors.PRODUCT_NOT_FOUND(productId)
        if (product.sellerId === userId) throw new ReviewsErrors.OWN_PRODUCT(userId, productId)
        let row: ReviewRow
        try {
          row = await repo.insert({ userId, productId, rating: body.rating, title: body.title ?? null, comment: body.comment ?? null }, tx)
        } catch (err) {
          if (isDuplicateReview(err)) throw new ReviewsErrors.ALREADY_REVIEWED(userId, productId)
          throw err
        }
        await inventory.refreshRating(tx, productId)
        return row
      })
      await inventory.productsChanged([productId])
      rlog.info({ reviewId: review.id, productId, userId, verified: review.isVerifiedPurchase }, 'review created')
      return toReview(review)
    }
  }
}

export type ReviewsService = ReturnType<typeof createReviewsService>
