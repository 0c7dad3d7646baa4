import { Type, type Static, type TSchema, type TUnsafe } from 'typebox'

export { ErrorSchema, errorResponses } from '../../lib/http/index.js'

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100
/** Offset paging stops here (page * page_size); deeper pages use the cursor, which costs the same at any depth. */
export const MAX_OFFSET_ROWS = 10_000
export const DEFAULT_POPULAR_LIMIT = 10
export const MAX_POPULAR_LIMIT = 50
const MAX_ID = 2_147_483_647
// numeric(10,2)
const MAX_MONEY = 99_999_999.99

/** 304 answers to `If-None-Match` carry no body. */
export const NotModifiedSchema = Type.Null({ description: 'Not Modified: the ETag sent in If-None-Match is current' })
export const NoContentSchema = Type.Null({ description: 'Done; no body' })

const Money = Type.Number({ description: 'Amount with two decimals' })
const Rating = Type.Object({ average: Type.Number({ minimum: 0, maximum: 5 }), count: Type.Integer({ minimum: 0 }) })
const CategoryRef = Type.Object({ id: Type.Integer(), name: Type.String(), slug: Type.String() })

/** A product in lists, searches and category pages. */
export const ProductSummarySchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  slug: Type.String(),
  short_description: Type.Union([Type.String(), Type.Null()]),
  price: Money,
  sale_price: Type.Union([Money, Type.Null()]),
  effective_price: Money,
  stock_quantity: Type.Integer({
    description: 'Units in stock when this page was cached (pages are kept up to 30 minutes): orders and cancellations do not ' +
      'refresh cached pages unless a product sells out or comes back in stock, which refreshes the pages showing it and the ' +
      'in_stock filters. The product detail always has the exact stock.'
  }),
  brand: Type.Union([Type.String(), Type.Null()]),
  category: CategoryRef,
  rating: Rating,
  is_featured: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' })
})

/** A product by id or slug: the summary's fields plus description, sku, weight, dimensions, is_active, seller_id and updated_at. */
export const ProductDetailSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  slug: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  short_description: Type.Union([Type.String(), Type.Null()]),
  sku: Type.String(),
  price: Money,
  sale_price: Type.Union([Money, Type.Null()]),
  effective_price: Money,
  stock_quantity: Type.Integer(),
  brand: Type.Union([Type.String(), Type.Null()]),
  weight: Type.Union([Type.Number(), Type.Null()]),
  dimensions: Type.Union([Type.String(), Type.Null()]),
  category: CategoryRef,
  rating: Rating,
  is_featured: Type.Boolean(),
  is_active: Type.Boolean(),
  seller_id: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' })
})

export const PaginationSchema = Type.Object({
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_count: Type.Integer({
    description: 'Exact when total_count_exact. Otherwise, for a list, a lower bound (counting stops at 10,000 matches); for a ' +
      'text search, an estimate: the products holding the words (search vocabulary statistics) times the share of 300 of them that pass the filters'
  }),
  total_count_exact: Type.Boolean(),
  total_pages: Type.Integer(),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Opaque; pass as `cursor` for the next page (stable under inserts)' })
})

const FacetsSchema = Type.Object({
  exact: Type.Boolean({ description: 'False when the listing has more matches than the sample: the counts cover the best ranked ones' }),
  sample_size: Type.Integer({ description: 'Matches counted (at most 1,000, the best ranked)' }),
  brand: Type.Optional(Type.Array(Type.Object({ value: Type.String(), count: Type.Integer() }), { description: 'Up to 20 brands, most matches first' })),
  category: Type.Optional(Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), slug: Type.String(), count: Type.Integer() }), {
    description: 'Up to 20 categories (the products\' own, not their ancestors), most matches first'
  })),
  price: Type.Optional(Type.Array(Type.Object({
    min: Type.Number(),
    max: Type.Union([Type.Number(), Type.Null()], { description: 'Exclusive; null for the open top bucket' }),
    count: Type.Integer()
  }), { description: 'Effective price buckets with at least one match (edges 0, 25, 50, 100, 250, 500, 1000, 2500)' }))
})

