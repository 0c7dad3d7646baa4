import createError from '@fastify/error'

export const CartErrors = {
  PRODUCT_NOT_FOUND: createError<'CART_PRODUCT_NOT_FOUND', 404, [number]>('CART_PRODUCT_NOT_FOUND', "Product '%s' not found", 404),
  PRODUCT_UNAVAILABLE: createError<'CART_PRODUCT_UNAVAILABLE', 422, [number]>('CART_PRODUCT_UNAVAILABLE', "Product '%s' is not available for sale", 422),
  /** `details` holds product_id, requested (the resulting line quantity) and available. */
  INSUFFICIENT_STOCK: createError<'CART_INSUFFICIENT_STOCK', 409, [number, number, number]>(
    'CART_INSUFFICIENT_STOCK', "Product '%s' has %s in stock; the cart line would need %s", 409),
  ITEM_NOT_FOUND: createError<'CART_ITEM_NOT_FOUND', 404, [number]>('CART_ITEM_NOT_FOUND', "Product '%s' is not in the cart", 404),
  TOO_MANY_LINES: createError<'CART_TOO_MANY_LINES', 422, [number]>('CART_TOO_MANY_LINES', 'The cart already holds the maximum of %s different products', 422),
  LINE_QUANTITY_LIMIT: createError<'CART_LINE_QUANTITY_LIMIT', 422, [number, number]>(
    'CART_LINE_QUANTITY_LIMIT', "A cart line holds at most %s units; product '%s' would exceed it", 422)
}
