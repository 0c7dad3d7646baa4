/**
 * `npm start` on a machine without PostgreSQL and Redis. The
 * launcher behind `npm start` runs with DATABASE_URL/REDIS_URL unset and the
 * default addresses pointed at closed ports, so it embeds both: PGlite (in
 * this test process, as `npm start` hosts it) and in-process stand-ins for
 * Redis. Migrate, seed and the real server run as child processes (from
 * sources through tsx), and the shop is used through HTTP.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { launch, type Launch, type StartStep } from '../../../src/embedded/launcher.js'
import { freePort } from '../../support/ports.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const tsx = (script: string): StartStep => ({ command: process.execPath, args: ['--import', 'tsx', script] })
const STEPS = { migrate: tsx('scripts/migrate.ts'), seed: tsx('scripts/seed.ts'), server: tsx('src/server.ts') }
// A tiny demo set keeps the test short; `npm start` uses EMBEDDED_SEED_ARGS.
const TINY_SEED = ['--products', '300', '--users', '60', '--orders', '80', '--reviews', '100', '--carts', '5']
const BOOT_DEADLINE_MS = 180_000

/** The environment of `npm start` on a machine without PostgreSQL and Redis. */
function bareEnv (extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_|REDIS_|EMBEDDED_|TECHMART_DEFAULT_|WEB_CONCURRENCY$|PORT$|HOST$)/.test(name)) delete env[name]
  }
  return {
    ...env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // A busy CI machine must not turn an expected 201 into a 503; shedding has its own tests.
    LOAD_SHEDDING_ENABLED: 'false',
    PROFILING_ENABLED: 'false',
    ALERT_EVAL_INTERVAL_MS: '1000',
    ...extra
  }
}

interface Started { launch: Launch, output: () => string, base: string }

function start (env: Record<string, string | undefined>, serverArgs: string[] = []): Started {
  let output = ''
  const collect = (chunk: string) => { output += chunk }
  const started = launch({ root: ROOT, env, serverArgs, steps: STEPS, embeddedSeedArgs: TINY_SEED, out: (l) => collect(`${l}\n`), stepOutput: collect })
  return { launch: started, output: () => output, base: `http://127.0.0.1:${env.PORT ?? 3000}` }
}

/** Longer than the log output's periodic flush (src/lib/logging/output.ts, 1 s). */
const LOG_FLUSH_WAIT_MS = 1500

async function waitReady (s: Started): Promise<void> {
  const state = { exited: false }
  s.launch.exited.finally(() => { state.exited = true })
  const deadline = Date.now() + BOOT_DEADLINE_MS
  while (Date.now() < deadline && !state.exited) {
    const res = await fetch(`${s.base}/health/ready`).catch(() => undefined)
    if (res?.status === 200) {
      // The server's log lines leave its buffer at most a second after they are written: wait for them too.
      await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_WAIT_MS))
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  assert.fail(`the server did not become ready (${state.exited ? 'npm start exited' : 'timed out'}):\n${s.output().slice(-4000)}`)
}

