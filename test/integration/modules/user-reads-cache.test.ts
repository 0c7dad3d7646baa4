import { after, before, describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, flushRedisPrefix, resetDb } from '../../support/helper.js'
import { createUser, FIXTURE_PASSWORD, type FixtureUser } from '../../support/fixtures.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import { auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, type Shop } from '../../support/commerce-fixtures.js'
import { dbQueryChannel } from '../../../src/lib/observability/channels.js'
import { currentTimings, type DbQueryEvent } from '../../../src/lib/observability/instrumentation.js'
import { CartTags } from '../../../src/modules/cart/cart.keys.js'
import { createInventoryService } from '../../../src/modules/inventory/inventory.service.js'
import { createOrdersService } from '../../../src/modules/orders/orders.service.js'
import { eventually } from '../../support/eventually.js'

// GET /cart, GET /users/profile and GET /orders served from the per-user cache: hits make no query,
// every write through the app is seen by the next read (here, and on another instance), Redis down
// falls back to the database, and one user's entries never answer another user.

let app: FastifyInstance
let shop: Shop
let admin: FixtureUser

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
  admin = await createUser(app, { role: 'admin' })
})
after(() => app.close())

interface Read { status: number, body: any, cache: string | undefined, queries: string[] }

/** A GET with the user's token: its body, how the cache answered (Server-Timing) and the queries it ran. */
async function read (instance: FastifyInstance, user: FixtureUser, url: string): Promise<Read> {
  const queries: string[] = []
  // Queries published inside a request's async context only: background jobs (index rebuilds, expiry) have none.
  const listener = (msg: unknown) => { if (currentTimings() !== undefined) queries.push((msg as DbQueryEvent).name) }
  dbQueryChannel.subscribe(listener)
  try {
    const res = await instance.inject({ method: 'GET', url, headers: auth(user.token) })
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
    const cache = /cache;desc=(\w+)/.exec(String(res.headers['server-timing']))?.[1]
    // The token check reads the account state at most once per AUTH_STATE_TTL_MS: not the route's own query.
    return { status: res.statusCode, body: res.json(), cache, queries: queries.filter((q) => q !== 'auth.account_state') }
  } finally {
    dbQueryChannel.unsubscribe(listener)
  }
}

