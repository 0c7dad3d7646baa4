import createError from '@fastify/error'

export const OrdersErrors = {
  CART_EMPTY: createError<'ORDERS_CART_EMPTY', 422, [number]>('ORDERS_CART_EMPTY', "The cart of user '%s' is empty; add products before placing an order", 422),
  /** `details` lists each short product: product_id, name, requested, available. */
  INSUFFICIENT_STOCK: createError<'ORDERS_INSUFFICIENT_STOCK', 409, [string]>('ORDERS_INSUFFICIENT_STOCK', 'Not enough stock for %s; nothing was ordered', 409),
  /** Also for orders the caller may not see, so order ids do not leak. */
  NOT_FOUND: createError<'ORDERS_NOT_FOUND', 404, [number]>('ORDERS_NOT_FOUND', "Order '%s' not found", 404),
  INVALID_TRANSITION: createError<'ORDERS_INVALID_TRANSITION', 409, [number, string, string]>(
    'ORDERS_INVALID_TRANSITION', "Order '%s' cannot move from '%s' to '%s'", 409),
  /** A seller of some of the order's lines, or its buyer asking for more than a cancellation. */
  STATUS_FORBIDDEN: createError<'ORDERS_STATUS_FORBIDDEN', 403, [number]>(
    'ORDERS_STATUS_FORBIDDEN',
    "Order '%s' is moved by admins only; its buyer may cancel it while it is pending, and sellers ship and deliver their own lines with PATCH /api/v1/orders/{id}/fulfilment", 403),
  CANCEL_NOT_PENDING: createError<'ORDERS_CANCEL_NOT_PENDING', 409, [number, string]>(
    'ORDERS_CANCEL_NOT_PENDING', "Order '%s' is '%s'; its buyer can cancel it only while it is pending", 409),
  PARTLY_SHIPPED: createError<'ORDERS_PARTLY_SHIPPED', 409, [number]>(
    'ORDERS_PARTLY_SHIPPED', "Order '%s' has lines already shipped; it can no longer be cancelled", 409),
  FULFILMENT_NOT_ALLOWED: createError<'ORDERS_FULFILMENT_NOT_ALLOWED', 409, [number, string]>(
    'ORDERS_FULFILMENT_NOT_ALLOWED', "Order '%s' is '%s'; lines are shipped and delivered only while it is processing or shipped", 409),
  INVALID_FULFILMENT: createError<'ORDERS_INVALID_FULFILMENT', 409, [number, number, string, string]>(
    'ORDERS_INVALID_FULFILMENT', "Order '%s' has no line of seller '%s' in '%s' to move to '%s'", 409),
  IDEMPOTENCY_KEY_INVALID: createError<'ORDERS_IDEMPOTENCY_KEY_INVALID', 400>(
    'ORDERS_IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 printable ASCII characters (optionally as a quoted string)', 400),
  IDEMPOTENCY_IN_PROGRESS: createError<'ORDERS_IDEMPOTENCY_IN_PROGRESS', 409, [string]>(
    'ORDERS_IDEMPOTENCY_IN_PROGRESS', "A request with Idempotency-Key '%s' is still being processed; retry later", 409),
  IDEMPOTENCY_KEY_REUSED: createError<'ORDERS_IDEMPOTENCY_KEY_REUSED', 422, [string]>(
    'ORDERS_IDEMPOTENCY_KEY_REUSED', "Idempotency-Key '%s' was already used with a different request body", 422)
}
