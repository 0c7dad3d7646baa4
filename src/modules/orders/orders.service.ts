import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import { withDetails } from '../../errors.js'
import { AuthErrors } from '../../plugins/auth.js'
import type { InventoryService } from '../inventory/inventory.service.js'
import { isoTime, isoTimeOrNull, money, pagination, type JsonAnswer } from '../../lib/http/index.js'
import type { CacheDecorator } from '../../plugins/cache.js'
import { OrdersErrors } from './orders.errors.js'
import { createIdempotency, fingerprintOf, parseIdempotencyKey, type Claim, type IdempotentOutcome } from './orders.idempotency.js'
import { ORDERS_CACHE_TTL_S, ORDERS_CACHED_PAGES, OrdersCacheKeys, OrdersTags } from './orders.keys.js'
import { createOrdersRepository, type ItemRow, type ListFilter, type OrderRow, type Shortage, type Viewer } from './orders.repository.js'
import type { ListOrdersQuery, Order, OrderList, PlaceOrderBody } from './orders.schemas.js'
import { canTransition, FULFILLABLE, LINE_STEP_FROM, transitionEffects, type FulfilmentStep, type OrderStatus } from './orders.status.js'

export type { Viewer } from './orders.repository.js'

export interface OrdersServiceDeps {
  db: Database
  log: FastifyBaseLogger
  inventory: InventoryService
  cache: CacheDecorator
  /** The invalidation tag of a user's cached cart (`CartService.tag`): placing an order empties the cart. */
  cartTag: (userId: number) => string
  /** Unpaid pending orders older than this are cancelled by `expirePending`. */
  pendingTtlMinutes: number
}

/** Orders cancelled per transaction by the expiry job, and transactions per run (the rest waits for the next run). */
const EXPIRY_BATCH = 500
const EXPIRY_MAX_BATCHES = 20

/** `TM-20261128-9F3A61C2D4`: date for humans, 40 random bits against collisions and guessing. */
function newOrderNumber (now = new Date()): string {
  return `TM-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(5).toString('hex').toUpperCase()}`
}

function toOrder (row: OrderRow, items: ItemRow[]): Order {
  return {
    id: row.id,
    order_number: row.orderNumber,
    user_id: row.userId,
    status: row.status,
    payment_status: row.paymentStatus,
    total_amount: money(row.totalAmount),
    shipping_address: row.shippingAddress,
    billing_address: row.billingAddress,
    payment_method: row.paymentMethod,
    notes: row.notes,
    items: items.map((i) => ({
      product_id: i.productId,
      product_name: i.productName,
      seller_id: i.sellerId,
      quantity: i.quantity,
      unit_price: money(i.unitPrice),
      total_price: money(i.totalPrice),
      fulfilment_status: i.fulfilmentStatus
    })),
    created_at: isoTime(row.createdAt),
    updated_at: isoTime(row.updatedAt),
    shipped_at: isoTimeOrNull(row.shippedAt),
    delivered_at: isoTimeOrNull(row.deliveredAt)
  }
}

function insufficientStock (shortages: Shortage[]): Error {
  const names = shortages.map((s) => `product ${s.product_id}${s.name ? ` ('${s.name}')` : ''}`).join(', ')
  return withDetails(new OrdersErrors.INSUFFICIENT_STOCK(names), shortages.map((s) => ({
    message: `product ${s.product_id}: requested ${s.requested}, available ${s.available}`,
    product_id: s.product_id,
    name: s.name,
    requested: s.requested,
    available: s.available
  })))
}

/**
 * Orders. GET /orders is cached for the orders a user placed (scope `mine`,
 * the first ORDERS_CACHED_PAGES pages of each status filter and page size,
 * orders.keys.ts); every write of an order bumps its buyer's tag after the
 * commit: placement (with the cart, which it empties), status changes,
 * fulfilment, expiry. Placement itself reads nothing from the cache: stock,
 * cart and idempotency are decided in the database.
 */
