import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { negotiateEncoding, type Encoding } from '../lib/http/index.js'

export interface OpenapiPluginOptions {
  /** `info.version` of the document (the package version). */
  version: string
  /** `false` serves the document uncompressed only (COMPRESSION_ENABLED=false). @default true */
  compress?: boolean
}

/**
 * OpenAPI 3.1: its Schema Object is JSON Schema 2020-12, which keeps the route
 * schemas as Ajv validates them (numeric `exclusiveMinimum`, `const`, `null`
 * types); OpenAPI 3.0 would need each of those rewritten or dropped.
 */
export const OPENAPI_VERSION = '3.1.0'
/** Where the document is served; Swagger UI's own `/docs/json` serves the same bytes. */
export const OPENAPI_PATH = '/openapi.json'
/** The document changes only with a deploy: caches reuse it this long, then revalidate with its ETag. */
export const OPENAPI_MAX_AGE_S = 300

/** Every tag an operation uses, declared with its description (the document lists them in this order). */
export const OPENAPI_TAGS = [
  { name: 'auth', description: 'Registration, login and logout. Login and registration answer a JWT access token, sent as `Authorization: Bearer <token>`.' },
  { name: 'users', description: 'The caller\'s own profile; there is no user id in the paths.' },
  { name: 'catalog', description: 'Products, categories, search and suggestions. Reads are public and cached (strong ETag, 304 on `If-None-Match`); writes need a seller or admin token.' },
  { name: 'reviews', description: 'Product reviews: a public list and one review per user and product.' },
  { name: 'cart', description: 'The caller\'s own cart, priced live; every write answers the whole cart.' },
  { name: 'orders', description: 'Orders placed from the cart (with `Idempotency-Key`), their lifecycle and the sellers\' fulfilment of their own lines.' },
  { name: 'monitoring', description: 'Admin only: business and performance metrics, alerts and silences, CPU profiles, slow queries, the live event stream and Prometheus metrics.' },
  { name: 'health', description: 'Liveness and readiness probes for orchestrators and load balancers; no authentication, rate limit or load shedding.' }
]

/**
 * Operation fields for the routes that infrastructure plugins declare (their
 * files own the behaviour, this one the document): the route's own schema
 * wins over these wherever it sets a field.
 */
const INFRASTRUCTURE_OPERATIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'GET /health/live': {
    operationId: 'getLiveness',
    summary: 'Liveness: the process answers',
    description: 'Always 200 `{ "status": "ok" }` while the process serves requests; no backend is checked, so a database outage never restarts the process.'
  },
  'GET /health/ready': {
    operationId: 'getReadiness',
    summary: 'Readiness: whether PostgreSQL and Redis answer',
    description: '200 `ready` when both answer, 200 `degraded` when only Redis is down (the API keeps serving), 503 `unavailable` when PostgreSQL does not answer. ' +
      'Each check says whether its backend is external or embedded and how long it took.'
  },
  'GET /metrics': {
    operationId: 'getPrometheusMetrics',
    description: 'The Prometheus text exposition of the process, HTTP, database, cache and business metrics. ' +
      'Scrapers send `METRICS_TOKEN` as a bearer token; an admin access token works too.'
  }
}

const brotli = promisify(zlib.brotliCompress)
const gzip = promisify(zlib.gzip)
// Compressed once per process, off the event loop: the smallest output is worth the one-time cost.
const COMPRESS: Record<Encoding, (body: Buffer) => Promise<Buffer>> = {
  br: (body) => brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY } }),
  gzip: (body) => gzip(body, { level: zlib.constants.Z_BEST_COMPRESSION })
}

interface Representation { body: Buffer, etag: string, encoding?: Encoding }

/** True when `If-None-Match` (a list, possibly weak tags, or `*`) names `etag` (weak comparison, RFC 9110 13.1.2). */
function noneMatch (header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((t) => {
    const tag = t.trim()
    return tag === '*' || tag.replace(/^W\//, '') === etag
  })
}

const swaggerTransform: NonNullable<FastifyDynamicSwaggerOptions['transform']> = ({ schema, url, route }) => {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  const extra = INFRASTRUCTURE_OPERATIONS[`${methods[0]} ${url}`]
  return { schema: extra ? { ...extra, ...schema } : schema, url }
}

/**
 * The OpenAPI document of every route, served at `/openapi.json` (and at `/docs/json` for
 * Swagger UI at `/docs`). It is serialized once, on the first request after `ready`, and
 * each encoding (identity, br, gzip) compressed once; every answer carries a strong ETag
 * per encoding and `Cache-Control`, and a matching `If-None-Match` gets a 304.
 */
const openapiPlugin: FastifyPluginAsync<OpenapiPluginOptions> = async (app, opts) => {
  const compress = opts.compress ?? true
  await app.register(swagger, {
    openapi: {
      openapi: OPENAPI_VERSION,
      info: {
        title: 'TechMart API',
        version: opts.version,
        description: 'E-commerce backend API: catalog, search, cart, orders, reviews, users and monitoring. ' +
          'Every error answers `{ statusCode, code, error, message, details? }` with a stable SCREAMING_SNAKE `code`.',
        contact: { name: 'TechMart API team' },
        license: { name: 'Proprietary' }
      },
      servers: [{ url: '/', description: 'The server this document is served from' }],
      tags: OPENAPI_TAGS,
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/v1/auth/login or /auth/register' } } }
    },
    transform: swaggerTransform
  })

  let serialized: { json: Buffer, hash: string } | undefined
  const representations = new Map<Encoding | 'identity', Promise<Representation>>()

  function representation (encoding: Encoding | undefined): Promise<Representation> {
    const key = encoding ?? 'identity'
    let pending = representations.get(key)
    if (pending === undefined) {
      serialized ??= serialize(app.swagger())
      const { json, hash } = serialized
      pending = encoding === undefined
        ? Promise.resolve({ body: json, etag: `"${hash}"` })
        : COMPRESS[encoding](json).then((body) => ({ body, etag: `"${hash}-${encoding}"`, encoding }))
      // A failed compression is retried by the next request instead of being kept.
      pending.catch(() => representations.delete(key))
      representations.set(key, pending)
    }
    return pending
  }

  async function serveDocument (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const encoding = compress && request.headers['x-no-compression'] === undefined ? negotiateEncoding(request.headers['accept-encoding']) : undefined
    const { body, etag, encoding: sent } = await representation(encoding)
    reply.header('etag', etag).header('cache-control', `public, max-age=${OPENAPI_MAX_AGE_S}`)
    if (compress) reply.header('vary', 'accept-encoding')
    if (noneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send()
    if (sent !== undefined) reply.header('content-encoding', sent)
    return reply.type('application/json; charset=utf-8').send(body)
  }

  // Swagger UI loads `./json`: the same cached bytes instead of a fresh serialization per call.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url === '/docs/json' && (route.method === 'GET' || route.method === 'HEAD')) route.handler = serveDocument
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } })
  app.get(OPENAPI_PATH, { schema: { hide: true }, config: { rateLimit: false } }, serveDocument)
}

function serialize (document: unknown): { json: Buffer, hash: string } {
  const json = Buffer.from(JSON.stringify(document))
  return { json, hash: createHash('sha256').update(json).digest('base64url') }
}

export default fp(openapiPlugin, { name: 'openapi' })
