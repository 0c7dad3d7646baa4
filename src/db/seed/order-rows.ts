import { compactDate } from './clock.js'
import type { CopyValue } from './copy.js'
import { formatCents } from './money.js'
import type { SeedOrder } from './orders.js'
import { homeAddress } from './people.js'
import { hashOf } from './random.js'

const PAYMENT_METHODS = ['credit_card', 'credit_card', 'credit_card', 'credit_card', 'credit_card', 'paypal', 'paypal', 'debit_card', 'apple_pay', 'google_pay']
const NOTES = ['Please leave the package at the front door.', 'Call on arrival, the buzzer is broken.', 'Gift: please do not include the invoice.', 'Deliver to the reception desk.', 'Leave with the neighbour at number 12 if nobody is home.']

const PAYMENT_STATUS: Record<SeedOrder['status'], string> = {
  pending: 'pending', processing: 'paid', shipped: 'paid', delivered: 'paid', cancelled: 'refunded'
}

/** A seeded order's lines are all where the order is (shipped, delivered, cancelled) or not yet shipped. */
const LINE_STATUS: Record<SeedOrder['status'], string> = {
  pending: 'pending', processing: 'pending', shipped: 'shipped', delivered: 'delivered', cancelled: 'cancelled'
}

const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

/**
 * The orders row. Choices that only this row needs (payment method, billing
 * address, notes) come from a hash of the order id, not from the orders
 * stream, so the item pass regenerates exactly the same orders.
 */
export function orderRow (order: SeedOrder, seed: number): CopyValue[] {
  const h = hashOf(seed, 'order-extras', order.id)
  const shipping = homeAddress(seed, order.userId)
  const billing = h % 10 < 8 ? shipping : homeAddress(seed, order.userId + 0x40000000)
  const notes = (h >>> 8) % 100 < 6 ? NOTES[(h >>> 16) % NOTES.length] : null
  return [
    order.id, `TM-${compactDate(order.createdAt)}-${String(order.id).padStart(6, '0')}`, order.userId, order.status,
    formatCents(order.totalCents), shipping, billing, PAYMENT_METHODS[(h >>> 4) % PAYMENT_METHODS.length],
    PAYMENT_STATUS[order.status], notes, iso(order.createdAt), iso(order.updatedAt), iso(order.shippedAt), iso(order.deliveredAt)
  ]
}

export const ORDER_COLUMNS = [
  'id', 'order_number', 'user_id', 'status', 'total_amount', 'shipping_address', 'billing_address', 'payment_method',
  'payment_status', 'notes', 'created_at', 'updated_at', 'shipped_at', 'delivered_at'
] as const

/** order_items rows for a stream of orders; ids are consecutive from 1. */
export function * orderItemRows (orders: Iterable<SeedOrder>): Generator<CopyValue[]> {
  let id = 0
  for (const order of orders) {
    for (const item of order.items) {
      yield [++id, order.id, item.product + 1, item.quantity, formatCents(item.unitCents), formatCents(item.unitCents * item.quantity), LINE_STATUS[order.status]]
    }
  }
}

export const ORDER_ITEM_COLUMNS = ['id', 'order_id', 'product_id', 'quantity', 'unit_price', 'total_price', 'fulfilment_status'] as const
