import { Type, type Static } from 'typebox'
import { PageQueryProperties, PaginationSchema } from '../../lib/http-schemas.js'

export const ProductParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false })

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
  user: Type.Object({ id: Type.Integer(), username: Type.String() }),
  rating: Type.Integer(),
  title: Type.Union([Type.String(), Type.Null()]),
  comment: Type.Union([Type.String(), Type.Null()]),
  /** The author has a delivered order containing the product. */
  is_verified_purchase: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' })
})
export type Review = Static<typeof ReviewSchema>

export const ReviewListSchema = Type.Object({
  reviews: Type.Array(ReviewSchema),
  pagination: PaginationSchema
})
export type ReviewList = Static<typeof ReviewListSchema>
