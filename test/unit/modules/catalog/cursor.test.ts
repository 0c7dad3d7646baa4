import { test } from 'node:test'
import assert from 'node:assert/strict'
import { configureCursorSecret, decodeCursor, encodeCursor, type CursorPosition } from '../../../../src/modules/catalog/catalog.cursor.js'

configureCursorSecret('unit-test-secret-of-at-least-32-bytes!')

const FP = 'category=3|sort=price_asc|limit=20'

/** Expects decodeCursor to refuse with CATALOG_INVALID_CURSOR (400) and this reason. */
function refused (fn: () => unknown, reason: string): void {
  assert.throws(fn, (err: { code?: string, statusCode?: number, message?: string }) => {
    assert.equal(err.code, 'CATALOG_INVALID_CURSOR')
    assert.equal(err.statusCode, 400)
    assert.equal(err.message, `Invalid cursor: ${reason}`)
    return true
  })
}

/** The cursor's JSON, edited, re-encoded with its signature unchanged. */
function edited (cursor: string, edit: (payload: Record<string, unknown>) => void): string {
  const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>
  edit(payload)
  return Buffer.from(JSON.stringify(payload)).toString('base64url')
}

test('encode then decode gives back the position, with the optional query and prefix flag', () => {
  const full: CursorPosition = { page: 3, key: ['19.99', '2024-02-29 23:59:59.123456+00', true], id: 42, q: 'laptop bag', prefix: true }
  const cursor = encodeCursor(FP, full)
  assert.match(cursor, /^[A-Za-z0-9_-]+$/, 'base64url, safe in a query string')
  assert.deepEqual(decodeCursor(cursor, FP, 3), full)
  const plain: CursorPosition = { page: 2, key: ['Zebra'], id: 1 }
  const decoded = decodeCursor(encodeCursor(FP, plain), FP, 1)
  assert.deepEqual(decoded, plain)
  assert.equal('q' in decoded || 'prefix' in decoded, false)
  assert.deepEqual(decodeCursor(encodeCursor(FP, { ...plain, prefix: false }), FP, 1), plain)
})

test('a cursor of another query, sort or page size is refused', () => {
  const cursor = encodeCursor(FP, { page: 2, key: ['1'], id: 5 })
  refused(() => decodeCursor(cursor, FP.replace('limit=20', 'limit=50'), 1), 'it belongs to a different query, sort or page size')
})

test('a changed, truncated or made-up cursor is refused as not ours', () => {
  const cursor = encodeCursor(FP, { page: 2, key: ['10.00'], id: 5 })
  const notOurs = 'not a cursor issued by this API'
  refused(() => decodeCursor(edited(cursor, (p) => { p.i = 6 }), FP, 1), notOurs)
  refused(() => decodeCursor(edited(cursor, (p) => { p.k = ['0'] }), FP, 1), notOurs)
  refused(() => decodeCursor(edited(cursor, (p) => { p.f = 'other' }), 'other', 1), notOurs)
  refused(() => decodeCursor(edited(cursor, (p) => { delete p.s }), FP, 1), notOurs)
  refused(() => decodeCursor(edited(cursor, (p) => { p.s = 'AAAA' }), FP, 1), notOurs)
  refused(() => decodeCursor(cursor.slice(0, -4), FP, 1), notOurs)
  refused(() => decodeCursor('', FP, 1), notOurs)
  refused(() => decodeCursor('abc+def/', FP, 1), notOurs)
  refused(() => decodeCursor(Buffer.from('[1,2]').toString('base64url'), FP, 1), notOurs)
  refused(() => decodeCursor(Buffer.from('null').toString('base64url'), FP, 1), notOurs)
  refused(() => decodeCursor('A'.repeat(4097), FP, 1), notOurs)
})

test('a cursor signed with another secret is refused; every instance with the same secret accepts it', () => {
  configureCursorSecret('first-secret-first-secret-first-secret')
  const cursor = encodeCursor(FP, { page: 2, key: ['1'], id: 5 })
  configureCursorSecret('second-secret-second-secret-second-secret')
  refused(() => decodeCursor(cursor, FP, 1), 'not a cursor issued by this API')
  configureCursorSecret('first-secret-first-secret-first-secret')
  assert.equal(decodeCursor(cursor, FP, 1).id, 5)
})

test('a signed cursor whose values no column can hold is refused with the reason', () => {
  const at = (position: Partial<CursorPosition>, keyLength = 1) =>
    () => decodeCursor(encodeCursor(FP, { page: 2, key: ['1'], id: 5, ...position }), FP, keyLength)
  refused(at({ page: 1 }), 'bad page')
  refused(at({ page: 2.5 }), 'bad page')
  refused(at({ page: 2_147_483_648 }), 'bad page')
  refused(at({ id: 0 }), 'bad position')
  refused(at({ id: 2_147_483_648 }), 'bad position')
  refused(at({}, 2), 'bad sort key')
  refused(at({ key: ['2024-02-30 00:00:00'] }), 'bad sort key')
  refused(at({ key: ['2024-01-01 24:00:00'] }), 'bad sort key')
  refused(at({ key: ['1e39'] }), 'bad sort key')
  refused(at({ key: ['a\u0000b'] }), 'bad sort key')
  refused(at({ key: ['x'.repeat(301)] }), 'bad sort key')
  refused(at({ q: '' }), 'bad query')
  refused(at({ q: 'q'.repeat(201) }), 'bad query')
  assert.deepEqual(at({ key: ['3.4e38'] })().key, ['3.4e38'])
  assert.deepEqual(at({ key: ['x'.repeat(300)] })().key, ['x'.repeat(300)])
  assert.deepEqual(at({ key: ['2024-02-29 00:00:00Z'] })().key, ['2024-02-29 00:00:00Z'])
})
