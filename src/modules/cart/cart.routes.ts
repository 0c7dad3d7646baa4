import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../lib/http-schemas.js'
import { sendJson } from '../../lib/json-reply.js'
import { AddToCartBodySchema, CartItemParamsSchema, CartSchema, SetQuantityBodySchema } from './cart.schemas.js'
import type { CartService } from './cart.service.js'

export interface CartRoutesOptions { cart: CartService }

const security = [{ bearerAuth: [] }]

/** The caller's own cart; every write answers the whole cart with its total. */
export const cartRoutes: FastifyPluginAsyncTypebox<CartRoutesOptions> = async (app, { cart }) => {
  app.get('/', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 }, criticality: 'cart' },
    schema: { tags: ['cart'], summary: 'The caller\'s cart with live prices and total', security, response: { 200: CartSchema, ...errorResponses(401) } }
  }, async (request, reply) => sendJson(request, reply, await cart.get(request.user.id)))

  app.post('/add', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 50, duration: 60 }, criticality: 'cart' },
    schema: {
      tags: ['cart'],
      summary: 'Add a product (adds to its line when already in the cart)',
      security,
      body: AddToCartBodySchema,
      response: { 200: CartSchema, ...errorResponses(400, 401, 404, 409, 422) }
    }
  }, async (request) => cart.add(request.user.id, request.body))

  app.put('/items/:productId', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 }, criticality: 'cart' },
    schema: {
      tags: ['cart'],
      summary: 'Set the quantity of a product already in the cart',
      security,
      params: CartItemParamsSchema,
      body: SetQuantityBodySchema,
      response: { 200: CartSchema, ...errorResponses(400, 401, 404, 409, 422) }
    }
  }, async (request) => cart.setQuantity(request.user.id, request.params.productId, request.body.quantity))

  app.delete('/items/:productId', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 }, criticality: 'cart' },
    schema: {
      tags: ['cart'],
      summary: 'Remove a product from the cart',
      security,
      params: CartItemParamsSchema,
      response: { 200: CartSchema, ...errorResponses(400, 401, 404) }
    }
  }, async (request) => cart.remove(request.user.id, request.params.productId))
}
