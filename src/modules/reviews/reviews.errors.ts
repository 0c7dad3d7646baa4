import createError from '@fastify/error'

export const ReviewsErrors = {
  /** Missing and inactive products alike: neither can be reviewed or listed. */
  PRODUCT_NOT_FOUND: createError<'REVIEWS_PRODUCT_NOT_FOUND', 404, [number]>('REVIEWS_PRODUCT_NOT_FOUND', "Product '%s' not found", 404),
  /** The product's own seller may not review it (nor move its rating). */
  OWN_PRODUCT: createError<'REVIEWS_OWN_PRODUCT', 403, [number, number]>(
    'REVIEWS_OWN_PRODUCT', "User '%s' sells product '%s' and may not review it", 403),
  ALREADY_REVIEWED: createError<'REVIEWS_ALREADY_REVIEWED', 409, [number, number]>(
    'REVIEWS_ALREADY_REVIEWED', "User '%s' has already reviewed product '%s'", 409)
}