export function createOrdersService ({ db, log, inventory, cache, cartTag, pendingTtlMinutes }: OrdersServiceDeps) {
  const repo = createOrdersRepository(db)
  const idempotency = createIdempotency({ db, log })
  const olog = log.child({ module: 'orders' })

  /** After a committed write of these buyers' orders: their cached order pages are stale, here and on every instance. */
  const buyersChanged = (userIds: number[]): Promise<void> => cache.invalidate([...new Set(userIds)].map(OrdersTags.buyer))

  async function listPage (filter: ListFilter, page: number, pageSize: number): Promise<OrderList> {
    const [rows, total] = await Promise.all([repo.list(filter, page, pageSize), repo.count(filter)])
    return {
      orders: rows.map((r) => ({
        id: r.id,
        order_number: r.orderNumber,
        user_id: r.userId,
        status: r.status,
        payment_status: r.paymentStatus,
        total_amount: money(r.totalAmount),
        item_count: r.itemCount,
        created_at: isoTime(r.createdAt)
      })),
      pagination: pagination(page, pageSize, total)
    }
  }

  /**
   * Cart → order in one statement, `place_order` (migration 0007), at READ
   * COMMITTED: every decision is made on rows it has locked (the cart lines,
   * then the products in id order) and every stock write is a conditional
   * update, so SERIALIZABLE would only add retries. One round trip means the
   * locks and the pool connection are held for the work alone, not for the
   * event loop's turns between statements.
   */
  async function createOrder (userId: number, body: PlaceOrderBody, claim?: Claim): Promise<Order> {
    const placed = await repo.place({
      orderNumber: newOrderNumber(),
      userId,
      shippingAddress: body.shipping_address,
      billingAddress: body.billing_address,
      paymentMethod: body.payment_method,
      notes: body.notes ?? null
    }, claim)
    if (placed.status === 'empty') throw new OrdersErrors.CART_EMPTY(userId)
    if (placed.status === 'short') throw insufficientStock(placed.shortages)
    const { order } = placed
    await Promise.all([
      inventory.stockChanged(placed.stock.map((s) => ({ productId: s.product_id, before: s.before, after: s.after }))),
      // The cart is now empty and the buyer has one more order.
      cache.invalidate([cartTag(userId), OrdersTags.buyer(userId)])
    ])
    olog.info({ orderId: order.id, userId, total: order.total_amount, lines: order.items.length }, 'order placed')
    return order
  }

  async function get (viewer: Viewer, orderId: number): Promise<Order> {
    const row = await repo.findReadable(orderId, viewer)
    if (!row) throw new OrdersErrors.NOT_FOUND(orderId)
    return toOrder(row, await repo.items(orderId))
  }

  return {
    /**
     * Places an order from the caller's cart. With an Idempotency-Key the
     * outcome is stored and replayed; without one every call is a new attempt.
     */
    async place (userId: number, body: PlaceOrderBody, idempotencyKey?: string): Promise<IdempotentOutcome<Order>> {
      if (idempotencyKey === undefined) return { body: await createOrder(userId, body), replayed: false }
      const scope = { userId, key: parseIdempotencyKey(idempotencyKey), fingerprint: fingerprintOf(body) }
      return idempotency.run<Order>(scope, (claim) => createOrder(userId, body, claim))
    },

    get,

    /**
     * GET /orders, serialized. The page depends on the filter alone (whose
     * orders, which status, which page), never on who asks once access is
     * granted, so an admin's `user_id` read shares the user's cached pages.
     * Sellers' `selling` lists change with other users' orders and are not
     * cached.
     */
    async list (viewer: Viewer, query: ListOrdersQuery): Promise<JsonAnswer> {
      if (query.user_id !== undefined && viewer.role !== 'admin') throw new AuthErrors.FORBIDDEN('admin')
      if (query.scope === 'selling' && viewer.role === 'customer') throw new AuthErrors.FORBIDDEN('seller, admin')
      const filter = { userId: query.user_id ?? viewer.id, scope: query.scope, status: query.status }
      if (filter.scope !== 'mine' || query.page > ORDERS_CACHED_PAGES) {
        return { body: JSON.stringify(await listPage(filter, query.page, query.page_size)) }
      }
      return cache.getOrLoad({
        type: 'user_orders',
        key: OrdersCacheKeys.placedPage(filter.userId, filter.status, query.page, query.page_size),
        coherent: true,
        tags: [OrdersTags.buyer(filter.userId)],
        load: async () => ({ body: JSON.stringify(await listPage(filter, query.page, query.page_size)), ttlS: ORDERS_CACHE_TTL_S })
      })
    },

    /**
     * Moves an order along its lifecycle (orders.status.ts says who moves
     * what). Admins may make any allowed move; the buyer may only cancel a
     * pending order; a seller of some of its lines gets 403 (it moves its
     * lines with `fulfil`); anyone else 404, as if the order were absent.
     * The order row is locked first, so concurrent cancellations (the buyer's,
     * an admin's, the expiry job's) return the stock once.
     */
    async updateStatus (viewer: Viewer, orderId: number, to: OrderStatus): Promise<Order> {
      const { buyer, released } = await db.transaction(async (tx) => {
        const order = await repo.lockReadable(orderId, viewer, tx)
        if (!order) throw new OrdersErrors.NOT_FOUND(orderId)
        if (viewer.role !== 'admin') {
          if (order.userId !== viewer.id || to !== 'cancelled') throw new OrdersErrors.STATUS_FORBIDDEN(orderId)
          if (order.status !== 'pending') throw new OrdersErrors.CANCEL_NOT_PENDING(orderId, order.status)
        }
        if (!canTransition(order.status, to)) throw new OrdersErrors.INVALID_TRANSITION(orderId, order.status, to)
        if (to === 'cancelled' && await repo.hasShippedLines(orderId, tx)) throw new OrdersErrors.PARTLY_SHIPPED(orderId)
        const effects = transitionEffects(to, order.paymentStatus)
        const moved = await repo.updateStatus(orderId, order.status, {
          status: effects.status, paymentStatus: effects.paymentStatus, shipped: effects.setShippedAt, delivered: effects.setDeliveredAt
        }, tx)
        // The row is locked, so the conditional update cannot miss; if it ever does, refuse rather than half-apply.
        if (!moved) throw new OrdersErrors.INVALID_TRANSITION(orderId, order.status, to)
        if (effects.lines) await repo.moveLines(orderId, effects.lines.from, effects.lines.to, undefined, tx)
        if (!effects.releasesStock) return { buyer: order.userId, released: [] }
        return { buyer: order.userId, released: await inventory.release(tx, await repo.items(orderId, tx)) }
      })
      await Promise.all([inventory.stockChanged(released), buyersChanged([buyer])])
      olog.info({ orderId, by: viewer.id, role: viewer.role, status: to }, 'order status changed')
      // The caller proved it may see this order above; read it back without the read-visibility filter.
      return get({ id: viewer.id, role: 'admin' }, orderId)
    },

    /**
     * A seller ships (then delivers) its own lines of a paid order, never
     * another seller's; the order becomes shipped or delivered when all its
     * lines are. The payment status is never touched. Orders without a line
     * of the caller's answer 404.
     */
    async fulfil (viewer: Viewer, orderId: number, to: FulfilmentStep): Promise<Order> {
      const buyer = await db.transaction(async (tx) => {
        const order = await repo.lockSelling(orderId, viewer.id, tx)
        if (!order) throw new OrdersErrors.NOT_FOUND(orderId)
        if (!FULFILLABLE.includes(order.status)) throw new OrdersErrors.FULFILMENT_NOT_ALLOWED(orderId, order.status)
        const from = LINE_STEP_FROM[to]
        if (await repo.moveLines(orderId, [from], to, viewer.id, tx) === 0) throw new OrdersErrors.INVALID_FULFILMENT(orderId, viewer.id, from, to)
        await repo.followLines(orderId, tx)
        return order.userId
      })
      // The lines moved and the order may have followed them to shipped or delivered.
      await buyersChanged([buyer])
      olog.info({ orderId, sellerId: viewer.id, lines: to }, 'order lines moved')
      return get({ id: viewer.id, role: 'admin' }, orderId)
    },

    /**
     * Cancels unpaid pending orders older than the configured time and
     * returns their stock, in batches of EXPIRY_BATCH orders per
     * transaction. Safe to run anywhere at once: each batch locks its orders
     * with SKIP LOCKED and cancels only those still pending, so an order's
     * stock comes back once whoever cancels it. Returns how many expired.
     */
    async expirePending (): Promise<number> {
      let expired = 0
      for (let i = 0; i < EXPIRY_MAX_BATCHES; i++) {
        const { ids, buyers, moves } = await db.transaction(async (tx) => {
          const ids = await repo.lockExpired(pendingTtlMinutes, EXPIRY_BATCH, tx)
          if (ids.length === 0) return { ids, buyers: [], moves: [] }
          const cancelled = await repo.cancelPending(ids, tx)
          return { ids, buyers: cancelled.buyers, moves: await inventory.release(tx, cancelled.lines) }
        })
        await Promise.all([inventory.stockChanged(moves), buyersChanged(buyers)])
        expired += ids.length
        if (ids.length > 0) olog.info({ orders: ids.length, ttlMinutes: pendingTtlMinutes }, 'unpaid pending orders expired')
        if (ids.length < EXPIRY_BATCH) break
      }
      return expired
    },

    purgeExpiredIdempotencyKeys: () => idempotency.purgeExpired()
  }
}

export type OrdersService = ReturnType<typeof createOrdersService>
