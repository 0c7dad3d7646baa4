import { CatalogErrors } from './catalog.errors.js'

/** One sort key value as the database gave it (text for numerics and timestamps, so nothing is rounded). */
export type SortKeyValue = string | boolean

/** Where the next page starts: after the row with these sort key values and id. */
export interface CursorPosition {
  /** The page number the cursor leads to (for the response's `page`). */
  page: number
  key: SortKeyValue[]
  id: number
  /** The query actually run when it differs from `q` (spelling correction), so later pages run it too. */
  q?: string
  /** The first page matched the last word as a prefix; later pages must too. */
  prefix?: boolean
}

interface CursorPayload { v: 1, f: string, p: number, k: SortKeyValue[], i: number, q?: string, x?: 1 }

const MAX_ID = 2_147_483_647
const MAX_KEY_LENGTH = 300
const MAX_QUERY_LENGTH = 200

/**
 * An opaque keyset cursor: base64url of the last row's sort key and id,
 * bound to a fingerprint of the query (filters, sort, page size) so a cursor
 * is never applied to a different query. Not signed: every value is checked
 * and bound as a parameter, so a forged cursor can only skip ahead.
 */
export function encodeCursor (fingerprint: string, position: CursorPosition): string {
  const payload: CursorPayload = { v: 1, f: fingerprint, p: position.page, k: position.key, i: position.id }
  if (position.q !== undefined) payload.q = position.q
  if (position.prefix === true) payload.x = 1
  return Buffer.from(JSON.stringify(payload)).toString('base64url')
}

/** Decodes and checks a cursor for this query; throws CATALOG_INVALID_CURSOR (400) otherwise. */
export function decodeCursor (raw: string, fingerprint: string, keyLength: number): CursorPosition {
  let payload: CursorPayload
  try {
    payload = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as CursorPayload
  } catch {
    throw new CatalogErrors.INVALID_CURSOR('not a cursor issued by this API')
  }
  if (payload === null || typeof payload !== 'object' || payload.v !== 1) throw new CatalogErrors.INVALID_CURSOR('not a cursor issued by this API')
  if (payload.f !== fingerprint) throw new CatalogErrors.INVALID_CURSOR('it belongs to a different query, sort or page size')
  const { p, i, k, q, x } = payload
  if (!Number.isInteger(p) || p < 2 || p > MAX_ID) throw new CatalogErrors.INVALID_CURSOR('bad page')
  if (!Number.isInteger(i) || i < 1 || i > MAX_ID) throw new CatalogErrors.INVALID_CURSOR('bad position')
  const wellFormed = Array.isArray(k) && k.length === keyLength &&
    k.every((v) => typeof v === 'boolean' || (typeof v === 'string' && v.length <= MAX_KEY_LENGTH))
  if (!wellFormed) throw new CatalogErrors.INVALID_CURSOR('bad sort key')
  if (q !== undefined && (typeof q !== 'string' || q.length === 0 || q.length > MAX_QUERY_LENGTH)) throw new CatalogErrors.INVALID_CURSOR('bad query')
  const position: CursorPosition = { page: p, key: k, id: i }
  if (q !== undefined) position.q = q
  if (x === 1) position.prefix = true
  return position
}
