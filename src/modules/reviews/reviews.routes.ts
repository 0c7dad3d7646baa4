import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses, sendJson } from '../../lib/http/index.js'
import { CreateReviewBodySchema, ListReviewsQuerySchema, ProductParamsSchema, ReviewListSchema, ReviewSchema } from './reviews.schemas.js'
import type { ReviewsService } from './reviews.service.js'

export interface ReviewsRoutesOptions { reviews: ReviewsService }

/** `/products/:id/reviews`: public list, authenticated create (one per user and product). */
export const reviewsRoutes: FastifyPluginAsyncTypebox<ReviewsRoutesOptions> = async (app, { reviews }) => {
  app.get('/products/:id/reviews', {
    config: { rateLimit: { points: 100, duration: 60 }, criticality: 'browse' },
    schema: {
      operationId: 'listProductReviews',
      tags: ['reviews'],
      summary: 'Approved reviews of a product, newest first',
      description: 'Public. Each review names its author by first name and last initial and says whether the author received the product.',
      params: ProductParamsSchema,
      querystring: ListReviewsQuerySchema,
      response: { 200: ReviewListSchema, ...errorResponses(400, 404) }
    }
  }, async (request, reply) => sendJson(request, reply, await reviews.list(request.params.id, request.query)))

  app.post('/products/:id/reviews', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      operationId: 'createProductReview',
      tags: ['reviews'],
      description: 'One review per user and product (409 when there is one already); a seller cannot review its own product (403). ' +
        'The review is marked a verified purchase when one of the author\'s order lines of the product was delivered.',
      summary: 'Review a product (once per user; not its own seller); marked verified after its line was delivered',
      security: [{ bearerAuth: [] }],
      params: ProductParamsSchema,
      body: CreateReviewBodySchema,
      response: { 201: ReviewSchema, ...errorResponses(400, 401, 403, 404, 409) }
    }
  }, async (request, reply) => {
    reply.code(201)
    return reviews.create(request.user.id, request.params.id, request.body)
  })
}
