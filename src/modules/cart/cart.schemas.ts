import { Type, type Static } from 'typebox'

/** Per-line and per-cart bounds: keep a cart (and the order made from it) a reasonable size. */
export const MAX_LINE_QUANTITY = 1000
export const MAX_CART_LINES = 100

const ProductId = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Quantity = Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY })

export const AddToCartBodySchema = Type.Object({
  product_id: ProductId,
  quantity: Quantity
}, { additionalProperties: false })
export type AddToCartBody = Static<typeof AddToCartBodySchema>

export const SetQuantityBodySchema = Type.Object({ quantity: Quantity }, { additionalProperties: false })

export const CartItemParamsSchema = Type.Object({
  productId: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'The product of the cart line' })
}, { additionalProperties: false })

export const CartSchema = Type.Object({
  items: Type.Array(Type.Object({
    product_id: Type.Integer(),
    quantity: Type.Integer(),
    /** The product's price now (sale price when set). */
    unit_price: Type.Number(),
    line_total: Type.Number(),
    product: Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      slug: Type.String(),
      price: Type.Number(),
      sale_price: Type.Union([Type.Number(), Type.Null()]),
      stock_quantity: Type.Integer(),
      is_active: Type.Boolean()
    })
  })),
  /** Sum of line totals, computed in PostgreSQL numeric. */
  total: Type.Number()
})
export type Cart = Static<typeof CartSchema>