async function call (s: Started, method: string, path: string, opts: { token?: string, body?: unknown, headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${s.base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text }
}

async function login (s: Started, email: string): Promise<string> {
  const res = await call(s, 'POST', '/api/v1/auth/login', { body: { email, password: 'techmart-demo' } })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.access_token
}

describe('npm start without PostgreSQL and Redis', { timeout: BOOT_DEADLINE_MS + 120_000 }, () => {
  let dir: string
  let s: Started

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'techmart-embedded-'))
    const pgDefault = await freePort(55400, 55449)
    const redisDefault = await freePort(55400, 55449, [pgDefault])
    s = start(bareEnv({
      PORT: String(await freePort(3700, 3749)),
      EMBEDDED_PG_PORT: String(await freePort(55450, 55499)),
      EMBEDDED_DATA_DIR: join(dir, 'pglite'),
      // "The default addresses": nothing listens there, as on a laptop without the servers.
      TECHMART_DEFAULT_PG_ADDR: `127.0.0.1:${pgDefault}`,
      TECHMART_DEFAULT_REDIS_ADDR: `127.0.0.1:${redisDefault}`
    }), ['--workers', '2'])
    await waitReady(s)
  })

  after(async () => {
    s?.launch.signal('SIGTERM')
    await s?.launch.exited
    await rm(dir, { recursive: true, force: true })
  })

  test('/health/ready says both backends are embedded, and the log says so once', async () => {
    const res = await call(s, 'GET', '/health/ready')
    assert.equal(res.status, 200)
    assert.equal(res.body.status, 'ready')
    assert.deepEqual([res.body.checks.database.mode, res.body.checks.database.status], ['embedded', 'up'])
    assert.deepEqual([res.body.checks.redis.mode, res.body.checks.redis.status], ['embedded', 'up'])
    const out = s.output()
    assert.equal(out.split('Embedded mode: PostgreSQL → embedded PGlite').length - 1, 1, out)
    assert.match(out, /Set DATABASE_URL and REDIS_URL in production/)
    assert.match(out, /creating the embedded PostgreSQL \(PGlite\) in .*pglite \(first start/)
    assert.match(out, /starting 1 server process, not 2/)
    assert.match(out, /seeding demo data if the database is empty \(embedded: a smaller set, --products 300 /)
    assert.doesNotMatch(out, /redis unavailable|monitoring relay not subscribed|alert firing: redis_down/)
    // PGlite has no RUM extension: search takes the GIN path and says so.
    assert.match(out, /search: RUM indexes not found .*using GIN/)
  })

  test('catalog search, login, cart add and an idempotent order through HTTP', async () => {
    const list = await call(s, 'GET', '/api/v1/products?page_size=5&in_stock=true')
    assert.equal(list.status, 200)
    const product = list.body.products[0]
    const word = product.name.split(' ')[0]
    const search = await call(s, 'GET', `/api/v1/products/search?q=${encodeURIComponent(word)}`)
    assert.equal(search.status, 200)
    assert.ok(search.body.products.some((p: { id: number }) => p.id === product.id), `search for '${word}' finds product ${product.id}`)
    assert.ok(search.headers.get('x-ratelimit-limit'), 'rate limited in memory')

    const token = await login(s, 'customer@techmart.local')
    const added = await call(s, 'POST', '/api/v1/cart/add', { token, body: { product_id: product.id, quantity: 1 } })
    assert.ok([200, 201].includes(added.status), JSON.stringify(added.body))
    const cart = await call(s, 'GET', '/api/v1/cart', { token })
    assert.ok(cart.body.items.some((i: { product_id: number }) => i.product_id === product.id))

    const order = { shipping_address: '1 Main St, Springfield', billing_address: '1 Main St, Springfield', payment_method: 'credit_card' }
    const placed = await call(s, 'POST', '/api/v1/orders', { token, body: order, headers: { 'idempotency-key': 'embedded-test-1' } })
    assert.equal(placed.status, 201, JSON.stringify(placed.body))
    assert.ok(placed.body.items.some((i: { product_id: number }) => i.product_id === product.id))
    const replay = await call(s, 'POST', '/api/v1/orders', { token, body: order, headers: { 'idempotency-key': 'embedded-test-1' } })
    assert.equal(replay.status, 201)
    assert.equal(replay.headers.get('idempotent-replayed'), 'true')
    assert.equal(replay.body.id, placed.body.id)
    const emptied = await call(s, 'POST', '/api/v1/orders', { token, body: order })
    assert.equal(emptied.status, 422)
    assert.equal(emptied.body.code, 'ORDERS_CART_EMPTY')
  })

  test('a review and the cached product detail follow it (L1-only cache invalidation)', async () => {
    const token = await login(s, 'user5@techmart.local')
    const list = await call(s, 'GET', '/api/v1/products?page_size=20&sort_by=created_at')
    const ids = list.body.products.map((p: { id: number }) => p.id)
    let reviewed: { id: number, before: number } | undefined
    for (const id of ids) {
      const detail = await call(s, 'GET', `/api/v1/products/${id}`)
      const posted = await call(s, 'POST', `/api/v1/products/${id}/reviews`, { token, body: { rating: 5, title: 'Solid', comment: 'Does what it says.' } })
      if (posted.status === 409) continue // user5 reviewed it in the seed
      assert.equal(posted.status, 201, JSON.stringify(posted.body))
      reviewed = { id, before: detail.body.rating.count }
      break
    }
    assert.ok(reviewed, 'user5 could review one of 20 products')
    const updated = await call(s, 'GET', `/api/v1/products/${reviewed.id}`)
    assert.equal(updated.body.rating.count, reviewed.before + 1)
  })

  // With one pooled connection, a transaction that awaited a query outside it would wait forever.
  test('the other transactional writes finish on the single connection: product create/update, order cancellation', async () => {
    const seller = await login(s, 'seller@techmart.local')
    const category = (await call(s, 'GET', '/api/v1/categories')).body.categories[0].id
    const created = await call(s, 'POST', '/api/v1/products', {
      token: seller,
      body: { name: 'Embedded Test Lamp', sku: `EMB-${process.pid}`, price: 19.99, category_id: category, stock_quantity: 5 }
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const updated = await call(s, 'PATCH', `/api/v1/products/${created.body.id}`, { token: seller, body: { price: 17.5 } })
    assert.equal(updated.status, 200, JSON.stringify(updated.body))
    assert.equal(updated.body.price, 17.5)

    const buyer = await login(s, 'user7@techmart.local')
    assert.equal((await call(s, 'POST', '/api/v1/cart/add', { token: buyer, body: { product_id: created.body.id, quantity: 2 } })).status, 200)
    const order = await call(s, 'POST', '/api/v1/orders', { token: buyer, body: { shipping_address: '2 Side St', billing_address: '2 Side St', payment_method: 'paypal' } })
    assert.equal(order.status, 201, JSON.stringify(order.body))
    assert.equal((await call(s, 'GET', `/api/v1/products/${created.body.id}`)).body.stock_quantity, 3)
    const admin = await login(s, 'admin@techmart.local')
    const cancelled = await call(s, 'PATCH', `/api/v1/orders/${order.body.id}/status`, { token: admin, body: { status: 'cancelled' } })
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body))
    assert.equal((await call(s, 'GET', `/api/v1/products/${created.body.id}`)).body.stock_quantity, 5)
  })

  test('the dashboard and monitoring work without Redis; alerts are evaluated locally', async () => {
    const page = await call(s, 'GET', '/dashboard/')
    assert.equal(page.status, 200)
    assert.match(page.body, /id="backends"/, 'the page has the embedded-backends badge')
    const token = await login(s, 'admin@techmart.local')
    const perf = await call(s, 'GET', '/api/v1/monitoring/performance', { token })
    assert.equal(perf.status, 200, JSON.stringify(perf.body))
    assert.equal(perf.body.instances.length, 1)
    const business = await call(s, 'GET', '/api/v1/monitoring/business', { token })
    assert.equal(business.status, 200)
    assert.ok(business.body.products.active > 0)
    // The first evaluation runs a moment after start; wait for it rather than for a fixed time.
    let alerts = await call(s, 'GET', '/api/v1/monitoring/alerts', { token })
    for (let i = 0; i < 60 && alerts.body.evaluation?.last_tick_at == null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      alerts = await call(s, 'GET', '/api/v1/monitoring/alerts', { token })
    }
    assert.equal(alerts.status, 200)
    assert.equal(alerts.body.evaluation.leader, true, 'the single process leads alert evaluation without a Redis lease')
    assert.equal(alerts.body.alerts.find((a: { rule_id: string }) => a.rule_id === 'redis_down')?.state ?? 'inactive', 'inactive')
    const search = await call(s, 'GET', '/api/v1/monitoring/search-analytics', { token })
    assert.equal(search.body.available, false)
    const unauthenticated = await call(s, 'GET', '/api/v1/monitoring/performance')
    assert.equal(unauthenticated.status, 401)
  })

  test('SIGTERM stops the server and the embedded database and frees its data folder', async () => {
    s.launch.signal('SIGTERM')
    assert.equal(await s.launch.exited, 0)
    assert.equal(existsSync(join(dir, 'pglite.lock')), false)
    assert.ok(existsSync(join(dir, 'pglite', 'PG_VERSION')), 'the data stays for the next start')
  })
})

describe('an explicit URL that does not answer is an error naming it, never a fallback', { timeout: 60_000 }, () => {
  test('DATABASE_URL', async () => {
    const port = await freePort(55400, 55449)
    const url = `postgres://postgres:secret@127.0.0.1:${port}/techmart`
    const s = start(bareEnv({ DATABASE_URL: url, PORT: String(await freePort(3750, 3799)) }))
    assert.equal(await s.launch.exited, 2)
    assert.match(s.output(), new RegExp(`DATABASE_URL=postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/techmart does not answer`))
    assert.doesNotMatch(s.output(), /secret|the embedded PostgreSQL/)
  })

  test('REDIS_URL', async () => {
    const port = await freePort(55400, 55449)
    const s = start(bareEnv({ REDIS_URL: `redis://127.0.0.1:${port}`, DATABASE_EMBEDDED: 'true', PORT: String(await freePort(3750, 3799)) }))
    assert.equal(await s.launch.exited, 2)
    assert.match(s.output(), new RegExp(`REDIS_URL=redis://127\\.0\\.0\\.1:${port} does not answer`))
    assert.doesNotMatch(s.output(), /the embedded PostgreSQL/)
  })
})
