import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RouteRateLimit } from '../../lib/route-config.js'
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

// The spec's per-client limits per 60 s. Product by slug is the same read as by id, so it gets the detail limit.
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
    schema: { tags: ['catalog'], summary: 'List products with filters, sorting, offset or cursor paging', querystring: ListQuerySchema, response: listResponses }
  }, async (request, reply) => sendCached(request, reply, await catalog.list(request.query)))

  app.get('/products/search', {
    config: browse(LIMITS.search),
    schema: { tags: ['catalog'], summary: 'Full-text search (typo tolerant) with the list filters', querystring: ListQuerySchema, response: listResponses }
  }, async (request, reply) => sendCached(request, reply, await catalog.list(request.query)))

  app.post('/products/search', {
    config: browse(LIMITS.search),
    schema: { tags: ['catalog'], summary: 'Full-text search with a JSON body (same fields as the querystring)', body: ListQuerySchema, response: listResponses }
  }, async (request, reply) => sendCached(request, reply, await catalog.list(request.body)))

  app.get('/products/popular', {
    config: browse(LIMITS.other),
    schema: {
      tags: ['catalog'],
      summary: 'Most ordered products (shipped or delivered orders of the last 30 days)',
      querystring: PopularQuerySchema,
      response: { 200: PopularListSchema, 304: NotModifiedSchema, ...errorResponses(400) }
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.popular(request.query.limit ?? DEFAULT_POPULAR_LIMIT)))

  // A static path: Fastify matches it before /products/:id whatever the order of declaration.
  app.get('/products/suggest', {
    config: browse(LIMITS.detail),
    schema: {
      tags: ['catalog'],
      summary: 'As-you-type suggestions: product names, brands and categories whose words start with the typed words',
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
    schema: { tags: ['catalog'], summary: 'Product detail', params: IdParamsSchema, response: { 200: ProductDetailSchema, 304: NotModifiedSchema, ...errorResponses(400, 404) } }
  }, (request, reply) => sendCachedOrLater(request, reply, catalog.getProduct(request.params.id)))

  app.get('/products/by-slug/:slug', {
    config: browse(LIMITS.detail),
    schema: { tags: ['catalog'], summary: 'Product detail by slug', params: SlugParamsSchema, response: { 200: ProductDetailSchema, 304: NotModifiedSchema, ...errorResponses(400, 404) } }
  }, (request, reply) => sendCachedOrLater(request, reply, catalog.getProductBySlug(request.params.slug)))

  app.get('/categories', {
    config: browse(LIMITS.other),
    schema: { tags: ['catalog'], summary: 'Active categories as a tree, with product counts', response: { 200: CategoryTreeSchema, 304: NotModifiedSchema } }
  }, async (request, reply) => sendCached(request, reply, await catalog.categoryTree()))

  app.get('/categories/:id/products', {
    config: browse(LIMITS.other),
    schema: {
      tags: ['catalog'],
      summary: 'Products of a category and its subcategories (same filters as /products)',
      params: IdParamsSchema,
      querystring: CategoryListQuerySchema,
      response: { ...listResponses, ...errorResponses(400, 404) }
    }
  }, async (request, reply) => sendCached(request, reply, await catalog.categoryProducts(request.params.id, request.query)))

  const sellerOrAdmin = app.requireRole('seller', 'admin')

  app.post('/products', {
    onRequest: sellerOrAdmin,
    schema: {
      tags: ['catalog'],
      summary: 'Create a product (seller: owned by the caller; admin: any seller_id)',
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
      tags: ['catalog'],
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
      tags: ['catalog'],
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
