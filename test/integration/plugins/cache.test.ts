import { test, beforeEach, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import { cacheOpChannel } from '../../../src/lib/observability/channels.js'
import type { CacheOpEvent } from '../../../src/lib/observability/instrumentation.js'
import { DEFAULT_CACHE_TTL_S, type CacheLoadResult } from '../../../src/plugins/cache.js'
import { Generations } from '../../../src/lib/cache/generations.js'
import { eventually } from '../../support/eventually.js'

let keySeq = 0
const uniqueKey = () => `k${process.pid}-${++keySeq}`

/** A loader that counts its calls and answers `body` (or what `next` says). */
function counter (body = '{"v":1}') {
  const state = {
    calls: 0,
    next: undefined as (() => Promise<CacheLoadResult>) | undefined,
    load: async (): Promise<CacheLoadResult> => {
      state.calls++
      return state.next ? state.next() : { body }
    }
  }
  return state
}

/** Every cache read recorded (`recordCacheOp`) until the test ends. */
function recordCacheOps (t: TestContext): CacheOpEvent[] {
  const events: CacheOpEvent[] = []
  const listener = (msg: unknown) => { events.push(msg as CacheOpEvent) }
  cacheOpChannel.subscribe(listener)
  t.after(() => cacheOpChannel.unsubscribe(listener))
  return events
}

beforeEach(async () => {
  const app = await buildTestApp(undefined)
  await flushRedisPrefix(app)
  await app.close()
})

test('a miss loads once, then L1 answers the same bytes and ETag; counters and recordCacheOp see each layer', async (t) => {
  const events = recordCacheOps(t)
  const app = await buildTestApp(t)
  const loader = counter()
  const key = uniqueKey()

  const first = await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  const second = await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  assert.equal(loader.calls, 1)
  assert.equal(first.status, 'miss')
  assert.equal(second.status, 'hit')
  assert.equal(second.body, '{"v":1}')
  assert.equal(second.etag, first.etag)
  assert.match(first.etag, /^W\/"[A-Za-z0-9_-]+"$/)
  const stats = app.cache.stats().product_detail
  assert.equal(stats.misses, 1)
  assert.equal(stats.l1Hits, 1)
  const mine = events.filter((e) => e.type === 'product_detail')
  assert.deepEqual(mine.map((e) => [e.layer, e.hit]), [['miss', false], ['l1', true]])
})

test('peek answers only a fresh L1 entry, synchronously, counted and recorded as an L1 hit', async (t) => {
  const events = recordCacheOps(t)
  const app = await buildTestApp(t)
  const loader = counter()
  const key = uniqueKey()

  assert.equal(app.cache.peek('product_detail', key), undefined)
  const loaded = await app.cache.getOrLoad({ type: 'product_detail', key, tags: [`tag-${key}`], load: loader.load })
  const hit = app.cache.peek('product_detail', key)
  assert.deepEqual(hit, { body: loaded.body, etag: loaded.etag, negative: false, status: 'hit' })
  assert.equal(app.cache.stats().product_detail.l1Hits, 1)
  assert.deepEqual(events.filter((e) => e.type === 'product_detail').map((e) => [e.layer, e.hit]), [['miss', false], ['l1', true]])

  await app.cache.invalidate([`tag-${key}`])
  assert.equal(app.cache.peek('product_detail', key), undefined, 'a stale entry needs getOrLoad')
})

test('an entry lives the ttlS its caller chose; a loader\'s ttlS overrides it; without either, DEFAULT_CACHE_TTL_S', async (t) => {
  const app = await buildTestApp(t, { cacheGraceS: 0 })
  const [chosen, overridden, unnamed] = [uniqueKey(), uniqueKey(), uniqueKey()]
  await app.cache.getOrLoad({ type: 'product_detail', ttlS: 120, key: chosen, load: counter().load })
  await app.cache.getOrLoad({ type: 'product_detail', ttlS: 120, key: overridden, load: async () => ({ body: '{}', ttlS: 7 }) })
  await app.cache.getOrLoad({ type: 'product_detail', key: unnamed, load: counter().load })
  // L2 writes are not awaited by the read: wait until all three are in Redis, then read their lifetimes.
  const pttl = (key: string) => app.redis.client.pttl(app.redis.key('cache', `product_detail:${key}`))
  await eventually(async () => (await Promise.all([chosen, overridden, unnamed].map(pttl))).every((ms) => ms > 0), 'the L2 copies')
  const [a, b, c] = await Promise.all([chosen, overridden, unnamed].map(pttl))
  assert.ok(a > 110_000 && a <= 120_000, `caller's 120 s, got ${a} ms`)
  assert.ok(b > 0 && b <= 7_000, `loader's 7 s, got ${b} ms`)
  assert.ok(c > (DEFAULT_CACHE_TTL_S - 10) * 1000 && c <= DEFAULT_CACHE_TTL_S * 1000, `default ${DEFAULT_CACHE_TTL_S} s, got ${c} ms`)
})

test('with the cache off, peek never answers', async (t) => {
  const app = await buildTestApp(t, { cacheEnabled: false })
  const key = uniqueKey()
  await app.cache.getOrLoad({ type: 'product_detail', key, load: counter().load })
  assert.equal(app.cache.peek('product_detail', key), undefined)
})

test('a burst of concurrent misses runs the loader once (single-flight)', async (t) => {
  const app = await buildTestApp(t)
  const loader = counter()
  loader.next = async () => {
    await sleep(30)
    return { body: '{"slow":true}' }
  }
  const key = uniqueKey()
  const results = await Promise.all(Array.from({ length: 50 }, () => app.cache.getOrLoad({ type: 'product_search', key, load: loader.load })))
  assert.equal(loader.calls, 1)
  assert.ok(results.every((r) => r.body === '{"slow":true}'))
  assert.equal(app.cache.stats().product_search.misses, 50)
})

test('a second instance sharing Redis answers from L2 without loading', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t)
  const key = uniqueKey()
  const loaderA = counter('{"from":"a"}')
  const loaderB = counter('{"from":"b"}')
  await a.cache.getOrLoad({ type: 'product_detail', key, load: loaderA.load })
  await eventually(async () => (await b.redis.client.exists(b.redis.key('cache', 'product_detail', key))) === 1, 'L2 write')
  const fromB = await b.cache.getOrLoad({ type: 'product_detail', key, load: loaderB.load })
  assert.equal(loaderB.calls, 0)
  assert.equal(fromB.body, '{"from":"a"}')
  assert.equal(fromB.status, 'hit')
  assert.equal(b.cache.stats().product_detail.l2Hits, 1)
})

