import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { products } from './catalog.js'
import { users } from './users.js'

export const cartItems = pgTable('cart_items', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  productId: integer('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
  quantity: integer('quantity').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [
  check('cart_items_quantity_check', sql`${t.quantity} > 0`),
  uniqueIndex('cart_items_user_product_key').on(t.userId, t.productId),
  index('cart_items_product_id_idx').on(t.productId),
  // Cart-to-order conversion counts carts touched in a time range.
  index('cart_items_updated_at_idx').on(t.updatedAt)
])
