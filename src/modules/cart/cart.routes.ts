import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses, sendJson, trailingSlashRedirect } from '../../lib/http/index.js'
import { AddToCartBodySchema, CartItemParamsSchema, CartSchema, SetQuantityBodySchema } from './cart.schemas.js'
import type { CartService } from './cart.service.js'

export interface CartRoutesOptions { cart: CartService }

const security = [{ bearerAuth: [] }]
const tags = ['cart']

/** The caller's own cart; every write answers the whole cart with its total. */
export const cartRoutes: FastifyPluginAsyncTypebox<CartRoutesOptions> = async (app, { cart }) => {
  app.get('/', {
    prefixTrailingSlash: 'no-slash',
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 }, criticality: 'cart' },
    schema: {
      operationId: 'getCart',
      tags,
      summary: 'The caller\'s cart with live prices and total',
      description: 'Each line carries the product\'s current price (the sale price when set), its line total and the product\'s stock and ' +
        'active state, so a client can show what changed since the line was added. `total` is summed in PostgreSQL `numeric`.',
      security,
      response: { 200: CartSchema, ...errorResponses(401) }
    }
  }, async (request, reply) => sendJson(request, reply, await cart.get(request.user.id)))
  app.get('/', trailingSlashRedirect)

  app.post('/add', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 50, duration: 60 }, criticality: 'cart' },
    schema: {
      operationId: 'addToCart',
      tags,
      summary: 'Add a product (adds to its line when already in the cart)',
      description: 'Adds `quantity` to the product\'s line, creating it when absent. 404 CART_PRODUCT_NOT_FOUND for an unknown product, ' +
        '422 CART_PRODUCT_UNAVAILABLE for an inactive one, 409 CART_INSUFFICIENT_STOCK when the line would exceed the stock, ' +
        '422 CART_LINE_QUANTITY_LIMIT or CART_TOO_MANY_LINES past 1,000 units in a line or 100 lines.',
      security,
      body: AddToCartBodySchema,
      response: { 200: CartSchema, ...errorResponses(400, 401, 404, 409, 422) }
    }
  }, async (request) => cart.add(request.user.id, request.body))

  app.put('/items/:productId', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 }, criticality: 'cart' },
    schema: {
      operationId: 'setCartItemQuantity',
      tags,
      summary: 'Set the quantity of a product already in the cart',
      description: 'Replaces the line\'s quantity. 404 CART_ITEM_NOT_FOUND when the product has no line in the cart, ' +
        '422 CART_PRODUCT_UNAVAILABLE when it is no longer for sale, 409 CART_INSUFFICIENT_STOCK when the quantity exceeds the stock.',
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
      operationId: 'removeCartItem',
      tags,
      summary: 'Remove a product from the cart',
      description: 'Deletes the product\'s line and answers the cart without it. 404 CART_ITEM_NOT_FOUND when the product has no line in the cart.',
      security,
      params: CartItemParamsSchema,
      response: { 200: CartSchema, ...errorResponses(400, 401, 404) }
    }
  }, async (request) => cart.remove(request.user.id, request.params.productId))
}