export const ProductListSchema = Type.Object({
  products: Type.Array(ProductSummarySchema),
  pagination: PaginationSchema,
  matching: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('partial')], {
    description: 'With a text query: `all` when every word was used, `partial` when some were dropped (see `dropped`)'
  })),
  dropped: Type.Optional(Type.Array(Type.String(), {
    description: 'Words of `q` left out: unknown to the catalog (and not correctable), or dropped, most common first, because all the words together matched nothing'
  })),
  corrected_query: Type.Optional(Type.String({ description: 'The words searched when a spelling correction replaced some of `q`' })),
  facets: Type.Optional(FacetsSchema)
})

export const SORT_FIELDS = ['relevance', 'price', 'created_at', 'name', 'rating'] as const
export type SortField = typeof SORT_FIELDS[number]

const QueryText = Type.String({ minLength: 1, maxLength: 200 })
const ListFilterProperties = {
  q: Type.Optional(Type.String({ ...QueryText, description: 'Search words (typo tolerant; the last word also matches as a prefix)' })),
  query: Type.Optional(Type.String({ ...QueryText, description: 'Alias of q' })),
  min_price: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_MONEY, description: 'On the effective (sale when set) price' })),
  max_price: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_MONEY, description: 'On the effective (sale when set) price; at least min_price' })),
  brand: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Exact brand, case-insensitive' })),
  is_featured: Type.Optional(Type.Boolean({ description: 'Only featured (true) or only other (false) products' })),
  in_stock: Type.Optional(Type.Boolean({ description: 'Only products with stock (true) or only sold-out ones (false)' })),
  sort_by: Type.Optional(Type.Union([Type.Literal('relevance'), Type.Literal('price'), Type.Literal('created_at'), Type.Literal('name'), Type.Literal('rating')], { description: 'Default: relevance with q, else name. relevance without q orders newest first' })),
  sort_order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'Default asc, desc for relevance, created_at and rating' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_OFFSET_ROWS, description: 'Page number, from 1 (default 1); page × page_size at most 10,000' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: 'Products per page (default 20)' })),
  cursor: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 600,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'The `next_cursor` of the previous page, with the same filters and sort: the next page at any depth (replaces page)'
  })),
  facets: Type.Optional(Type.String({
    pattern: '^(brand|category|price)(,(brand|category|price))*$',
    description: 'Comma-separated: counts per brand, category and price bucket over the matches (the best ranked 1,000 at most)'
  }))
}

/** GET /products, GET /products/search (querystring) and POST /products/search (body). */
export const ListQuerySchema = Type.Object({
  ...ListFilterProperties,
  category_id: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Includes its subcategories' }))
}, { additionalProperties: false })
export type ListQuery = Static<typeof ListQuerySchema>

/** GET /categories/{id}/products: the category comes from the path. */
export const CategoryListQuerySchema = Type.Object(ListFilterProperties, { additionalProperties: false })

export const IdParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Product or category id' }) }, { additionalProperties: false })
export const SlugParamsSchema = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', description: 'The product\'s slug (lower-case words joined by hyphens)' })
}, { additionalProperties: false })

export const PopularQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_POPULAR_LIMIT, description: `Products to return (default ${DEFAULT_POPULAR_LIMIT})` }))
}, { additionalProperties: false })

export const PopularListSchema = Type.Object({
  window_days: Type.Integer({ description: 'Orders shipped or delivered within this many days are counted' }),
  // A popular product: no stock or rating, so orders do not invalidate the ranking.
  products: Type.Array(Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    slug: Type.String(),
    price: Money,
    sale_price: Type.Union([Money, Type.Null()]),
    effective_price: Money,
    brand: Type.Union([Type.String(), Type.Null()]),
    order_count: Type.Integer({ description: 'Order lines in the window' })
  }))
})