async function send (instance: FastifyInstance, user: FixtureUser, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  const res = await instance.inject({ method, url, headers: auth(user.token), payload })
  assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

/** A second read answered from the cache, with no query of its own. */
async function assertHit (instance: FastifyInstance, user: FixtureUser, url: string): Promise<Read> {
  const again = await read(instance, user, url)
  assert.equal(again.cache, 'hit', url)
  assert.deepEqual(again.queries, [], `${url} made no query`)
  return again
}

const cartLines = (body: any) => body.items.map((i: any) => [i.product_id, i.quantity])
const orderStatuses = (body: any) => body.orders.map((o: any) => [o.id, o.status])

describe('GET /cart', () => {
  test('a second read is a hit with no query; the first loads with one', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop)
    await send(app, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 2 })
    // Forget the entry the add stored (write-through), here and in Redis, so the first read loads.
    app.cache.clearLocal()
    await flushRedisPrefix(app)
    const first = await read(app, user, '/api/v1/cart')
    assert.equal(first.cache, 'miss')
    assert.deepEqual(first.queries, ['cart.list'])
    const second = await assertHit(app, user, '/api/v1/cart')
    assert.deepEqual(second.body, first.body)
    assert.deepEqual(cartLines(second.body), [[p.id, 2]])
  })

  test('add, quantity change and removal are each seen by the next read, which is a hit (the write stored its answer)', async () => {
    const user = await createUser(app)
    const a = await createShopProduct(app, shop, { price: '10.00' })
    const b = await createShopProduct(app, shop, { price: '2.50' })
    assert.deepEqual((await read(app, user, '/api/v1/cart')).body, { items: [], total: 0 })

    const added = await send(app, user, 'POST', '/api/v1/cart/add', { product_id: a.id, quantity: 1 })
    let seen = await assertHit(app, user, '/api/v1/cart')
    assert.deepEqual(seen.body, added)
    assert.deepEqual(cartLines(seen.body), [[a.id, 1]])

    await send(app, user, 'POST', '/api/v1/cart/add', { product_id: b.id, quantity: 2 })
    seen = await assertHit(app, user, '/api/v1/cart')
    assert.deepEqual([cartLines(seen.body), seen.body.total], [[[a.id, 1], [b.id, 2]], 15])

    await send(app, user, 'PUT', `/api/v1/cart/items/${a.id}`, { quantity: 3 })
    seen = await assertHit(app, user, '/api/v1/cart')
    assert.deepEqual([cartLines(seen.body), seen.body.total], [[[a.id, 3], [b.id, 2]], 35])

    await send(app, user, 'DELETE', `/api/v1/cart/items/${b.id}`)
    seen = await assertHit(app, user, '/api/v1/cart')
    assert.deepEqual([cartLines(seen.body), seen.body.total], [[[a.id, 3]], 30])
  })

  test('a refused write changes nothing and keeps the cached cart', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 2 })
    await send(app, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 2 })
    const refused = await app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: auth(user.token), payload: { product_id: p.id, quantity: 1 } })
    assert.equal(refused.statusCode, 409)
    assert.deepEqual(cartLines((await assertHit(app, user, '/api/v1/cart')).body), [[p.id, 2]])
  })

  test('placing an order empties the cart and adds the order to the order list', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop)
    await send(app, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 1 })
    await read(app, user, '/api/v1/cart')
    await read(app, user, '/api/v1/orders')
    assert.equal((await assertHit(app, user, '/api/v1/orders')).body.orders.length, 0)

    const placed = await placeOrder(app, user.token)
    assert.equal(placed.statusCode, 201, placed.body)
    assert.deepEqual((await read(app, user, '/api/v1/cart')).body, { items: [], total: 0 })
    assert.deepEqual(orderStatuses((await read(app, user, '/api/v1/orders')).body), [[placed.json().id, 'pending']])
  })

  test('product changes reach the cached cart with the product detail: price, stock sold to another user, deactivation', async () => {
    const user = await createUser(app)
    const other = await createUser(app)
    const p = await createShopProduct(app, shop, { price: '40.00', stock: 10 })
    await send(app, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 1 })
    await assertHit(app, user, '/api/v1/cart')
    const detail = async () => (await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).json()
    await detail()

    await send(app, shop.seller, 'PATCH', `/api/v1/products/${p.id}`, { price: 35.5 })
    let line = (await read(app, user, '/api/v1/cart')).body.items[0]
    assert.equal(line.unit_price, 35.5)
    assert.equal(line.product.price, (await detail()).price, 'the cart shows the price the product detail shows')

    await send(app, other, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 4 })
    assert.equal((await placeOrder(app, other.token)).statusCode, 201)
    line = (await read(app, user, '/api/v1/cart')).body.items[0]
    assert.equal(line.product.stock_quantity, 6)
    assert.equal(line.product.stock_quantity, (await detail()).stock_quantity)

    await send(app, shop.seller, 'DELETE', `/api/v1/products/${p.id}`)
    line = (await read(app, user, '/api/v1/cart')).body.items[0]
    assert.equal(line.product.is_active, false)
  })

  test('a product change made outside the app (psql) reaches the cached cart through the catalog notification', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { price: '12.00' })
    await send(app, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 1 })
    await assertHit(app, user, '/api/v1/cart')
    const outside = (await import('postgres')).default(app.config.databaseUrl, { max: 1, onnotice: () => {} })
    try {
      await outside`UPDATE products SET price = 11.00 WHERE id = ${p.id}`
    } finally {
      await outside.end({ timeout: 5 })
    }
    await eventually(async () => (await read(app, user, '/api/v1/cart')).body.items[0].unit_price === 11, 'the external price change shows in the cart')
  })
})

