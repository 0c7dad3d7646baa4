import { test, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import { eventually } from '../../support/eventually.js'

let keySeq = 0
const uniqueKey = () => `wt${process.pid}-${++keySeq}`

/** A loader that counts its calls and answers `body`. */
function counter (body: string) {
  const state = { calls: 0, load: async () => { state.calls++; return { body } } }
  return state
}

beforeEach(async () => {
  const app = await buildTestApp(undefined)
  await flushRedisPrefix(app)
  await app.close()
})

test('a committed write stores its answer: the next read here is an L1 hit, on another instance an L2 hit, neither loads', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t)
  const key = uniqueKey()
  const tag = `u:${key}`
  const old = counter('{"v":"old"}')
  await a.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: old.load })
  await b.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: old.load })

  const mark = a.cache.beginWrite([tag])
  assert.equal(await a.cache.invalidateAndStore(mark, { type: 'user_cart', key, body: '{"v":"new"}', tags: [tag] }), true)

  const loader = counter('{"v":"loaded"}')
  const here = await a.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: loader.load })
  assert.deepEqual([here.body, here.status], ['{"v":"new"}', 'hit'])
  // b drops its L1 entry when the bump reaches it, then finds the written entry in L2.
  await eventually(async () => (await b.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: loader.load })).body === '{"v":"new"}', 'b reads the written entry')
  assert.equal(loader.calls, 0)
  assert.ok(b.cache.stats().user_cart.l2Hits >= 1)
})

test('a bump of the same tag by another instance between the read of the rows and the store: nothing is stored, the next read loads', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t)
  const key = uniqueKey()
  const tag = `u:${key}`
  const mark = a.cache.beginWrite([tag])
  // Another write committed after ours read the rows, and bumped first (a does not know yet: Redis does).
  await b.cache.invalidate([tag])
  assert.equal(await a.cache.invalidateAndStore(mark, { type: 'user_cart', key, body: '{"v":"maybe old"}', tags: [tag] }), false)
  const loader = counter('{"v":"current"}')
  const read = await a.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: loader.load })
  assert.deepEqual([read.body, read.status, loader.calls], ['{"v":"current"}', 'miss', 1])
})

test('a change of another tag of the entry since the mark (a product it shows) refuses the store', async (t) => {
  const app = await buildTestApp(t)
  const key = uniqueKey()
  const own = `u:${key}`
  const product = `p:${key}`
  const mark = app.cache.beginWrite([own])
  await app.cache.invalidate([product])
  assert.equal(await app.cache.invalidateAndStore(mark, { type: 'user_cart', key, body: '{"price":1}', tags: [own, product] }), false)

  // Without such a change the same write-through stores, with both tags.
  const next = app.cache.beginWrite([own])
  assert.equal(await app.cache.invalidateAndStore(next, { type: 'user_cart', key, body: '{"price":2}', tags: [own, product] }), true)
  const loader = counter('{"price":"loaded"}')
  assert.equal((await app.cache.getOrLoad({ type: 'user_cart', key, tags: [own], load: loader.load })).body, '{"price":2}')
  // The product tag makes the stored entry stale like any loaded one.
  await app.cache.invalidate([product])
  assert.equal((await app.cache.getOrLoad({ type: 'user_cart', key, tags: [own], load: loader.load })).body, '{"price":"loaded"}')
})

test('two writes of one tag at once: at most one stores, and never with a generation the other write left behind', async (t) => {
  const app = await buildTestApp(t)
  const key = uniqueKey()
  const tag = `u:${key}`
  const first = app.cache.beginWrite([tag])
  const second = app.cache.beginWrite([tag])
  const stored = await Promise.all([
    app.cache.invalidateAndStore(first, { type: 'user_cart', key, body: '{"w":1}', tags: [tag] }),
    app.cache.invalidateAndStore(second, { type: 'user_cart', key, body: '{"w":2}', tags: [tag] })
  ])
  // The second bump lifted the tag two steps from its mark: it never stores. Whether the first
  // stored depends on whether it checked before the second bump landed; either way its entry is stale now.
  assert.equal(stored[1], false)
  const loader = counter('{"w":"db"}')
  assert.equal((await app.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: loader.load })).body, '{"w":"db"}')
})

