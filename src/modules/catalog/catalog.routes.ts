import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RouteRateLimit } from '../../lib/http/index.js'
import type { CachedJson, CatalogService } from './catalog.service.js'
import {
  CategoryListQuerySchema, CategoryTreeSchema, CreateProductBodySchema, DEFAULT_POPULAR_LIMIT, errorResponses, IdParamsSchema,
  ListQuerySchema, NoContentSchema, NotModifiedSchema, PopularListSchema, PopularQuerySchema, ProductDetailSchema, ProductListSchema,
  SlugParamsSchema, UpdateProductBodySchema
} from './catalog.schemas.js'
import { SuggestQuerySchema, SuggestResponseSchema } from './catalog.suggest-schemas.js'

export interface CatalogRoutesOptions { catalog: CatalogService }

const JSON_TYPE = 'application/json; charset=utf-8'
const security = [{ bearerAuth: [] }]
const tags = ['catalog']

// Per-client limits per 60 s. Product by slug is the same read as by id, so it gets the detail limit.
const limit = (points: number): RouteRateLimit => ({ points, duration: 60 })
const LIMITS = { list: limit(200), detail: limit(300), search: limit(100), other: limit(100) }
// Suggestions change with product writes only; a browser may reuse one for as long as the user keeps typing.
const SUGGEST_MAX_AGE_S = 30