describe('GET /users/profile', () => {
  test('a second read is a hit; a profile update is seen at once, and is a hit', async () => {
    const user = await createUser(app)
    const first = await read(app, user, '/api/v1/users/profile')
    assert.equal(first.cache, 'miss')
    await assertHit(app, user, '/api/v1/users/profile')
    const updated = await send(app, user, 'PATCH', '/api/v1/users/profile', { first_name: 'Renamed', phone: '+44 20 7946 0000' })
    const seen = await assertHit(app, user, '/api/v1/users/profile')
    assert.deepEqual(seen.body, updated)
    assert.deepEqual([seen.body.first_name, seen.body.phone], ['Renamed', '+44 20 7946 0000'])
  })

  test('a password change revokes the token; the login with the new password stamps last_login, which the profile shows', async () => {
    const user = await createUser(app)
    const before = (await read(app, user, '/api/v1/users/profile')).body
    assert.equal(before.last_login, null)
    await send(app, user, 'PATCH', '/api/v1/users/profile', { current_password: FIXTURE_PASSWORD, new_password: 'a much newer passphrase 7' })
    const revoked = await app.inject({ method: 'GET', url: '/api/v1/users/profile', headers: auth(user.token) })
    assert.equal(revoked.statusCode, 401)

    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'a much newer passphrase 7' } })
    assert.equal(login.statusCode, 200, login.body)
    const loggedIn = login.json()
    const fresh = { ...user, token: loggedIn.access_token }
    const seen = await assertHit(app, fresh, '/api/v1/users/profile')
    assert.notEqual(seen.body.last_login, null)
    assert.deepEqual(seen.body, loggedIn.user)
  })

  test('a role change made in the database revokes the tokens; after the next login the profile shows the new role', async () => {
    const user = await createUser(app)
    assert.equal((await read(app, user, '/api/v1/users/profile')).body.user_type, 'customer')
    await app.db.sql`UPDATE users SET user_type = 'seller' WHERE id = ${user.id}`
    await app.accountChanged(user.id) // at once here, without waiting for the database's notice
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/users/profile', headers: auth(user.token) })).statusCode, 401)
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: FIXTURE_PASSWORD } })
    assert.equal(login.statusCode, 200, login.body)
    const seen = await read(app, { ...user, token: login.json().access_token }, '/api/v1/users/profile')
    assert.equal(seen.body.user_type, 'seller')
  })

  test('deactivation made in the database: the cached profile is never served again', async () => {
    const user = await createUser(app)
    await read(app, user, '/api/v1/users/profile')
    await assertHit(app, user, '/api/v1/users/profile')
    await app.db.sql`UPDATE users SET is_active = false WHERE id = ${user.id}`
    await app.accountChanged(user.id)
    const res = await app.inject({ method: 'GET', url: '/api/v1/users/profile', headers: auth(user.token) })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().code, 'AUTH_TOKEN_REVOKED')
  })
})

