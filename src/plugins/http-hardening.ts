import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify'
import compress from '@fastify/compress'
import cors from '@fastify/cors'
import { createRequire } from 'node:module'
import zlib from 'node:zlib'
import { AppErrors } from '../errors.js'
import { addVary, CompressedBodies, isCompressibleType, methodLookup, negotiateEncoding } from '../lib/http/index.js'

export interface CompressionOptions {
  /** Bodies smaller than this are sent as they are. @default 1024 */
  thresholdBytes: number
  /** Brotli quality; its default 11 costs milliseconds per response, 4 is the dynamic-content sweet spot. @default 4 */
  brotliQuality: number
  /** gzip level for clients without brotli. @default 6 */
  gzipLevel: number
}

export interface HttpHardeningOptions {
  /** Exact origins allowed to call the API from a browser; empty = no CORS headers (same-origin only). */
  corsOrigins: string[]
  securityHeaders: boolean
  /** `false` disables response compression. */
  compression: false | CompressionOptions
}

/** Headers a browser client may read: limits, retry hints, a 405's methods, timings and the request id for support. */
export const EXPOSED_HEADERS = [
  'RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-System-Load',
  'Retry-After', 'Allow', 'Server-Timing', 'X-Request-Id', 'traceparent'
]

const CORS_MAX_AGE_S = 600
// Compressed copies of cached bodies kept in memory, and the largest body kept (bigger ones stream).
const COMPRESSED_BODIES_MAX_BYTES = 16 * 1024 * 1024
const COMPRESSED_BODY_MAX_BYTES = 64 * 1024

/**
 * Brotli for dynamic JSON, measured on this API's bodies (a ~1 KB product, an
 * ~8 KB page of 20): quality 4 costs 26-55 µs per body where the default 11
 * costs milliseconds. A 256 KB window (lgwin 18) instead of the default 4 MB
 * compresses exactly as well at these sizes, and allocating the encoder for
 * each body, as every compression here does, costs a third less.
 */
const BROTLI_PARAMS = (quality: number) => ({
  [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
  [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
  [zlib.constants.BROTLI_PARAM_LGWIN]: 18
})

/**
 * Content-Security-Policy of the HTML pages (/docs, /dashboard): scripts,
 * styles, images and connections (fetch, SSE) from this origin only, no
 * inline scripts, no framing, no plugins.
 * Inline styles stay allowed: Swagger UI and uPlot set element styles.
 * `upgrade-insecure-requests` is left out: it would break the pages on a
 * plain-HTTP development or internal host.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"]
}

interface HeaderSink { setHeader: (name: string, value: string) => void, removeHeader: (name: string) => void }
type HelmetMiddleware = (req: unknown, res: HeaderSink, next: (err?: unknown) => void) => void
// helmet is the engine of @fastify/helmet; resolved through it so both always agree on the version.
const helmet = createRequire(createRequire(import.meta.url).resolve('@fastify/helmet'))('helmet') as (options: object) => HelmetMiddleware

type HeaderSet = Readonly<Record<string, string>>

/**
 * The security headers helmet sets for `options`, computed once. @fastify/helmet
 * rebuilds helmet's middleware (and re-parses the CSP) on every request: 5.9 %
 * of the server's CPU in the overhead benchmark's profile, for headers that
 * never change. Here helmet runs once at boot and each response gets the same
 * frozen set.
 */
export function securityHeaders (options: object): HeaderSet {
  const headers: Record<string, string> = {}
  helmet(options)({}, {
    setHeader: (name, value) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name) => { delete headers[name.toLowerCase()] }
  }, (err) => { if (err) throw err })
  return Object.freeze(headers)
}

/** Routes under these prefixes serve HTML pages (Swagger UI, the dashboard) and their assets. */
export const HTML_PAGE_PREFIXES = ['/docs', '/dashboard']

export interface SecurityHeaderSets {
  /** Every response: the JSON API set. */
  api: HeaderSet
  /** Added to `api` on HTTPS (directly or behind a trusted proxy): browsers ignore HSTS on plain HTTP. */
  tls: HeaderSet
  /** Added on top of `api` for HTML pages: helmet's full set, whose CSP replaces the API's. */
  page: HeaderSet
}

/**
 * The header sets, computed once at boot. JSON responses get the OWASP REST
 * Security Cheat Sheet's set ("Security Headers"): a CSP that allows nothing
 * and no framing, `X-Frame-Options` for browsers without frame-ancestors,
 * nosniff, `Referrer-Policy: no-referrer`, `Cache-Control: no-store` unless
 * the route sets its own (the catalog's revalidated `no-cache` + ETag), and
 * HSTS over HTTPS; plus CORP, so a page of another origin cannot embed a
 * response (`cross-origin` when CORS allows origins to read the API). Headers
 * that only act on documents (COOP, Origin-Agent-Cluster, the X-DNS-Prefetch,
 * X-Download-Options, X-Permitted-Cross-Domain-Policies and X-XSS-Protection
 * headers) are left to the pages: ~520 fewer bytes on every API response.
 */
export function securityHeaderSets (corsOrigins: string[]): SecurityHeaderSets {
  const corp = corsOrigins.length > 0 ? 'cross-origin' : 'same-origin'
  const { 'strict-transport-security': hsts, ...page } = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    crossOriginResourcePolicy: { policy: corp },
    strictTransportSecurity: { maxAge: 180 * 24 * 3600, includeSubDomains: true },
    // Same as the CSP's frame-ancestors 'none', for browsers that only know the old header.
    xFrameOptions: { action: 'deny' }
  })
  return {
    api: Object.freeze({
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'cross-origin-resource-policy': corp,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY'
    }),
    tls: Object.freeze({ 'strict-transport-security': hsts }),
    page: Object.freeze(page)
  }
}