test('with Redis down a write invalidates locally and stores nothing; with the cache off it stores nothing either', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await buildTestApp(t, { redisUrl: proxy.url('redis') })
  const key = uniqueKey()
  const tag = `u:${key}`
  const old = counter('{"v":"old"}')
  await app.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: old.load })
  proxy.cut()
  await eventually(() => !app.redis.isReady(), 'redis client notices the cut')
  const mark = app.cache.beginWrite([tag])
  assert.equal(await app.cache.invalidateAndStore(mark, { type: 'user_cart', key, body: '{"v":"new"}', tags: [tag] }), false)
  const loader = counter('{"v":"db"}')
  assert.equal((await app.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], load: loader.load })).body, '{"v":"db"}')
  // A tag still waiting for its replay is not written through either (its generation here is ahead of Redis's).
  const whilePending = app.cache.beginWrite([tag])
  assert.equal(whilePending.pending, true)
  proxy.restore()
  await eventually(() => app.cache.layers().pendingInvalidations === 0, 'the local bump is replayed', 15_000)
  assert.equal(await app.cache.invalidateAndStore(whilePending, { type: 'user_cart', key, body: '{"v":"pending"}', tags: [tag] }), false)
  const after = app.cache.beginWrite([tag])
  assert.equal(await app.cache.invalidateAndStore(after, { type: 'user_cart', key, body: '{"v":"after"}', tags: [tag] }), true)

  const off = await buildTestApp(t, { cacheEnabled: false })
  const offMark = off.cache.beginWrite([tag])
  assert.equal(await off.cache.invalidateAndStore(offMark, { type: 'user_cart', key, body: '{"v":"x"}', tags: [tag] }), false)
})

test('a coherent read goes to its loader while the bus is down, then caches again once the bus is back; other reads keep L1', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await buildTestApp(t, { redisUrl: proxy.url('redis') })
  const key = uniqueKey()
  const loader = counter('{"v":1}')
  const coherentRead = () => app.cache.getOrLoad({ type: 'user_profile', key, tags: [`u:${key}`], coherent: true, load: loader.load })
  const plainRead = () => app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  assert.equal(app.cache.layers().coherent, true)
  await coherentRead()
  await plainRead()
  assert.equal((await coherentRead()).status, 'hit')
  assert.equal(loader.calls, 2)

  proxy.cut()
  await eventually(() => !app.cache.layers().coherent, 'the bus is seen down')
  const during = [await coherentRead(), await coherentRead()]
  assert.deepEqual(during.map((r) => r.status), ['bypass', 'bypass'])
  assert.equal(loader.calls, 4)
  assert.equal((await plainRead()).status, 'hit', 'other reads still answer from L1')
  assert.equal(app.cache.stats().user_profile.bypass, 2)

  proxy.restore()
  await eventually(() => app.cache.layers().coherent, 'the bus is trusted again after its grace', 15_000)
  await coherentRead()
  assert.equal((await coherentRead()).status, 'hit')
})

test('a coherent read whose loader fails surfaces the error, never the entry a write invalidated (a plain read serves it from grace)', async (t) => {
  const app = await buildTestApp(t)
  const failing = async (): Promise<never> => { throw Object.assign(new Error('database down'), { statusCode: 503 }) }
  for (const coherent of [true, false]) {
    const key = uniqueKey()
    const tag = `u:${key}`
    await app.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], coherent, load: async () => ({ body: '{"v":1}' }) })
    await app.cache.invalidate([tag])
    const read = app.cache.getOrLoad({ type: 'user_cart', key, tags: [tag], coherent, load: failing })
    if (coherent) await assert.rejects(read, /database down/)
    else assert.equal((await read).status, 'stale')
  }
})
