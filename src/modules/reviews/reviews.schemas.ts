import { Type, type Static } from 'typebox'
import { PageQueryProperties, PaginationSchema } from '../../lib/http/index.js'

export const ProductParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Product id' }) }, { additionalProperties: false })

export const ListReviewsQuerySchema = Type.Object({ ...PageQueryProperties }, { additionalProperties: false })
export type ListReviewsQuery = Static<typeof ListReviewsQuerySchema>

export const CreateReviewBodySchema = Type.Object({
  rating: Type.Integer({ minimum: 1, maximum: 5 }),
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  comment: Type.Optional(Type.String({ minLength: 1, maxLength: 5000 }))
}, { additionalProperties: false })
export type CreateReviewBody = Static<typeof CreateReviewBodySchema>

export const ReviewSchema = Type.Object({
  id: Type.Integer(),
  product_id: Type.Integer(),
  /** The author: first name and last initial ("Ana G."), never the login username. */
  user: Type.Object({ id: Type.Integer(), display_name: Type.String() }),
  rating: Type.Integer(),
  title: Type.Union([Type.String(), Type.Null()]),
  comment: Type.Union([Type.String(), Type.Null()]),
  /** A line of the product in one of the author's orders was delivered by its seller (never the author). */
  is_verified_purchase: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' })
})
export type Review = Static<typeof ReviewSchema>

export const ReviewListSchema = Type.Object({
  reviews: Type.Array(ReviewSchema),
  pagination: PaginationSchema
})
export type ReviewList = Static<typeof ReviewListSchema>