test('invalidating a tag on one instance makes the entry stale on every instance', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t)
  const key = uniqueKey()
  const tag = `p:${key}`
  let version = 1
  const load = async () => ({ body: JSON.stringify({ version }) })
  await a.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })
  await b.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })
  version = 2
  await a.cache.invalidate([tag])
  // The writer sees its own invalidation at once.
  assert.equal((await a.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })).body, '{"version":2}')
  await eventually(async () => (await b.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })).body === '{"version":2}', 'bus invalidation on b')
})

test('tags learned while loading invalidate too, and a load racing an invalidation is not stored', async (t) => {
  const app = await buildTestApp(t)
  const key = uniqueKey()
  const loader = counter()
  loader.next = async () => ({ body: '{"page":1}', tags: [`p:${key}-item`] })
  await app.cache.getOrLoad({ type: 'product_list', key, tags: ['scope'], load: loader.load })
  await app.cache.invalidate([`p:${key}-item`])
  await app.cache.getOrLoad({ type: 'product_list', key, tags: ['scope'], load: loader.load })
  assert.equal(loader.calls, 2)

  // The loader reads, then a write invalidates before it returns: its bytes must not be cached.
  const raceKey = uniqueKey()
  const racer = counter()
  racer.next = async () => {
    await app.cache.invalidate([`p:${raceKey}`])
    return { body: '{"old":true}' }
  }
  const first = await app.cache.getOrLoad({ type: 'product_detail', key: raceKey, tags: [`p:${raceKey}`], load: racer.load })
  assert.equal(first.body, '{"old":true}')
  racer.next = async () => ({ body: '{"new":true}' })
  const second = await app.cache.getOrLoad({ type: 'product_detail', key: raceKey, tags: [`p:${raceKey}`], load: racer.load })
  assert.equal(second.body, '{"new":true}')
  assert.equal(racer.calls, 2)
})

test('negative results are cached briefly and report negative', async (t) => {
  const app = await buildTestApp(t)
  const loader = counter()
  loader.next = async () => ({ body: '', negative: true })
  const key = uniqueKey()
  const first = await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  const second = await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  assert.equal(first.negative, true)
  assert.equal(second.negative, true)
  assert.equal(second.status, 'hit')
  assert.equal(loader.calls, 1)
  // The L2 write leaves with the other commands of its turn, at the turn's end.
  await new Promise((resolve) => setImmediate(resolve))
  const ttl = await app.redis.client.pttl(app.redis.key('cache', 'product_detail', key))
  assert.ok(ttl > 0 && ttl <= 30_000, `negative entry TTL ${ttl} ms`)
})

test('when the loader fails after expiry, the expired entry is served (grace); without one the error surfaces', async (t) => {
  const app = await buildTestApp(t)
  const key = uniqueKey()
  const loader = counter()
  loader.next = async () => ({ body: '{"cached":true}', ttlS: 0.05 })
  await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  await sleep(80)
  loader.next = async () => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }
  const stale = await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  assert.equal(stale.status, 'stale')
  assert.equal(stale.body, '{"cached":true}')
  assert.equal(app.cache.stats().product_detail.staleHits, 1)
  await assert.rejects(app.cache.getOrLoad({ type: 'product_detail', key: uniqueKey(), load: loader.load }), /ECONNREFUSED/)
  assert.equal(app.cache.stats().product_detail.loadErrors, 1)
})

