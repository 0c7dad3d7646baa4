import { sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
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

/** A page row: the count, and a review's columns (all null on the one row of an empty page). */
type PageRow = InsertedRow & { total: number }

function toRow (row: InsertedRow): ReviewRow {
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
      return toRow(row)
    },

    /**
     * One page of an active product's approved reviews, newest first
     * (reviews_product_created_idx), with their count, in one round trip;
     * undefined when the product is missing or inactive. The LEFT JOIN keeps
     * the product's row (and its count) when the page is empty.
     */
    async page (productId: number, page: number, pageSize: number, ex: Executor = db): Promise<{ total: number, rows: ReviewRow[] } | undefined> {
      const found = await timedQuery('reviews.page', ex.execute<PageRow>(sql`
        SELECT p.total, r.id, r.product_id, r.user_id, r.first_name, r.last_name, r.rating, r.title, r.comment,
               r.is_verified_purchase, r.created_at
        FROM (SELECT (SELECT count(*)::int FROM reviews c WHERE c.product_id = pr.id AND c.is_approved) AS total
              FROM products pr WHERE pr.id = ${productId} AND pr.is_active) p
        LEFT JOIN LATERAL (
          SELECT r.id, r.product_id, r.user_id, u.first_name, u.last_name, r.rating, r.title, r.comment,
                 r.is_verified_purchase, r.created_at
          FROM reviews r JOIN users u ON u.id = r.user_id
          WHERE r.product_id = ${productId} AND r.is_approved
          ORDER BY r.created_at DESC, r.id DESC
          LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}
        ) r ON true`))
      if (found.length === 0) return undefined
      const rows = (found[0].id as number | null) === null ? [] : found.map(toRow)
      return { total: found[0].total, rows }
    }
  }
}
