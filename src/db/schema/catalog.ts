import { sql, type SQL } from 'drizzle-orm'
import {
  boolean, check, customType, doublePrecision, index, integer, numeric, pgTable, text, timestamp, varchar
} from 'drizzle-orm/pg-core'
import { users } from './users.js'

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' })

export const categories = pgTable('categories', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: varchar('name', { length: 100 }).notNull().unique(),
  slug: varchar('slug', { length: 100 }).notNull().unique(),
  description: text('description'),
  parentId: integer('parent_id').references((): any => categories.id, { onDelete: 'restrict' }),
  isActive: boolean('is_active').notNull().default(true),
  sortOrder: integer('sort_order').notNull().default(0)
}, (t) => [
  index('categories_parent_id_idx').on(t.parentId)
])

export const products = pgTable('products', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  sellerId: integer('seller_id').notNull().references(() => users.id, { onDelete: 'restrict' }),
  name: varchar('name', { length: 200 }).notNull(),
  slug: varchar('slug', { length: 200 }).notNull().unique(),
  description: text('description'),
  shortDescription: varchar('short_description', { length: 500 }),
  sku: varchar('sku', { length: 50 }).notNull().unique(),
  price: numeric('price', { precision: 10, scale: 2 }).notNull(),
  salePrice: numeric('sale_price', { precision: 10, scale: 2 }),
  // The price a customer pays: filters and price sorts use it (sale price when set).
  effectivePrice: numeric('effective_price', { precision: 10, scale: 2 })
    .generatedAlwaysAs((): SQL => sql`coalesce(${products.salePrice}, ${products.price})`),
  stockQuantity: integer('stock_quantity').notNull().default(0),
  categoryId: integer('category_id').notNull().references(() => categories.id, { onDelete: 'restrict' }),
  brand: varchar('brand', { length: 100 }),
  weight: numeric('weight', { precision: 8, scale: 2 }),
  dimensions: varchar('dimensions', { length: 50 }),
  isActive: boolean('is_active').notNull().default(true),
  isFeatured: boolean('is_featured').notNull().default(false),
  // Precomputed from approved reviews so detail and lists need no aggregate per row.
  ratingAvg: numeric('rating_avg', { precision: 3, scale: 2 }).notNull().default('0'),
  ratingCount: integer('rating_count').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  // Full-text document: name weighs most, then brand, then descriptions. Text goes through
  // catalog_search_text() (migration 0012) so documents and queries tokenize alike; names and
  // brands also unstemmed, so a partly typed word matches as a prefix of the word as written.
  searchVector: tsvector('search_vector').generatedAlwaysAs((): SQL => sql`
    setweight(to_tsvector('english', catalog_search_text(coalesce(${products.name}, ''))), 'A') ||
    setweight(to_tsvector('simple', catalog_search_text(coalesce(${products.name}, ''))), 'A') ||
    setweight(to_tsvector('english', catalog_search_text(coalesce(${products.brand}, ''))), 'B') ||
    setweight(to_tsvector('simple', catalog_search_text(coalesce(${products.brand}, ''))), 'B') ||
    setweight(to_tsvector('english', catalog_search_text(coalesce(${products.shortDescription}, ''))), 'C') ||
    setweight(to_tsvector('english', catalog_search_text(coalesce(${products.description}, ''))), 'D')`),
  // Name and brand only: a match here ranks above a match in the descriptions.
  titleVector: tsvector('title_vector').generatedAlwaysAs((): SQL => sql`
    to_tsvector('english', catalog_search_text(coalesce(${products.name}, '') || ' ' || coalesce(${products.brand}, ''))) ||
    to_tsvector('simple', catalog_search_text(coalesce(${products.name}, '') || ' ' || coalesce(${products.brand}, '')))`),
  // The order within a search relevance tier, unique: popularity (reviews received, scaled
  // by their average, to 1/1000), then id, as one float8 (exact below 2^53).
  searchRank: doublePrecision('search_rank').generatedAlwaysAs((): SQL => sql`
    (floor(ln(1 + ${products.ratingCount}) * (0.5 + ${products.ratingAvg} / 10) * 1000) * 2147483648 + ${products.id})::double precision`)
}, (t) => [
  check('products_price_check', sql`${t.price} >= 0`),
  check('products_sale_price_check', sql`${t.salePrice} IS NULL OR (${t.salePrice} >= 0 AND ${t.salePrice} <= ${t.price})`),
  check('products_stock_check', sql`${t.stockQuantity} >= 0`),
  check('products_rating_avg_check', sql`${t.ratingAvg} BETWEEN 0 AND 5`),
  index('products_search_vector_idx').using('gin', t.searchVector).with({ fastupdate: false }).where(sql`${t.isActive}`),
  index('products_search_rank_idx').on(t.searchRank.desc()).where(sql`${t.isActive}`),
  index('products_lower_name_idx').on(sql`lower(${t.name})`).where(sql`${t.isActive}`),
  index('products_name_trgm_idx').using('gin', sql`${t.name} gin_trgm_ops`).with({ fastupdate: false }),
  index('products_category_price_idx').on(t.categoryId, t.effectivePrice).where(sql`${t.isActive}`),
  index('products_category_created_idx').on(t.categoryId, t.createdAt).where(sql`${t.isActive}`),
  index('products_price_idx').on(t.effectivePrice).where(sql`${t.isActive}`),
  index('products_created_at_idx').on(t.createdAt).where(sql`${t.isActive}`),
  index('products_brand_idx').on(sql`lower(${t.brand})`).where(sql`${t.isActive}`),
  index('products_featured_idx').on(t.createdAt).where(sql`${t.isActive} AND ${t.isFeatured}`),
  index('products_seller_id_idx').on(t.sellerId),
  // Catalog sorts by name and by rating page through these in order (keyset on (key, id)),
  // over all products and per category (category pages scan each subcategory in order).
  index('products_name_id_idx').on(t.name, t.id).where(sql`${t.isActive}`),
  index('products_rating_id_idx').on(t.ratingAvg, t.id).where(sql`${t.isActive}`),
  index('products_category_name_idx').on(t.categoryId, t.name, t.id).where(sql`${t.isActive}`),
  index('products_category_rating_idx').on(t.categoryId, t.ratingAvg, t.id).where(sql`${t.isActive}`)
])
