import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { isInvalidText } from '../../lib/http/index.js'
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

interface CursorPayload { v: 2, f: string, p: number, k: SortKeyValue[], i: number, q?: string, x?: 1 }

const VERSION = 2
const MAX_ID = 2_147_483_647
const MAX_KEY_LENGTH = 300
const MAX_QUERY_LENGTH = 200
const MAX_CURSOR_LENGTH = 4096
const MAC_BYTES = 16
const PAYLOAD_FIELDS = new Set(['v', 'f', 'p', 'k', 'i', 'q', 'x'])
// Largest magnitude of the numeric sort keys (`real` rank tops out at ~3.4e38).
const MAX_NUMBER_KEY = 3.5e38
const NUMBER_SHAPE = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i
const TIMESTAMP_SHAPE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/
const BASE64URL = /^[A-Za-z0-9_-]+$/

// Cursors made before configureCursorSecret runs (none in the app, which configures it at boot)
// verify only in this process.
let macKey: Buffer = randomBytes(32)

/**
 * Sets the key cursors are signed with, derived from `secret` (JWT_SECRET): every instance
 * with the same secret accepts the others' cursors, and the derived key is never a JWT key.
 */
export function configureCursorSecret (secret: string): void {
  macKey = createHmac('sha256', secret).update('techmart:catalog-cursor:v2').digest()
}

function mac (text: string): Buffer {
  return createHmac('sha256', macKey).update(text).digest().subarray(0, MAC_BYTES)
}

/**
 * An opaque keyset cursor: base64url JSON of the last row's sort key and id, bound to a
 * fingerprint of the query (filters, sort, page size) and signed (HMAC-SHA256, field `s`),
 * so a client can neither change a key nor make one up: tampering is a 400, never a value
 * that reaches SQL.
 */
export function encodeCursor (fingerprint: string, position: CursorPosition): string {
  const payload: CursorPayload = { v: VERSION, f: fingerprint, p: position.page, k: position.key, i: position.id }
  if (position.q !== undefined) payload.q = position.q
  if (position.prefix === true) payload.x = 1
  const text = JSON.stringify(payload)
  return Buffer.from(JSON.stringify({ ...payload, s: mac(text).toString('base64url') })).toString('base64url')
}

const notOurs = () => new CatalogErrors.INVALID_CURSOR('not a cursor issued by this API')

/** The signed payload of a cursor, or a 400 when it was not made (unchanged) by this API. */
function verifiedPayload (raw: string): Record<string, unknown> {
  if (raw.length > MAX_CURSOR_LENGTH || !BASE64URL.test(raw)) throw notOurs()
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
  } catch {
    throw notOurs()
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw notOurs()
  const { s, ...payload } = parsed as Record<string, unknown>
  if (typeof s !== 'string' || !BASE64URL.test(s)) throw notOurs()
  const sent = Buffer.from(s, 'base64url')
  const expected = mac(JSON.stringify(payload))
  if (sent.length !== MAC_BYTES || !timingSafeEqual(sent, expected)) throw notOurs()
  if (payload.v !== VERSION || Object.keys(payload).some((k) => !PAYLOAD_FIELDS.has(k))) throw notOurs()
  return payload
}

/** Numbers and timestamps must be values a column can hold; text must be storable text. */
function possibleKey (v: unknown): boolean {
  if (typeof v === 'boolean') return true
  if (typeof v !== 'string' || v.length > MAX_KEY_LENGTH || isInvalidText(v)) return false
  if (NUMBER_SHAPE.test(v)) return Math.abs(Number(v)) <= MAX_NUMBER_KEY
  const t = TIMESTAMP_SHAPE.exec(v)
  if (t) {
    const [year, month, day, hour, minute, second] = t.slice(1, 7).map(Number)
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
    return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59
  }
  return true
}

/** Decodes and checks a cursor for this query; throws CATALOG_INVALID_CURSOR (400) otherwise. */
export function decodeCursor (raw: string, fingerprint: string, keyLength: number): CursorPosition {
  const payload = verifiedPayload(raw)
  if (payload.f !== fingerprint) throw new CatalogErrors.INVALID_CURSOR('it belongs to a different query, sort or page size')
  const { p, i, k, q, x } = payload
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 2 || p > MAX_ID) throw new CatalogErrors.INVALID_CURSOR('bad page')
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 1 || i > MAX_ID) throw new CatalogErrors.INVALID_CURSOR('bad position')
  if (!Array.isArray(k) || k.length !== keyLength || !k.every(possibleKey)) throw new CatalogErrors.INVALID_CURSOR('bad sort key')
  if (q !== undefined && (typeof q !== 'string' || q.length === 0 || q.length > MAX_QUERY_LENGTH || isInvalidText(q))) {
    throw new CatalogErrors.INVALID_CURSOR('bad query')
  }
  if (x !== undefined && x !== 1) throw new CatalogErrors.INVALID_CURSOR('bad prefix flag')
  const position: CursorPosition = { page: p, key: k as SortKeyValue[], id: i }
  if (q !== undefined) position.q = q
  if (x === 1) position.prefix = true
  return position
}
