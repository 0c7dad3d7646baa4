import { Type, type Static } from 'typebox'

const Count = Type.Integer({ minimum: 0 })
const Num = Type.Number()
const NullableNum = Type.Union([Type.Number(), Type.Null()])
const NullableRatio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])
const IsoDate = Type.String({ format: 'date-time' })

export const TopProductSchema = Type.Object({
  product_id: Type.Integer(),
  name: Type.String(),
  total_sold: Count,
  revenue: Num
})

/**
 * Business figures, computed in the background and cached. Days are calendar
 * days in `timezone`. Orders and revenue exclude cancelled orders. Money is a
 * JSON number with two decimals, summed exactly in PostgreSQL `numeric`.
 */
export const BusinessSchema = Type.Object({
  computed_at: IsoDate,
  /** Seconds since computed_at. */
  age_s: Count,
  timezone: Type.String(),
  users: Type.Object({ total: Count, active_today: Count, new_today: Count }),
  products: Type.Object({ active: Count, low_stock: Count, low_stock_threshold: Count }),
  orders: Type.Object({
    today: Count,
    /** The whole of yesterday. */
    yesterday: Count,
    /** Yesterday from midnight to the same time of day as now. */
    yesterday_same_time: Count,
    /** (today - yesterday_same_time) / yesterday_same_time * 100; null when yesterday_same_time is 0. */
    growth_percent: NullableNum,
    /** Orders per minute over the last 60 minutes, oldest first (t = minute start, epoch seconds). */
    per_minute: Type.Object({ t: Type.Array(Type.Integer()), count: Type.Array(Count) })
  }),
  revenue: Type.Object({
    today: Num,
    /** The last 30 days: "month" is a rolling 30 days, not the calendar month. */
    month: Num,
    /** revenue.month / orders over the last 30 days; 0 without orders. */
    avg_order_value: Num
  }),
  conversion: Type.Object({
    /** Users who placed an order in the last 24 hours. */
    ordering_users_24h: Count,
    /** Users with cart activity in the last 24 hours: a cart updated then, or an order placed (which empties the cart). */
    cart_users_24h: Count,
    rate: NullableRatio
  }),
  /** Best sellers of the last 7 days by quantity, at most 5. */
  top_products: Type.Array(TopProductSchema)
})

export type Business = Static<typeof BusinessSchema>
export type TopProduct = Static<typeof TopProductSchema>
