import { Type, type Static } from 'typebox'
import { PageQueryProperties, PaginationSchema } from '../../lib/http/index.js'
const OrderStatusSchema = Type.Union([
  Type.Literal('pending'), Type.Literal('processing'), Type.Literal('shipped'), Type.Literal('delivered'), Type.Literal('cancelled')
])
const LineStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('shipped'), Type.Literal('delivered'), Type.Literal('cancelled')])
const PaymentStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('paid'), Type.Literal('failed'), Type.Literal('refunded')])
const MAX_ID = 2147483647
const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

/** Items come from the caller's cart; the body carries only what the cart does not. */
export const PlaceOrderBodySchema = Type.Object({
  shipping_address: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
  billing_address: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
  payment_method: Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9_ -]+$' }),
  notes: Type.Optional(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })
export type PlaceOrderBody = Static<typeof PlaceOrderBodySchema>

/** Header names are lower case in Fastify; other headers pass untouched. */
export const PlaceOrderHeadersSchema = Type.Object({
  // 255 characters, plus the two quotes of the draft's sf-string form.
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1,
    maxLength: 257,
    description: 'A unique key per order attempt (1..255 printable ASCII, bare or quoted): a retry with the same key and body replays the stored answer'
  }))
})

export const OrderItemSchema = Type.Object({
  product_id: Type.Integer(),
  product_name: Type.String(),
  /** The seller of the product: the one who ships and delivers this line. */
  seller_id: Type.Integer(),
  quantity: Type.Integer(),
  unit_price: Type.Number(),
  total_price: Type.Number(),
  fulfilment_status: LineStatusSchema
})

export const OrderSchema = Type.Object({
  id: Type.Integer(),
  order_number: Type.String(),
  user_id: Type.Integer(),
  status: OrderStatusSchema,
  payment_status: PaymentStatusSchema,
  /** Sum of the items' total_price, computed in PostgreSQL numeric. */
  total_amount: Type.Number(),
  shipping_address: Type.String(),
  billing_address: Type.String(),
  payment_method: Type.String(),
  notes: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(OrderItemSchema),
  created_at: Timestamp,
  updated_at: Timestamp,
  shipped_at: NullableTimestamp,
  delivered_at: NullableTimestamp
})
export type Order = Static<typeof OrderSchema>

export const OrderSummarySchema = Type.Object({
  id: Type.Integer(),
  order_number: Type.String(),
  user_id: Type.Integer(),
  status: OrderStatusSchema,
  payment_status: PaymentStatusSchema,
  total_amount: Type.Number(),
  item_count: Type.Integer(),
  created_at: Timestamp
})
export type OrderSummary = Static<typeof OrderSummarySchema>

export const OrderListSchema = Type.Object({
  orders: Type.Array(OrderSummarySchema),
  pagination: PaginationSchema
})
export type OrderList = Static<typeof OrderListSchema>

export const ListOrdersQuerySchema = Type.Object({
  ...PageQueryProperties,
  status: Type.Optional(Type.Union(OrderStatusSchema.anyOf, { description: 'Only orders in this status' })),
  scope: Type.Union([Type.Literal('mine'), Type.Literal('selling')], {
    default: 'mine',
    description: '`mine`: orders the caller placed. `selling` (sellers, admins): orders containing the caller\'s products'
  }),
  user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Admins only: list this user\'s orders instead of the caller\'s' }))
}, { additionalProperties: false })
export type ListOrdersQuery = Static<typeof ListOrdersQuerySchema>

export const OrderParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Order id' }) }, { additionalProperties: false })

export const UpdateStatusBodySchema = Type.Object({ status: OrderStatusSchema }, { additionalProperties: false })

/** A seller's step on its own lines of an order. */
export const FulfilmentBodySchema = Type.Object({
  status: Type.Union([Type.Literal('shipped'), Type.Literal('delivered')])
}, { additionalProperties: false })
