import { sql } from 'drizzle-orm'
import {
  check, index, integer, jsonb, numeric, pgEnum, pgTable, primaryKey, smallint, text, timestamp, varchar
} from 'drizzle-orm/pg-core'
import { products } from './catalog.js'
import { users } from './users.js'

export const orderStatus = pgEnum('order_status', ['pending', 'processing', 'shipped', 'delivered', 'cancelled'])
export const paymentStatus = pgEnum('payment_status', ['pending', 'paid', 'failed', 'refunded'])
/** Where one order line is: its product's seller ships and delivers it; cancelling the order cancels every line. */
export const fulfilmentStatus = pgEnum('fulfilment_status', ['pending', 'shipped', 'delivered', 'cancelled'])

export const orders = pgTable('orders', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  orderNumber: varchar('order_number', { length: 50 }).notNull().unique(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'restrict' }),
  status: orderStatus('status').notNull().default('pending'),
  totalAmount: numeric('total_amount', { precision: 12, scale: 2 }).notNull(),
  shippingAddress: text('shipping_address').notNull(),
  billingAddress: text('billing_address').notNull(),
  paymentMethod: varchar('payment_method', { length: 50 }).notNull(),
  paymentStatus: paymentStatus('payment_status').notNull().default('pending'),
  notes: text('notes'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  shippedAt: timestamp('shipped_at', { withTimezone: true }),
  deliveredAt: timestamp('delivered_at', { withTimezone: true })
}, (t) => [
  check('orders_total_amount_check', sql`${t.totalAmount} >= 0`),
  index('orders_user_created_idx').on(t.userId, t.createdAt),
  // Business metrics (orders and revenue by day) scan created_at ranges.
  index('orders_created_at_idx').on(t.createdAt),
  // The expiry job reads the oldest unpaid pending orders; they are few, so the index stays small.
  index('orders_pending_created_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`)
])

export const orderItems = pgTable('order_items', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  orderId: integer('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
  productId: integer('product_id').notNull().references(() => products.id, { onDelete: 'restrict' }),
  quantity: integer('quantity').notNull(),
  unitPrice: numeric('unit_price', { precision: 10, scale: 2 }).notNull(),
  totalPrice: numeric('total_price', { precision: 12, scale: 2 }).notNull(),
  fulfilmentStatus: fulfilmentStatus('fulfilment_status').notNull().default('pending')
}, (t) => [
  check('order_items_quantity_check', sql`${t.quantity} > 0`),
  check('order_items_unit_price_check', sql`${t.unitPrice} >= 0`),
  index('order_items_order_id_idx').on(t.orderId),
  index('order_items_product_order_idx').on(t.productId, t.orderId)
])

/**
 * Idempotency-Key records (IETF draft): scoped to the user, kept 24 hours,
 * with a fingerprint of the request and the stored response to replay.
 */
export const idempotencyKeys = pgTable('idempotency_keys', {
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  key: varchar('key', { length: 255 }).notNull(),
  fingerprint: varchar('fingerprint', { length: 64 }).notNull(),
  statusCode: smallint('status_code'),
  response: jsonb('response'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull()
}, (t) => [
  primaryKey({ columns: [t.userId, t.key] }),
  index('idempotency_keys_expires_at_idx').on(t.expiresAt)
])