test('with Redis down, reads come from L1 and the loader and invalidations replay when it returns', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const viaProxy = await buildTestApp(t, { redisUrl: proxy.url('redis') })
  const direct = await buildTestApp(t)
  const key = uniqueKey()
  const tag = `p:${key}`
  let version = 1
  const load = async () => ({ body: JSON.stringify({ version }) })
  await viaProxy.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })
  await direct.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })

  proxy.cut()
  await eventually(() => !viaProxy.redis.isReady(), 'redis client notices the cut')
  assert.equal((await viaProxy.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })).status, 'hit')
  const fresh = await viaProxy.cache.getOrLoad({ type: 'product_search', key, load })
  assert.equal(fresh.status, 'miss')
  version = 2
  await viaProxy.cache.invalidate([tag])
  assert.equal((await viaProxy.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })).body, '{"version":2}')
  assert.equal(viaProxy.cache.layers().pendingInvalidations, 1)

  proxy.restore()
  await eventually(async () => (await direct.cache.getOrLoad({ type: 'product_detail', key, tags: [tag], load })).body === '{"version":2}', 'replayed invalidation reaches the other instance', 15_000)
  assert.equal(viaProxy.cache.layers().pendingInvalidations, 0)
})

test('a slow Redis costs at most the L2 timeout, then the circuit opens and reads skip it', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await buildTestApp(t, { redisUrl: proxy.url('redis'), cacheL2TimeoutMs: 50 })
  proxy.setLatency(400)
  for (let i = 0; i < 3; i++) {
    const res = await app.cache.getOrLoad({ type: 'product_search', key: uniqueKey(), load: async () => ({ body: `{"i":${i}}` }) })
    assert.equal(res.status, 'miss')
    assert.equal(res.body, `{"i":${i}}`)
  }
  const layers = app.cache.layers()
  assert.equal(layers.l2.timeouts, 3)
  assert.equal(layers.l2.circuitOpen, true)
  assert.equal(layers.l2.available, false)
  // With the circuit open, L2 is not asked at all: the counters stay put.
  await app.cache.getOrLoad({ type: 'product_search', key: uniqueKey(), load: async () => ({ body: '{}' }) })
  assert.equal(app.cache.layers().l2.timeouts, 3)
  proxy.setLatency(0)
})

test('losing the generation hash (Redis flushed) starts a new epoch and drops L1', async (t) => {
  const app = await buildTestApp(t)
  const key = uniqueKey()
  const loader = counter()
  await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  await app.redis.client.del(app.redis.key('cache', 'gens'), app.redis.key('cache', 'product_detail', key))
  // Another key's L2 read discovers the new epoch.
  await app.cache.getOrLoad({ type: 'product_detail', key: uniqueKey(), load: loader.load })
  await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  assert.equal(loader.calls, 3)
})

test('CACHE_ENABLED=false calls the loader every time and still gives an ETag', async (t) => {
  const app: FastifyInstance = await buildTestApp(t, { cacheEnabled: false })
  const loader = counter()
  const key = uniqueKey()
  const a = await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  const b = await app.cache.getOrLoad({ type: 'product_detail', key, load: loader.load })
  assert.equal(loader.calls, 2)
  assert.equal(a.status, 'bypass')
  assert.equal(a.etag, b.etag)
  assert.equal(app.cache.stats().product_detail.bypass, 2)
  assert.equal(app.cache.layers().enabled, false)
})

test('the L1 stays within its entry budget', async (t) => {
  const app = await buildTestApp(t, { cacheL1MaxEntries: 5 })
  for (let i = 0; i < 12; i++) await app.cache.getOrLoad({ type: 'product_detail', key: uniqueKey(), load: async () => ({ body: `{"i":${i}}` }) })
  const layers = app.cache.layers()
  assert.equal(layers.l1.entries, 5)
  assert.equal(layers.l1.evictions, 7)
})

test('generations: only a higher value is a change; an epoch reset changes everything', () => {
  const g = new Generations('e1')
  const start = g.seq
  assert.equal(g.raise('catalog:p:1', 0), false, 'learning generation 0 of an unknown tag is no change')
  assert.equal(g.changedSince(['catalog:p:1'], start), false)
  assert.equal(g.raise('catalog:p:1', 2), true)
  assert.equal(g.raise('catalog:p:1', 1), false, 'generations never go back within an epoch')
  assert.equal(g.changedSince(['catalog:p:1'], start), true)
  assert.equal(g.changedSince(['catalog:p:2'], start), false)
  const entry = { body: '', etag: '', negative: false, tags: ['catalog:p:1'], gens: [2], epoch: 'e1', freshUntil: 0, staleUntil: 0 }
  assert.equal(g.matches(entry), true)
  const before = g.seq
  g.reset('e2')
  assert.equal(g.matches(entry), false)
  assert.equal(g.changedSince(['catalog:p:2'], before), true)
})