describe('GET /orders', () => {
  /** A pending order of `user` for one unit of a new product; answers the order and product ids. */
  async function pendingOrder (user: FixtureUser): Promise<number> {
    const p = await createShopProduct(app, shop)
    await send(app, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 1 })
    const res = await placeOrder(app, user.token)
    assert.equal(res.statusCode, 201, res.body)
    return res.json().id
  }

  test('a second read is a hit; the buyer\'s cancellation is seen at once', async () => {
    const user = await createUser(app)
    const id = await pendingOrder(user)
    assert.deepEqual(orderStatuses((await read(app, user, '/api/v1/orders')).body), [[id, 'pending']])
    await assertHit(app, user, '/api/v1/orders')
    await send(app, user, 'PATCH', `/api/v1/orders/${id}/status`, { status: 'cancelled' })
    assert.deepEqual(orderStatuses((await read(app, user, '/api/v1/orders')).body), [[id, 'cancelled']])
  })

  test('an admin\'s status change and a seller\'s fulfilment are seen by the buyer\'s next read, on every cached page and filter', async () => {
    const user = await createUser(app)
    const id = await pendingOrder(user)
    const urls = ['/api/v1/orders', '/api/v1/orders?page_size=5', '/api/v1/orders?status=pending', '/api/v1/orders?status=shipped']
    for (const url of urls) await read(app, user, url)
    for (const url of urls) await assertHit(app, user, url)

    await send(app, admin, 'PATCH', `/api/v1/orders/${id}/status`, { status: 'processing' })
    assert.deepEqual(orderStatuses((await read(app, user, '/api/v1/orders')).body), [[id, 'processing']])
    assert.equal((await read(app, user, '/api/v1/orders?status=pending')).body.orders.length, 0)
    for (const url of urls) await read(app, user, url)
    for (const url of urls) await assertHit(app, user, url)

    await send(app, shop.seller, 'PATCH', `/api/v1/orders/${id}/fulfilment`, { status: 'shipped' })
    assert.deepEqual(orderStatuses((await read(app, user, '/api/v1/orders?page_size=5')).body), [[id, 'shipped']])
    assert.deepEqual(orderStatuses((await read(app, user, '/api/v1/orders?status=shipped')).body), [[id, 'shipped']])
  })

  test('the expiry job\'s cancellation is seen by the buyer\'s next read', async () => {
    const user = await createUser(app)
    const id = await pendingOrder(user)
    await read(app, user, '/api/v1/orders')
    await app.db.sql`UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = ${id}`
    const inventory = createInventoryService({ db: app.db.db, log: app.log, onProductsChanged: async () => {}, onStockChanged: async () => {} })
    const orders = createOrdersService({ db: app.db.db, log: app.log, inventory, cache: app.cache, cartTag: CartTags.user, pendingTtlMinutes: 60 })
    assert.equal(await orders.expirePending(), 1)
    assert.deepEqual(orderStatuses((await read(app, user, '/api/v1/orders')).body), [[id, 'cancelled']])
  })

  test('pages past the third and sellers\' selling lists are read from the database every time', async () => {
    const user = await createUser(app)
    await read(app, user, '/api/v1/orders?page=4')
    const deep = await read(app, user, '/api/v1/orders?page=4')
    assert.equal(deep.cache, undefined)
    assert.ok(deep.queries.includes('orders.list'))
    await read(app, shop.seller, '/api/v1/orders?scope=selling')
    const selling = await read(app, shop.seller, '/api/v1/orders?scope=selling')
    assert.equal(selling.cache, undefined)
    assert.ok(selling.queries.includes('orders.list'))
  })
})

test('two users never see each other\'s cached cart, profile or orders, whichever reads first', async () => {
  const [ann, bob] = [await createUser(app), await createUser(app)]
  const [pa, pb] = [await createShopProduct(app, shop), await createShopProduct(app, shop)]
  await send(app, ann, 'POST', '/api/v1/cart/add', { product_id: pa.id, quantity: 1 })
  await send(app, bob, 'POST', '/api/v1/cart/add', { product_id: pb.id, quantity: 2 })
  const annOrder = await placeOrder(app, ann.token)
  assert.equal(annOrder.statusCode, 201)
  await send(app, ann, 'POST', '/api/v1/cart/add', { product_id: pb.id, quantity: 1 })
  for (let round = 0; round < 2; round++) {
    for (const [user, other] of [[ann, bob], [bob, ann]] as const) {
      const profile = await read(app, user, '/api/v1/users/profile')
      assert.deepEqual([profile.body.id, profile.body.email], [user.id, user.email])
      assert.notEqual(profile.body.email, other.email)
      const orders = (await read(app, user, '/api/v1/orders')).body.orders
      assert.ok(orders.every((o: any) => o.user_id === user.id))
    }
    assert.deepEqual(cartLines((await read(app, ann, '/api/v1/cart')).body), [[pb.id, 1]])
    assert.deepEqual(cartLines((await read(app, bob, '/api/v1/cart')).body), [[pb.id, 2]])
    assert.deepEqual((await read(app, ann, '/api/v1/orders')).body.orders.map((o: any) => o.id), [annOrder.json().id])
    assert.deepEqual((await read(app, bob, '/api/v1/orders')).body.orders, [])
  }
  // An admin reading a user's orders gets that user's page, never the admin's own.
  const adminView = await read(app, admin, `/api/v1/orders?user_id=${bob.id}`)
  assert.deepEqual(adminView.body.orders, [])
  assert.deepEqual((await read(app, admin, '/api/v1/orders')).body.orders, [])
})

