import { and, desc, eq, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { reviews, users } from '../../db/schema/index.js'
import { timedQuery } from '../../lib/observability/index.js'

type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

export interface ReviewRow {
  id: number
  productId: number
  userId: number
  firstName: string
  lastName: string
  rating: number
  title: string | null
  comment: string | null
  isVerifiedPurchase: boolean
  createdAt: Date | string
}

type InsertedRow = {
  id: number
  product_id: number
  user_id: number
  first_name: string
  last_name: string
  rating: number
  title: string | null
  comment: string | null
  is_verified_purchase: boolean
  created_at: string
}

export interface NewReview {
  userId: number
  productId: number
  rating: number
  title: string | null
  comment: string | null
}

export function createReviewsRepository (db: Database) {
  return {
    /**
     * Inserts the review with `is_verified_purchase` decided in the same
     * statement: a line of the product in one of the author's orders was
     * delivered by its seller, and that seller is not the author (sellers
     * deliver only their own lines). A second review by the same user
     * violates reviews_user_product_key.
     */
    async insert (review: NewReview, ex: Executor = db): Promise<ReviewRow> {
      const [row] = await timedQuery('reviews.insert', ex.execute<InsertedRow>(sql`
        WITH r AS (
          INSERT INTO reviews (user_id, product_id, rating, title, comment, is_verified_purchase)
          VALUES (${review.userId}::int, ${review.productId}::int, ${review.rating}::int, ${review.title}, ${review.comment},
                  EXISTS (SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN products p ON p.id = oi.product_id
                          WHERE o.user_id = ${review.userId} AND oi.product_id = ${review.productId}
                            AND oi.fulfilment_status = 'delivered' AND p.seller_id <> ${review.userId}))
          RETURNING id, product_id, user_id, rating, title, comment, is_verified_purchase, created_at
        )
        SELECT r.*, u.first_name, u.last_name FROM r JOIN users u ON u.id = r.user_id`))
      return {
        id: row.id,
        productId: row.product_id,
        userId: row.user_id,
        firstName: row.first_name,
        lastName: row.last_name,
        rating: row.rating,
        title: row.title,
        comment: row.comment,
        isVerifiedPurchase: row.is_verified_purchase,
        createdAt: row.created_at
      }
    },

    /** Approved reviews of a product, newest first (reviews_product_created_idx). */
    list (productId: number, page: number, pageSize: number, ex: Executor = db): Promise<ReviewRow[]> {
      return timedQuery('reviews.list', ex.select({
        id: reviews.id,
        productId: reviews.productId,
        userId: reviews.userId,
        firstName: users.firstName,
        lastName: users.lastName,
        rating: reviews.rating,
        title: reviews.title,
        comment: reviews.comment,
        isVerifiedPurchase: reviews.isVerifiedPurchase,
        createdAt: reviews.createdAt
      }).from(reviews).innerJoin(users, eq(users.id, reviews.userId))
        .where(and(eq(reviews.productId, productId), eq(reviews.isApproved, true)))
        .orderBy(desc(reviews.createdAt), desc(reviews.id)).limit(pageSize).offset((page - 1) * pageSize))
    },

    /** Approved-review count of an active product; undefined when the product is missing or inactive. */
    async countForActiveProduct (productId: number, ex: Executor = db): Promise<number | undefined> {
      const [row] = await timedQuery('reviews.count', ex.execute<{ total: number }>(sql`
        SELECT (SELECT count(*)::int FROM reviews r WHERE r.product_id = p.id AND r.is_approved) AS total
        FROM products p WHERE p.id = ${productId} AND p.is_active`))
      return row?.total
    }
  }
}