/** True when `If-None-Match` (a list, possibly weak, or `*`) names this ETag. */
export function etagMatches (header: string | undefined, etag: string): boolean {
  if (!header) return false
  const opaque = etag.replace(/^W\//, '')
  return header.split(',').some((t) => {
    const tag = t.trim()
    return tag === '*' || tag.replace(/^W\//, '') === opaque
  })
}

/** Sends an already serialized JSON body (or none) with this status. */
function sendBytes (reply: FastifyReply, status: number, body?: string): FastifyReply {
  reply.code(status)
  return body === undefined ? reply.send() : reply.type(JSON_TYPE).send(body)
}

/**
 * Sends cached bytes as they are (no serialization), with their ETag; a
 * matching If-None-Match gets 304 without a body. Records the cache outcome
 * for Server-Timing and the access log.
 */
function sendCached (request: FastifyRequest, reply: FastifyReply, result: CachedJson): FastifyReply {
  request.timings.cacheStatus = result.status
  reply.header('etag', result.etag).header('cache-control', 'no-cache')
  if (etagMatches(request.headers['if-none-match'], result.etag)) return sendBytes(reply, 304)
  return sendBytes(reply, 200, result.body)
}

/** `sendCached` once the read settles; the promise settles when the reply is sent (what returning `reply` does). */
async function sendWhenRead (request: FastifyRequest, reply: FastifyReply, pending: Promise<CachedJson>): Promise<void> {
  await sendCached(request, reply, await pending)
}

/**
 * `sendCached` for a read that may answer synchronously (a fresh L1 entry):
 * then the handler returns nothing and Fastify has no promise to wait for.
 */
function sendCachedOrLater (request: FastifyRequest, reply: FastifyReply, result: CachedJson | Promise<CachedJson>): Promise<void> | undefined {
  if (result instanceof Promise) return sendWhenRead(request, reply, result)
  sendCached(request, reply, result)
  return undefined
}

/** Products and categories, under /api/v1. Reads are public; writes need a seller or admin token. */
export const catalogRoutes: FastifyPluginAsyncTypebox<CatalogRoutesOptions> = async (app, { catalog }) => {
  const browse = (rateLimit: RouteRateLimit) => ({ rateLimit, criticality: 'browse' as const })
  const listResponses = { 200: ProductListSchema, 304: NotModifiedSchema, ...errorResponses(400) }

  app.addHook('onReady', async () => catalog.start())
  app.addHook('onClose', async () => catalog.stop())

  app.get('/products', {
    config: browse(LIMITS.list),
    schema: {
      operationId: 'listProducts',
      tags,
      summary: 'List products with filters, sorting, offset or cursor paging',
      description: 'Active products; the filters combine. Offset pages (`page`, `page_size`) reach 10,000 rows deep (400 CATALOG_PAGE_TOO_DEEP past that), ' +
        '`next_cursor` pages at any depth. With `q` the list is a text search, as GET /products/search. ' +
        'Answers carry a strong ETag with `Cache-Control: no-cache`: a request with a matching If-None-Match gets 304 without a body.',
      querystring: ListQuerySchema,
      response: listResponses
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.list(request.query)))

  app.get('/products/search', {
    config: browse(LIMITS.search),
    schema: {
      operationId: 'searchProducts',
      tags,
      summary: 'Full-text search (typo tolerant) with the list filters',
      description: 'Every word of `q` in the name, brand or descriptions, the last one also as a prefix; ranked exact name first, then name or brand, ' +
        'then descriptions, by popularity. Misspelt words are corrected (`corrected_query`); when all the words together match nothing, some are ' +
        'dropped (`matching`, `dropped`). Same filters, paging, facets, ETag and 304 as GET /products.',
      querystring: ListQuerySchema,
      response: listResponses
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.list(request.query)))

  app.post('/products/search', {
    config: browse(LIMITS.search),
    schema: {
      operationId: 'searchProductsWithBody',
      tags,
      summary: 'Full-text search with a JSON body (same fields as the querystring)',
      description: 'GET /products/search with its parameters in a JSON body, for clients that prefer POST; the same answer, ETag and 304.',
      body: ListQuerySchema,
      response: listResponses
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.list(request.body)))

  app.get('/products/popular', {
    config: browse(LIMITS.other),
    schema: {
      operationId: 'listPopularProducts',
      tags,
      summary: 'Most ordered products (shipped or delivered orders of the last 30 days)',
      description: 'Active products ranked by their order lines in shipped or delivered orders of the last `window_days` days, computed in the ' +
        'background and cached; strong ETag and 304 as for lists.',
      querystring: PopularQuerySchema,
      response: { 200: PopularListSchema, 304: NotModifiedSchema, ...errorResponses(400) }
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.popular(request.query.limit ?? DEFAULT_POPULAR_LIMIT)))

  // A static path: Fastify matches it before /products/:id whatever the order of declaration.
  app.get('/products/suggest', {
    config: browse(LIMITS.detail),
    schema: {
      operationId: 'suggestProducts',
      tags,
      summary: 'As-you-type suggestions: product names, brands and categories whose words start with the typed words',
      description: 'Answered from an in-process index that each instance loads at start and rebuilds after product writes, so no request reaches ' +
        'the database; `ready: false` with no suggestions until the first load. Cacheable for 30 s (`Cache-Control: public, max-age=30`).',
      querystring: SuggestQuerySchema,
      response: { 200: SuggestResponseSchema, ...errorResponses(400) }
    }
  }, (request, reply) => {
    const answer = catalog.suggest(request.query.q, request.query.limit)
    // Not ready yet (the index is loading): nothing worth keeping in a browser cache.
    reply.header('cache-control', answer.ready ? `public, max-age=${SUGGEST_MAX_AGE_S}` : 'no-store')
    reply.send(answer)
  })

  app.get('/products/:id', {
    config: browse(LIMITS.detail),
    schema: {
      operationId: 'getProduct',
      tags,
      summary: 'Product detail',
      description: 'The product with its category, rating, exact stock and seller. An unknown or deleted product is 404 CATALOG_PRODUCT_NOT_FOUND. ' +
        'Strong ETag with `Cache-Control: no-cache`; a matching If-None-Match gets 304.',
      params: IdParamsSchema,
      response: { 200: ProductDetailSchema, 304: NotModifiedSchema, ...errorResponses(400, 404) }
    }
  }, (request, reply) => sendCachedOrLater(request, reply, catalog.getProduct(request.params.id)))

  app.get('/products/by-slug/:slug', {
    config: browse(LIMITS.detail),
    schema: {
      operationId: 'getProductBySlug',
      tags,
      summary: 'Product detail by slug',
      description: 'GET /products/{id} looked up by the product\'s slug: the same body, ETag and 304.',
      params: SlugParamsSchema,
      response: { 200: ProductDetailSchema, 304: NotModifiedSchema, ...errorResponses(400, 404) }
    }
  }, (request, reply) => sendCachedOrLater(request, reply, catalog.getProductBySlug(request.params.slug)))

  app.get('/categories', {
    config: browse(LIMITS.other),
    schema: {
      operationId: 'getCategoryTree',
      tags,
      summary: 'Active categories as a tree, with product counts',
      description: 'Every active category, subcategories nested under `children`, each with the count of active products in its subtree. ' +
        'Strong ETag with `Cache-Control: no-cache`; a matching If-None-Match gets 304.',
      response: { 200: CategoryTreeSchema, 304: NotModifiedSchema }
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.categoryTree()))

  app.get('/categories/:id/products', {
    config: browse(LIMITS.other),
    schema: {
      operationId: 'listCategoryProducts',
      tags,
      summary: 'Products of a category and its subcategories (same filters as /products)',
      description: 'GET /products with `category_id` taken from the path: the same filters, sorts, paging, ETag and 304. ' +
        'An unknown or inactive category is 404 CATALOG_CATEGORY_NOT_FOUND.',
      params: IdParamsSchema,
      querystring: CategoryListQuerySchema,
      response: { ...listResponses, ...errorResponses(400, 404) }
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.categoryProducts(request.params.id, request.query)))

  const sellerOrAdmin = app.requireRole('seller', 'admin')

  app.post('/products', {
    onRequest: sellerOrAdmin,
    schema: {
      operationId: 'createProduct',
      tags,
      summary: 'Create a product (seller: owned by the caller; admin: any seller_id)',
      description: 'Answers 201 with the product and its `Location`. Sellers own what they create; `seller_id` for another user and `is_featured` are ' +
        'admin only (403). Money takes at most two decimals (400 CATALOG_INVALID_MONEY) and `sale_price` at most `price` (422); a taken SKU or ' +
        'slug is 409; an unknown or inactive category 422 CATALOG_INVALID_CATEGORY.',
      security,
      body: CreateProductBodySchema,
      response: { 201: ProductDetailSchema, ...errorResponses(400, 401, 403, 409, 422) }
    }
  }, async (request, reply) => {
    const created = await catalog.createProduct(request.user, request.body)
    reply.header('location', `${request.url.split('?')[0]}/${created.id}`)
    return sendBytes(reply, 201, created.body)
  })

  app.patch('/products/:id', {
    onRequest: sellerOrAdmin,
    schema: {
      operationId: 'updateProduct',
      tags,
      description: 'Changes only the fields sent, with the checks of POST /products. A seller\'s product of another seller is 403 ' +
        'CATALOG_PRODUCT_FORBIDDEN; `is_active: true` restores a deleted product. Cached pages showing the product are refreshed.',
      summary: 'Update a product (seller: own products only, else 403; admin: any)',
      security,
      params: IdParamsSchema,
      body: UpdateProductBodySchema,
      response: { 200: ProductDetailSchema, ...errorResponses(400, 401, 403, 404, 409, 422) }
    }
  }, async (request, reply) => {
    const updated = await catalog.updateProduct(request.user, request.params.id, request.body)
    return sendBytes(reply, 200, updated.body)
  })

  app.delete('/products/:id', {
    onRequest: sellerOrAdmin,
    schema: {
      operationId: 'deleteProduct',
      tags,
      description: 'Sets `is_active = false`: the product leaves lists, searches and details (404) and stays in past orders and reviews. ' +
        'Deleting a deleted product is 404.',
      summary: 'Soft-delete a product (is_active = false); same ownership rule as PATCH',
      security,
      params: IdParamsSchema,
      response: { 204: NoContentSchema, ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    await catalog.deleteProduct(request.user, request.params.id)
    return sendBytes(reply, 204)
  })
}
