import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseAllowList, VerifiedTokenCache } from '../../../../src/lib/rate-limit/client-identity.js'

test('parseAllowList: IPv4 and IPv6 addresses and CIDRs', () => {
  const list = parseAllowList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '172.16.0.0/12'])
  assert.equal(list.size, 5)
  for (const ip of ['10.0.0.1', '10.255.255.255', '192.168.1.7', '172.31.0.1', '2001:db8::1', '2001:db8:ffff:1::2', '::1']) {
    assert.equal(list.has(ip), true, ip)
  }
  for (const ip of ['11.0.0.1', '192.168.1.8', '172.32.0.1', '2001:db9::1', '::2', '127.0.0.1', 'not-an-ip', '']) {
    assert.equal(list.has(ip), false, ip)
  }
})

test('parseAllowList: /0 and /32 bounds, an empty list lets nobody through', () => {
  const all4 = parseAllowList(['0.0.0.0/0'])
  assert.equal(all4.has('8.8.8.8'), true)
  assert.equal(all4.has('2001:db8::1'), false, 'an IPv4 range says nothing about IPv6')
  const one = parseAllowList(['10.1.2.3/32', '2001:db8::5/128'])
  assert.equal(one.has('10.1.2.3'), true)
  assert.equal(one.has('10.1.2.4'), false)
  assert.equal(one.has('2001:db8::5'), true)
  assert.equal(one.has('2001:db8::6'), false)
  const none = parseAllowList([])
  assert.equal(none.size, 0)
  assert.equal(none.has('127.0.0.1'), false)
})

test('parseAllowList: a bad entry throws naming the entry and the setting', () => {
  for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/+8', '10.0.0.0/8/8', '10.0.0.256', '10.0.0', 'localhost', ' 10.0.0.1', '']) {
    assert.throws(() => parseAllowList(['10.0.0.1', bad]), (err: Error) => {
      assert.equal(err.message, `RATE_LIMIT_WHITELIST: '${bad}' is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)`)
      return true
    }, bad)
  }
  assert.throws(() => parseAllowList(['nope'], 'METRICS_ALLOW'), /^Error: METRICS_ALLOW: 'nope' is not/)
})

/** A `Bearer` header with a JWT-shaped token carrying `payload` (the cache reads `exp`, never verifies). */
function bearer (payload: Record<string, unknown>, sig = 'sig'): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `Bearer ${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.${sig}`
}

test('VerifiedTokenCache answers until the token\'s exp, then forgets it', () => {
  const cache = new VerifiedTokenCache(10)
  const header = bearer({ sub: '7', exp: 1000 })
  assert.equal(cache.get(header, 0), undefined)
  cache.set(header, 7)
  assert.equal(cache.get(header, 999_999), 7)
  assert.equal(cache.get(header, 1_000_000), undefined, 'expired at exp')
  assert.equal(cache.get(header, 0), undefined, 'and removed, not only hidden')
  assert.equal(cache.get(bearer({ sub: '7', exp: 1000 }, 'other'), 0), undefined, 'another signature is another header')
})

test('VerifiedTokenCache stores only tokens with a readable exp', () => {
  const cache = new VerifiedTokenCache(10)
  const noExp = bearer({ sub: '1' })
  const textExp = bearer({ sub: '1', exp: '2000' })
  cache.set(noExp, 1)
  cache.set(textExp, 1)
  cache.set('Bearer opaque-token', 1)
  cache.set('Bearer a.%%%.c', 1)
  for (const header of [noExp, textExp, 'Bearer opaque-token', 'Bearer a.%%%.c']) assert.equal(cache.get(header, 0), undefined, header)
})

test('VerifiedTokenCache is bounded: past maxEntries the oldest entry goes', () => {
  const cache = new VerifiedTokenCache(2)
  const [a, b, c] = [1, 2, 3].map((sub) => bearer({ sub: String(sub), exp: 10_000 }))
  cache.set(a, 1)
  cache.set(b, 2)
  cache.set(c, 3)
  assert.equal(cache.get(a, 0), undefined)
  assert.equal(cache.get(b, 0), 2)
  assert.equal(cache.get(c, 0), 3)
})

test('VerifiedTokenCache: storing a header it already holds evicts nothing', () => {
  const cache = new VerifiedTokenCache(2)
  const [a, b] = [1, 2].map((sub) => bearer({ sub: String(sub), exp: 10_000 }))
  cache.set(a, 1)
  cache.set(b, 2)
  cache.set(b, 2)
  assert.equal(cache.get(a, 0), 1)
  assert.equal(cache.get(b, 0), 2)
})
