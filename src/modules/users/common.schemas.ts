import { Type, type TSchema } from 'typebox'

/**
 * HTTP schemas shared by the account, cart, order and review modules: the
 * error body every 4xx carries and offset pagination. (They would sit well
 * in a shared src/lib file; they live here because this folder is ours.)
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

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100
/** Offset pages past this are refused: deep offsets scan and discard every earlier row. */
export const MAX_PAGE = 1000

export const PageQueryProperties = {
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
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