/**
 * Every response gets the API set (a 404 or an error included); routes of
 * HTML pages add the page set after it, decided per route at boot. Pages keep
 * the API's `no-store` unless they set their own (the dashboard's files do).
 */
function addSecurityHeaders (app: FastifyInstance, corsOrigins: string[]): void {
  const sets = securityHeaderSets(corsOrigins)
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(sets.api)
    if (request.protocol === 'https') reply.headers(sets.tls)
    done()
  })
  const pageHeaders: onRequestHookHandler = (_request, reply, done) => {
    reply.headers(sets.page)
    done()
  }
  app.addHook('onRoute', (route) => {
    if (!HTML_PAGE_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`))) return
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...own, pageHeaders]
  })
}

/**
 * `Vary: Accept-Encoding` on every response of a compressible type, whether
 * or not this one was compressed (no or `identity` Accept-Encoding, a body
 * under the threshold): a shared cache keyed without it would hand a stored
 * brotli body to a client that cannot read it, or a plain one to every
 * client. A 304 carries it too: it must repeat the `Vary` of the 200 it
 * confirms (RFC 9110 15.4.5), and has no body or type of its own (a missing
 * type counts as JSON, as @fastify/compress treats it). Merged with what is
 * there (`Origin` from CORS), never repeated.
 *
 * Then cached bodies (the catalog marks them with `request.timings.cacheStatus`)
 * are compressed once per content and encoding, not once per request; every
 * other body goes through @fastify/compress, whose hook runs after this one
 * and leaves an already encoded body alone.
 */
function varyAndCompressCachedBodies (app: FastifyInstance, c: CompressionOptions): void {
  const brOptions = { params: BROTLI_PARAMS(c.brotliQuality) }
  const gzipOptions = { level: c.gzipLevel }
  const bodies = new CompressedBodies(COMPRESSED_BODIES_MAX_BYTES, {
    br: (body) => zlib.brotliCompressSync(body, brOptions),
    gzip: (body) => zlib.gzipSync(body, gzipOptions)
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    const type = reply.getHeader('content-type')
    if ((payload != null || reply.statusCode === 304) && isCompressibleType(typeof type === 'string' ? type : 'application/json')) {
      reply.header('vary', addVary(reply.getHeader('vary'), 'accept-encoding'))
    }
    const status = request.timings?.cacheStatus
    const accepted = request.headers['accept-encoding']
    if (typeof payload !== 'string' || accepted === undefined || status === undefined || status === 'bypass') return done(null, payload)
    const size = Buffer.byteLength(payload)
    if (size < c.thresholdBytes || size > COMPRESSED_BODY_MAX_BYTES || typeof type !== 'string' || !type.startsWith('application/json') ||
      reply.hasHeader('content-encoding') || request.headers['x-no-compression'] !== undefined) return done(null, payload)
    const encoding = negotiateEncoding(accepted)
    if (encoding === undefined) return done(null, payload)
    reply.header('content-encoding', encoding)
    done(null, bodies.get(payload, encoding))
  })
}

/**
 * OPTIONS, answered from the route table in an onRequest hook, before load
 * shedding and rate limiting (neither the route's limit nor the not-found
 * limit is spent; it reveals only which paths exist, as /openapi.json does):
 * - a CORS preflight (`Origin` and `Access-Control-Request-Method`) from an
 *   allowed origin goes on to @fastify/cors, which answers 204 with the CORS
 *   headers; from any other origin, or from every origin when `CORS_ORIGINS` is
 *   empty, 403 `APP_CORS_ORIGIN_FORBIDDEN` without CORS headers. A refused
 *   preflight fails in the browser whatever its status; the Fetch standard
 *   (3.2.3, HTTP responses) names 403 without the CORS headers as the way to
 *   say so explicitly, and a 403 also tells a developer reading the network
 *   panel that the origin, not the path, is the problem.
 * - any other OPTIONS on a path with routes: 204 with `Allow` (RFC 9110 9.3.7);
 *   on an unknown path 404 `APP_ROUTE_NOT_FOUND`, as for any other method.
 * A route that declares OPTIONS itself answers its own.
 */
function answerOptions (app: FastifyInstance, corsOrigins: string[]): void {
  const allowedOrigins = new Set(corsOrigins)
  const methodsOf = methodLookup(app)
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'OPTIONS') return done()
    // @fastify/cors adds a catch-all `OPTIONS *` route; any other OPTIONS route is the app's own.
    if (!request.is404 && request.routeOptions.url !== '*') return done()
    const origin = request.headers.origin
    if (origin !== undefined && request.headers['access-control-request-method'] !== undefined) {
      return allowedOrigins.has(origin) ? done() : done(new AppErrors.CORS_ORIGIN_FORBIDDEN())
    }
    const allowed = methodsOf(request.url)
    if (allowed.length === 0) return done(new AppErrors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]))
    reply.code(204).header('allow', allowed.join(', ')).send()
  })
}

/**
 * Browser-facing HTTP hardening: CORS from an allowlist, OPTIONS from the
 * route table, security headers (the OWASP REST set on the API, helmet's full
 * set on the pages) and response compression (br, gzip) above a size
 * threshold, with `Vary: Accept-Encoding` on every compressible response.
 * Each optional part is registered only when enabled, so a disabled part
 * costs nothing per request.
 */
const httpHardeningPlugin: FastifyPluginAsync<HttpHardeningOptions> = async (app, opts) => {
  if (opts.compression) {
    const c = opts.compression
    varyAndCompressCachedBodies(app, c)
    await app.register(compress, {
      global: true,
      encodings: ['br', 'gzip'],
      threshold: c.thresholdBytes,
      brotliOptions: { params: BROTLI_PARAMS(c.brotliQuality) },
      zlibOptions: { level: c.gzipLevel },
      // The same type test as the Vary above, so a compressed response always carries it.
      customTypes: isCompressibleType,
      // Compressed request bodies are not part of the API: accepting them would only add a decompression-bomb surface.
      globalDecompression: false
    })
  }

  if (opts.securityHeaders) addSecurityHeaders(app, opts.corsOrigins)

  // Before @fastify/cors's hook, which then only sees preflights from allowed origins.
  answerOptions(app, opts.corsOrigins)

  if (opts.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: opts.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: CORS_MAX_AGE_S,
      strictPreflight: true
    })
  }
}

export default fp(httpHardeningPlugin, { name: 'http-hardening', fastify: '5.x' })
