import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { AppErrors, withDetails } from '../../errors.js'

/**
 * HTTP pieces shared by every module: the error body each 4xx/5xx carries,
 * offset pagination, and the money and time formats of responses.
 */

/** The one error body (src/errors.ts `ErrorBody`). */
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Array(Type.Object({ field: Type.Optional(Type.String()), message: Type.String() }, { additionalProperties: true })))
})

/** `{ 400: ErrorSchema, 401: ErrorSchema, ... }` for a route's response map. */
export function errorResponses (...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]))
}

/**
 * Options and handler of a collection's former trailing-slash path (`/cart/`, `/orders/`), declared
 * with `url: '/'` in a prefixed plugin whose own route takes `prefixTrailingSlash: 'no-slash'`: a 308
 * to the path without the slash (query string kept; a 308 keeps the method and body, so a POST is
 * sent again as it was), left out of the OpenAPI document.
 */
export const trailingSlashRedirect = {
  prefixTrailingSlash: 'slash',
  schema: { hide: true },
  handler: (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const query = request.url.indexOf('?')
    const path = query === -1 ? request.url : request.url.slice(0, query)
    return reply.redirect(path.replace(/\/+$/, '') + (query === -1 ? '' : request.url.slice(query)), 308)
  }
} as const satisfies RouteShorthandOptions & { handler: unknown }

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100
/** Offset pages past this are refused: deep offsets scan and discard every earlier row. */
export const MAX_PAGE = 1000

export const PageQueryProperties = {
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: 'Page number, from 1' }),
  page_size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Items per page' })
}

export const PaginationSchema = Type.Object({
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_count: Type.Integer(),
  total_pages: Type.Integer()
})

export function pagination (page: number, pageSize: number, totalCount: number) {
  return { page, page_size: pageSize, total_count: totalCount, total_pages: Math.ceil(totalCount / pageSize) }
}

/** Decimal strings from PostgreSQL `numeric` as JSON numbers; no arithmetic happens on them here. */
export function money (value: string): number {
  return Number(value)
}

/** A timestamp as an ISO 8601 string whether it arrives as a Date or as PostgreSQL text. */
export function isoTime (value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString()
}

export function isoTimeOrNull (value: Date | string | null): string | null {
  return value === null ? null : isoTime(value)
}

function nonFiniteField (value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path
  if (depth === 0 || value === null || typeof value !== 'object') return undefined
  for (const [k, v] of Object.entries(value)) {
    const found = nonFiniteField(v, `${path}.${k}`, depth - 1)
    if (found) return found
  }
  return undefined
}

/**
 * preHandler: refuses numbers that only schema coercion can produce, ±Infinity.
 * Ajv (8.20, `coerceTypes`) turns "1e999" or a 400-digit string into Infinity
 * and then skips `maximum` for non-finite values, so without this a huge
 * number would reach PostgreSQL and come back as a 500.
 */
export async function rejectNonFiniteNumbers (request: FastifyRequest): Promise<void> {
  const field = nonFiniteField(request.params, 'params', 1) ?? nonFiniteField(request.query, 'querystring', 1) ?? nonFiniteField(request.body, 'body', 4)
  if (field) throw withDetails(new AppErrors.VALIDATION(`${field}: must be a finite number`), [{ field, message: 'must be a finite number' }])
}

// Deeper than any body the routes accept (their schemas nest a few levels): past it, nothing is scanned.
const TEXT_SCAN_DEPTH = 32
const INVALID_TEXT_MESSAGE = 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates'

// With the `u` flag a paired surrogate is one code point, so \p{Cs} matches unpaired ones only.
const LONE_SURROGATE = /\p{Cs}/u

/** True for text PostgreSQL cannot store (NUL) or that is not Unicode (a lone surrogate, e.g. JSON "\ud800"). */
export function isInvalidText (s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s)
}

/** The keys leading to the first invalid string (or key) in `value`; the path is built only when one is found. */
function invalidTextPath (value: unknown, depth: number): string[] | undefined {
  if (typeof value === 'string') return isInvalidText(value) ? [] : undefined
  if (depth === 0 || value === null || typeof value !== 'object') return undefined
  for (const key in value) {
    if (isInvalidText(key)) return [key]
    const found = invalidTextPath((value as Record<string, unknown>)[key], depth - 1)
    if (found) return [key, ...found]
  }
  return undefined
}

function invalidTextField (value: unknown, part: string, depth: number): string | undefined {
  const path = invalidTextPath(value, depth)
  return path && [part, ...path].join('.')
}

/**
 * preValidation, on every route: any string in the params, querystring or body (keys
 * included) that holds NUL or an unpaired surrogate is a 400 naming the field, before the
 * schema or any handler sees it. PostgreSQL refuses NUL in text and jsonb, so without
 * this such input reached the database and came back as a 500.
 */
export function rejectInvalidText (request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void {
  const field = invalidTextField(request.params, 'params', 1) ??
    invalidTextField(request.query, 'querystring', 2) ??
    invalidTextField(request.body, 'body', TEXT_SCAN_DEPTH)
  if (field === undefined) return done()
  done(withDetails(new AppErrors.VALIDATION(`${field}: ${INVALID_TEXT_MESSAGE}`), [{ field, message: INVALID_TEXT_MESSAGE }]))
}
