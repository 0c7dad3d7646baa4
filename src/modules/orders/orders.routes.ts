import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../lib/http-schemas.js'
import {
  ListOrdersQuerySchema, OrderListSchema, OrderParamsSchema, OrderSchema, PlaceOrderBodySchema,
  PlaceOrderHeadersSchema, UpdateStatusBodySchema
} from './orders.schemas.js'
import type { OrdersService } from './orders.service.js'

export interface OrdersRoutesOptions {
  orders: OrdersService
  /** How often expired Idempotency-Key rows are deleted. @default 15 minutes */
  purgeIntervalMs?: number
}

const DEFAULT_PURGE_INTERVAL_MS = 15 * 60 * 1000
const security = [{ bearerAuth: [] }]

/**
 * `/orders`. This plugin also owns the periodic purge of expired
 * idempotency keys: an unref'd timer, cleared when the app closes.
 */
export const ordersRoutes: FastifyPluginAsyncTypebox<OrdersRoutesOptions> = async (app, { orders, purgeIntervalMs }) => {
  const purge = setInterval(() => {
    orders.purgeExpiredIdempotencyKeys()
      .then((n) => { if (n > 0) app.log.info({ deleted: n }, 'expired idempotency keys purged') })
      .catch((err: unknown) => app.log.warn({ err }, 'idempotency key purge failed'))
  }, purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS).unref()
  app.addHook('onClose', async () => clearInterval(purge))

  app.post('/', {
    preHandler: app.authenticate,
    config: { rateLimit: { points: 20, duration: 60 }, criticality: 'critical' },
    schema: {
      tags: ['orders'],
      summary: 'Place an order from the cart (honours Idempotency-Key)',
      description: 'A retry with the same Idempotency-Key and body answers the stored response with `Idempotent-Replayed: true`; the same key with another body is 422; while the first request runs, 409.',
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

  app.get('/', {
    preHandler: app.authenticate,
    config: { rateLimit: { points: 50, duration: 60 } },
    schema: {
      tags: ['orders'],
      summary: 'The caller\'s orders, newest first (admin: any user\'s with user_id; sellers: scope=selling)',
      security,
      querystring: ListOrdersQuerySchema,
      response: { 200: OrderListSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => orders.list(request.user, request.query))

  app.get('/:id', {
    preHandler: app.authenticate,
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      tags: ['orders'],
      summary: 'One order with its items (owner, admin, or a seller of one of its products)',
      security,
      params: OrderParamsSchema,
      response: { 200: OrderSchema, ...errorResponses(400, 401, 404) }
    }
  }, async (request) => orders.get(request.user, request.params.id))

  app.patch('/:id/status', {
    preHandler: app.requireRole('seller', 'admin'),
    config: { rateLimit: { points: 100, duration: 60 } },
    schema: {
      tags: ['orders'],
      summary: 'Move an order: pending → processing → shipped → delivered; cancel from pending or processing',
      description: 'Admins: any order. Sellers: orders containing their products; others answer 404. Customers: 403.',
      security,
      params: OrderParamsSchema,
      body: UpdateStatusBodySchema,
      response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) }
    }
  }, async (request) => orders.updateStatus(request.user, request.params.id, request.body.status))
}