test('two instances sharing Redis: a write on A is seen by the next read on B', async (t: TestContext) => {
  const b = await buildTestApp(t, NO_TRAFFIC_CONTROL)
  const user = await createUser(app)
  const p = await createShopProduct(app, shop)
  const urls = ['/api/v1/cart', '/api/v1/users/profile', '/api/v1/orders']
  for (const url of urls) {
    await read(b, user, url)
    await assertHit(b, user, url)
  }
  const loadsOnB = b.cache.stats().user_cart.misses
  await send(app, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 3 })
  await eventually(async () => cartLines((await read(b, user, '/api/v1/cart')).body)[0]?.[1] === 3, 'B sees the cart line')
  // A's write stored its answer in Redis: once the bus message dropped B's entry, B read it from L2 without a load.
  assert.equal(b.cache.stats().user_cart.misses, loadsOnB)
  assert.ok(b.cache.stats().user_cart.l2Hits >= 1)

  await send(app, user, 'PATCH', '/api/v1/users/profile', { last_name: 'Elsewhere' })
  await eventually(async () => (await read(b, user, '/api/v1/users/profile')).body.last_name === 'Elsewhere', 'B sees the profile update')

  const placed = await placeOrder(app, user.token)
  assert.equal(placed.statusCode, 201)
  await eventually(async () => (await read(b, user, '/api/v1/orders')).body.orders.length === 1, 'B sees the new order')
  await eventually(async () => (await read(b, user, '/api/v1/cart')).body.items.length === 0, 'B sees the emptied cart')
})

test('Redis down: reads answer from the database, writes are seen by the next read, and nothing stale is served after it returns', async (t: TestContext) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const viaProxy = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, redisUrl: proxy.url('redis') })
  const user = await createUser(viaProxy)
  const p = await createShopProduct(viaProxy, shop)
  await read(viaProxy, user, '/api/v1/cart')
  assert.deepEqual((await read(app, user, '/api/v1/cart')).body.items, [], 'another instance caches the empty cart')

  await read(viaProxy, user, '/api/v1/users/profile')
  await assertHit(viaProxy, user, '/api/v1/users/profile')

  proxy.cut()
  await eventually(async () => !viaProxy.redis.isReady() && !viaProxy.cache.layers().coherent, 'the cache notices the bus is down')
  // Writes on other instances can no longer reach this one: per-user reads come from the database, each time.
  for (let i = 0; i < 2; i++) {
    const profile = await read(viaProxy, user, '/api/v1/users/profile')
    assert.deepEqual([profile.body.id, profile.cache, profile.queries], [user.id, 'bypass', ['users.find_by_id']])
  }
  await send(viaProxy, user, 'POST', '/api/v1/cart/add', { product_id: p.id, quantity: 1 })
  const during = await read(viaProxy, user, '/api/v1/cart')
  assert.deepEqual([cartLines(during.body), during.cache, during.queries], [[[p.id, 1]], 'bypass', ['cart.list']])
  const orders = await read(viaProxy, user, '/api/v1/orders')
  assert.deepEqual([orders.body.orders, orders.cache], [[], 'bypass'])

  proxy.restore()
  await eventually(async () => viaProxy.cache.layers().pendingInvalidations === 0 && viaProxy.cache.layers().coherent, 'Redis is back, the local bumps are replayed, the bus trusted again', 15_000)
  assert.deepEqual(cartLines((await read(viaProxy, user, '/api/v1/cart')).body), [[p.id, 1]])
  await assertHit(viaProxy, user, '/api/v1/cart')
  // The replayed bump reaches the other instance over the bus (asynchronously), which then drops the empty cart it cached.
  await eventually(async () => cartLines((await read(app, user, '/api/v1/cart')).body)[0]?.[0] === p.id, 'another instance stops serving the cart cached before the cut')
})
