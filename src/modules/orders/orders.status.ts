/**
 * The order lifecycle: pending → processing → shipped → delivered, and
 * cancelled from pending or processing. Everything else is refused.
 *
 * Who moves what:
 * - payment and cancellation belong to the order: an admin accepts it for
 *   processing (no payment provider: that is when it counts as paid) or
 *   cancels it; its buyer may cancel it while it is pending; unpaid pending
 *   orders expire (cancelled by a background job).
 * - shipping and delivery belong to the lines: each seller ships and
 *   delivers its own lines, and the order follows them (every line shipped
 *   or delivered: shipped; every line delivered: delivered). An admin moving
 *   the whole order moves all its lines.
 * A seller's action never changes the payment status.
 */
export const ORDER_STATUSES = ['pending', 'processing', 'shipped', 'delivered', 'cancelled'] as const
export type OrderStatus = typeof ORDER_STATUSES[number]
export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'refunded'
export type LineStatus = 'pending' | 'shipped' | 'delivered' | 'cancelled'
/** What a seller may set on its own lines. */
export type FulfilmentStep = 'shipped' | 'delivered'

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['processing', 'cancelled'],
  processing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: []
}

/** The order statuses in which sellers ship and deliver lines: paid, and not yet complete or cancelled. */
export const FULFILLABLE: readonly OrderStatus[] = ['processing', 'shipped']

/** The line status a fulfilment step starts from. */
export const LINE_STEP_FROM: Readonly<Record<FulfilmentStep, LineStatus>> = { shipped: 'pending', delivered: 'shipped' }

export function canTransition (from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to)
}

/** What a transition writes besides the status. */
export interface TransitionEffects {
  status: OrderStatus
  paymentStatus: PaymentStatus
  setShippedAt: boolean
  setDeliveredAt: boolean
  /** Cancelling gives the items' stock back. */
  releasesStock: boolean
  /** The lines move too: from any of `from` to `to`. */
  lines?: { from: readonly LineStatus[], to: LineStatus }
}

/**
 * There is no payment provider: accepting an order for processing is when
 * it counts as paid, and cancelling a paid order marks it refunded (an
 * unpaid one keeps its payment status: nothing was charged).
 */
export function transitionEffects (to: OrderStatus, paymentStatus: PaymentStatus): TransitionEffects {
  return {
    status: to,
    paymentStatus: to === 'processing' ? 'paid' : to === 'cancelled' && paymentStatus === 'paid' ? 'refunded' : paymentStatus,
    setShippedAt: to === 'shipped',
    setDeliveredAt: to === 'delivered',
    releasesStock: to === 'cancelled',
    lines: to === 'shipped'
      ? { from: ['pending'], to: 'shipped' }
      : to === 'delivered'
        ? { from: ['pending', 'shipped'], to: 'delivered' }
        : to === 'cancelled' ? { from: ['pending'], to: 'cancelled' } : undefined
  }
}
