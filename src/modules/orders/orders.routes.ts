import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses, sendJson, trailingSlashRedirect } from '../../lib/http/index.js'
import {
  FulfilmentBodySchema, ListOrdersQuerySchema, OrderListSchema, OrderParamsSchema, OrderSchema, PlaceOrderBodySchema,
  PlaceOrderHeadersSchema, UpdateStatusBodySchema
} from './orders.schemas.js'
import { startPendingExpiry } from './orders.jobs.js'
import type { OrdersService } from './orders.service.js'

export interface OrdersRoutesOptions {
  orders: OrdersService
  /** How often expired Idempotency-Key rows are deleted. @default 15 minutes */
  purgeIntervalMs?: number
  /** How often one instance cancels expired unpaid pending orders. */
  expiryIntervalMs: number
}

const DEFAULT_PURGE_INTERVAL_MS = 15 * 60 * 1000
const security = [{ bearerAuth: [] }]
const tags = ['orders']

/**
 * `/orders`. This plugin also owns the periodic jobs of orders, the purge
 * of expired idempotency keys and the expiry of unpaid pending orders:
 * unref'd timers, cleared when the app closes.
 */
export const ordersRoutes: FastifyPluginAsyncTypebox<OrdersRoutesOptions> = async (app, { orders, purgeIntervalMs, expiryIntervalMs }) => {
  const purge = setInterval(() => {
    orders.purgeExpiredIdempotencyKeys()
      .then((n) => { if (n > 0) app.log.info({ deleted: n }, 'expired idempotency keys purged') })
      .catch((err: unknown) => app.log.warn({ err }, 'idempotency key purge failed'))
  }, purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS).unref()
  const expiry = startPendingExpiry({ orders, redis: app.redis, holder: app.metrics.instanceId, intervalMs: expiryIntervalMs, log: app.log })
  app.addHook('onClose', async () => {
    clearInterval(purge)
    expiry.stop()
  })

  app.post('/', {
    prefixTrailingSlash: 'no-slash',
    onRequest: app.authenticate,
    config: { rateLimit: { points: 20, duration: 60, exact: true }, criticality: 'critical' },
    schema: {
      operationId: 'placeOrder',
      tags,
      summary: 'Place an order from the cart (honours Idempotency-Key)',
      description: 'Turns the caller\'s cart into a pending order in one transaction: stock is checked and taken, prices are the current ones, ' +
        'the cart is emptied. 422 ORDERS_CART_EMPTY for an empty cart, 409 ORDERS_INSUFFICIENT_STOCK when a line exceeds the stock. ' +
        'A retry with the same Idempotency-Key and body answers the stored response with `Idempotent-Replayed: true`; the same key with another body is 422; while the first request runs, 409.',
      security,
      headers: PlaceOrderHeadersSchema,
      body: PlaceOrderBodySchema,
      response: { 201: OrderSchema, ...errorResponses(400, 401, 409, 422) }
    }
  }, async (request, reply) => {
    const result = await orders.place(request.user.id, request.body, request.headers['idempotency-key'])
    if (result.replayed) reply.header('idempotent-replayed', 'true')
    reply.code(201)
    return result.body
  })
  app.post('/', trailingSlashRedirect)

  app.get('/', {
    prefixTrailingSlash: 'no-slash',
    onRequest: app.authenticate,
    config: { rateLimit: { points: 50, duration: 60 } },
    schema: {
      operationId: 'listOrders',
      tags,
      summary: 'The caller\'s orders, newest first (admin: any user\'s with user_id; sellers: scope=selling)',
      description: 'Summaries (no items) of the orders the caller placed, filtered by `status`. `scope=selling` (sellers, admins) lists the orders ' +
        'holding the caller\'s products instead; `user_id` (admins) lists that user\'s orders. A customer asking for either gets 403.',
      security,
      querystring: ListOrdersQuerySchema,
      response: { 200: OrderListSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request, reply) => sendJson(request, reply, await orders.list(request.user, request.query)))
  app.get('/', trailingSlashRedirect)

  app.get('/:id', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      operationId: 'getOrder',
      tags,
      summary: 'One order with its items (owner, admin, or a seller of one of its products)',
      description: 'The order with every line and its fulfilment status. An order the caller may not see answers 404 ORDERS_NOT_FOUND, ' +
        'the same as one that does not exist, so ids cannot be probed.',
      security,
      params: OrderParamsSchema,
      response: { 200: OrderSchema, ...errorResponses(400, 401, 404) }
    }
  }, async (request) => orders.get(request.user, request.params.id))

  app.patch('/:id/status', {
    onRequest: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      operationId: 'updateOrderStatus',
      tags,
      summary: 'Move an order: pending → processing → shipped → delivered; cancel from pending or processing',
      description: 'Admins: any allowed move (processing marks it paid; shipped and delivered move every line). ' +
        'The buyer: `cancelled` while the order is pending (409 ORDERS_CANCEL_NOT_PENDING after that), anything else 403. ' +
        'A seller of some of its lines: 403 ORDERS_STATUS_FORBIDDEN (sellers move their own lines with PATCH /orders/{id}/fulfilment). ' +
        'Anyone else: 404. Cancelling returns the stock once, whoever cancels.',
      security,
      params: OrderParamsSchema,
      body: UpdateStatusBodySchema,
      response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) }
    }
  }, async (request) => orders.updateStatus(request.user, request.params.id, request.body.status))

  app.patch('/:id/fulfilment', {
    onRequest: app.requireRole('seller', 'admin'),
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      operationId: 'updateOrderFulfilment',
      tags,
      summary: 'Ship, then deliver, the caller\'s own lines of a paid order (seller, admin)',
      description: 'Moves only the lines of the caller\'s products: pending → shipped → delivered, while the order is processing or shipped. ' +
        'The order becomes shipped when every line is shipped or delivered, delivered when every line is delivered; its payment status never changes here. ' +
        'Orders without a line of the caller\'s: 404. Customers: 403.',
      security,
      params: OrderParamsSchema,
      body: FulfilmentBodySchema,
      response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) }
    }
  }, async (request) => orders.fulfil(request.user, request.params.id, request.body.status))
}