export const CategoryNodeSchema = Type.Cyclic({
  CategoryNode: Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    slug: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    parent_id: Type.Union([Type.Integer(), Type.Null()]),
    sort_order: Type.Integer(),
    product_count: Type.Integer({ description: 'Active products in the category and its subcategories' }),
    children: Type.Array(Type.Ref('CategoryNode'))
  })
}, 'CategoryNode')
export const CategoryTreeSchema = Type.Object({ categories: Type.Array(CategoryNodeSchema) })

/**
 * `T | null` as one `type: [T, 'null']` schema, not anyOf: the app's Ajv
 * coerces types, and inside anyOf it coerces a JSON null to 0 or '' (or 0 to
 * null), while a type list is left alone whenever one of its types matches.
 */
function nullable<T extends TSchema> (schema: T): TUnsafe<Static<T> | null> {
  const { type, ...rest } = schema as unknown as { type: string }
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [type, 'null'] } as unknown as TSchema)
}

const Sku = Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
const ProductFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  slug: Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', description: 'Generated from the name when omitted' }),
  description: nullable(Type.String({ maxLength: 20_000 })),
  short_description: nullable(Type.String({ maxLength: 500 })),
  sku: Sku,
  price: Type.Number({ exclusiveMinimum: 0, maximum: MAX_MONEY, description: 'At most two decimals' }),
  sale_price: nullable(Type.Number({ minimum: 0, maximum: MAX_MONEY, description: 'At most price' })),
  stock_quantity: Type.Integer({ minimum: 0, maximum: MAX_ID }),
  category_id: Type.Integer({ minimum: 1, maximum: MAX_ID }),
  brand: nullable(Type.String({ minLength: 1, maxLength: 100 })),
  weight: nullable(Type.Number({ minimum: 0, maximum: 999_999.99 })),
  dimensions: nullable(Type.String({ maxLength: 50 })),
  is_featured: Type.Boolean({ description: 'Admins only: a seller sending it gets 403 CATALOG_FEATURED_FORBIDDEN' }),
  seller_id: Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Admins only; sellers always own what they create' })
}

export const CreateProductBodySchema = Type.Object({
  name: ProductFields.name,
  sku: ProductFields.sku,
  price: ProductFields.price,
  category_id: ProductFields.category_id,
  slug: Type.Optional(ProductFields.slug),
  description: Type.Optional(ProductFields.description),
  short_description: Type.Optional(ProductFields.short_description),
  sale_price: Type.Optional(ProductFields.sale_price),
  stock_quantity: Type.Optional(ProductFields.stock_quantity),
  brand: Type.Optional(ProductFields.brand),
  weight: Type.Optional(ProductFields.weight),
  dimensions: Type.Optional(ProductFields.dimensions),
  is_featured: Type.Optional(ProductFields.is_featured),
  seller_id: Type.Optional(ProductFields.seller_id)
}, { additionalProperties: false })
export type CreateProductBody = Static<typeof CreateProductBodySchema>

export const UpdateProductBodySchema = Type.Object({
  name: Type.Optional(ProductFields.name),
  slug: Type.Optional(ProductFields.slug),
  description: Type.Optional(ProductFields.description),
  short_description: Type.Optional(ProductFields.short_description),
  sku: Type.Optional(ProductFields.sku),
  price: Type.Optional(ProductFields.price),
  sale_price: Type.Optional(ProductFields.sale_price),
  stock_quantity: Type.Optional(ProductFields.stock_quantity),
  category_id: Type.Optional(ProductFields.category_id),
  brand: Type.Optional(ProductFields.brand),
  weight: Type.Optional(ProductFields.weight),
  dimensions: Type.Optional(ProductFields.dimensions),
  is_featured: Type.Optional(ProductFields.is_featured),
  is_active: Type.Optional(Type.Boolean({ description: 'true restores a deleted product' }))
}, { additionalProperties: false, minProperties: 1 })
export type UpdateProductBody = Static<typeof UpdateProductBodySchema>
