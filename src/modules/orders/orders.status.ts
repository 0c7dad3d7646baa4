/**
 * The order lifecycle: pending → processing → shipped → delivered, and
 * cancelled from pending or processing. Everything else is refused.
 */
export const ORDER_STATUSES = ['pending', 'processing', 'shipped', 'delivered', 'cancelled'] as const
export type OrderStatus = typeof ORDER_STATUSES[number]
export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'refunded'

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['processing', 'cancelled'],
  processing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: []
}

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
    releasesStock: to === 'cancelled'
  }
}
