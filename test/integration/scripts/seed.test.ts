import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { TEST_DATABASE_URL, ensureTestDb, resetDb } from '../../support/helper.js'
import { verifyPassword } from '../../../src/lib/auth/password.js'
import {
  DEMO_ACCOUNTS, DatabaseNotEmptyError, ResetRefusedError, SeedOptionsError, assertResettable, createProgressPrinter,
  formatSeedSummary, isDatabaseEmpty, seedDatabase, validateSeedOptions, type SeedOptions, type SeedSummary
} from '../../../src/db/seed/index.js'
import { copyRows, formatCopyRow } from '../../../src/db/seed/copy.js'
import { userMix } from '../../../src/db/seed/options.js'
import { TAXONOMY_SIZE, selectCategories } from '../../../src/db/seed/categories.js'

const DEMO_PASSWORD = 'seed-test-password'
const SMALL: SeedOptions = { products: 600, categories: 40, users: 300, orders: 1500, reviews: 2000, carts: 50, seed: 42, demoPassword: DEMO_PASSWORD }
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

let sql: postgres.Sql
let summary: SeedSummary

async function one<T> (query: postgres.PendingQuery<postgres.Row[]>): Promise<T> {
  const [row] = await query
  return Object.values(row)[0] as T
}

// A fingerprint of what the seed decided (not of timestamps, which follow "now").
async function fingerprint (): Promise<{ products: string, orders: string, reviews: string }> {
  const [row] = await sql<{ products: string, orders: string, reviews: string }[]>`
    SELECT
      (SELECT md5(string_agg(concat_ws('|', id, name, price, sale_price, stock_quantity, category_id, seller_id), ',' ORDER BY id)) FROM products) AS products,
      (SELECT md5(string_agg(concat_ws('|', order_id, product_id, quantity, unit_price), ',' ORDER BY id)) FROM order_items) AS orders,
      (SELECT md5(string_agg(concat_ws('|', user_id, product_id, rating, is_verified_purchase), ',' ORDER BY id)) FROM reviews) AS reviews`
  return row
}

before(async () => {
  await ensureTestDb()
  await resetDb()
  sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} })
  summary = await seedDatabase(sql, SMALL)
})

after(() => sql.end({ timeout: 5 }))

describe('seedDatabase at a small size', () => {
  test('writes exactly the requested row counts and reports them', async () => {
    const [c] = await sql`
      SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM categories) AS categories,
             (SELECT count(*)::int FROM products) AS products, (SELECT count(*)::int FROM orders) AS orders,
             (SELECT count(*)::int FROM order_items) AS items, (SELECT count(*)::int FROM reviews) AS reviews,
             (SELECT count(DISTINCT user_id)::int FROM cart_items) AS carts, (SELECT count(*)::int FROM cart_items) AS cart_items`
    assert.deepEqual(c, {
      users: 300, categories: 40, products: 600, orders: 1500, items: summary.orderItems, reviews: 2000, carts: 50, cart_items: summary.cartItems
    })
    assert.equal(summary.products, 600)
    assert.ok(summary.orderItems >= 1500 && summary.orderItems <= 7500)
    assert.match(formatSeedSummary(summary), /^seeded 600 products, 40 categories, 300 users, 1,500 orders \([\d,]+ items\), 2,000 reviews, 50 carts in \d+\.\d s$/)
    assert.equal(await isDatabaseEmpty(sql), false)
  })

  test('money is exact: item totals are unit × quantity and order totals the sum of their items', async () => {
    assert.equal(await one(sql`SELECT count(*)::int FROM order_items WHERE total_price <> unit_price * quantity`), 0)
    assert.equal(await one(sql`
      SELECT count(*)::int FROM orders o
      WHERE o.total_amount <> (SELECT sum(total_price) FROM order_items i WHERE i.order_id = o.id)`), 0)
    assert.equal(await one(sql`SELECT count(*)::int FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)`), 0)
    assert.equal(await one(sql`SELECT count(*)::int FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.quantity NOT BETWEEN 1 AND 5`), 0)
  })

  test('products: valid prices, stock, a sale share, unique slugs and skus, categories that exist below a root', async () => {
    const [p] = await sql`
      SELECT count(*) FILTER (WHERE stock_quantity < 0)::int AS negative_stock,
             count(*) FILTER (WHERE sale_price IS NOT NULL AND sale_price >= price)::int AS bad_sale,
             count(*) FILTER (WHERE price <= 0)::int AS free,
             count(*) FILTER (WHERE sale_price IS NOT NULL)::int AS on_sale,
             count(*) FILTER (WHERE stock_quantity = 0)::int AS out_of_stock,
             count(*) FILTER (WHERE NOT is_active)::int AS inactive,
             count(DISTINCT slug)::int AS slugs, count(DISTINCT sku)::int AS skus, count(DISTINCT brand)::int AS brands
      FROM products`
    assert.equal(p.negative_stock, 0)
    assert.equal(p.bad_sale, 0)
    assert.equal(p.free, 0)
    assert.ok(p.on_sale > 600 * 0.15 && p.on_sale < 600 * 0.35, `on sale: ${p.on_sale}`)
    assert.ok(p.out_of_stock > 0 && p.inactive > 0)
    assert.equal(p.slugs, 600)
    assert.equal(p.skus, 600)
    assert.ok(p.brands > 50, `brands: ${p.brands}`)
    assert.equal(await one(sql`SELECT count(*)::int FROM products p LEFT JOIN categories c ON c.id = p.category_id WHERE c.id IS NULL OR c.parent_id IS NULL`), 0)
    assert.ok(await one<number>(sql`SELECT count(*)::int FROM products WHERE search_vector @@ websearch_to_tsquery('english', 'wireless')`) > 0)
  })

  test('the category tree has 2–3 levels with unique names and slugs', async () => {
    const depth = await one<number>(sql`
      WITH RECURSIVE t AS (SELECT id, 1 AS depth FROM categories WHERE parent_id IS NULL
                           UNION ALL SELECT c.id, t.depth + 1 FROM categories c JOIN t ON c.parent_id = t.id)
      SELECT max(depth) FROM t`)
    assert.ok(depth >= 2 && depth <= 3, `depth ${depth}`)
    for (const n of [2, 8, 40, 100, TAXONOMY_SIZE]) {
      const cats = selectCategories(n)
      assert.equal(cats.length, n)
      assert.equal(new Set(cats.map((c) => c.slug)).size, n)
      assert.ok(cats.every((c) => c.parentId === null || c.parentId < c.id))
      assert.ok(cats.filter((c) => c.depth === 1).every((root) => cats.some((c) => c.parentId === root.id)), `every root has children at ${n}`)
    }
    assert.equal(Math.max(...selectCategories(100).map((c) => c.depth)), 3)
  })

  test('reviews: unique per (user, product), rated 1–5, verified exactly when the user received the product', async () => {
    const [r] = await sql`
      SELECT count(*)::int AS total, count(DISTINCT (user_id, product_id))::int AS pairs,
             count(*) FILTER (WHERE rating NOT BETWEEN 1 AND 5)::int AS bad_rating,
             count(*) FILTER (WHERE is_verified_purchase)::int AS verified,
             avg(rating)::float AS avg
      FROM reviews`
    assert.equal(r.pairs, r.total)
    assert.equal(r.bad_rating, 0)
    assert.ok(r.verified > r.total / 2, `verified ${r.verified} of ${r.total}`)
    assert.ok(r.avg > 3.6 && r.avg < 4.6, `average rating ${r.avg}`)
    assert.equal(await one(sql`
      SELECT count(*)::int FROM reviews r
      WHERE r.is_verified_purchase <> EXISTS (
        SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE o.user_id = r.user_id AND i.product_id = r.product_id AND o.status = 'delivered')`), 0)
    assert.equal(await one(sql`
      SELECT count(*)::int FROM reviews r
      WHERE r.is_verified_purchase AND r.created_at < (
        SELECT min(o.delivered_at) FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE o.user_id = r.user_id AND i.product_id = r.product_id AND o.status = 'delivered')`), 0)
  })

  test('products.rating_avg and rating_count match the approved reviews', async () => {
    assert.equal(await one(sql`
      SELECT count(*)::int FROM products p
      LEFT JOIN (SELECT product_id, round(avg(rating), 2) AS a, count(*) AS c FROM reviews WHERE is_approved GROUP BY product_id) r ON r.product_id = p.id
      WHERE p.rating_count <> coalesce(r.c, 0) OR p.rating_avg <> coalesce(r.a, 0)`), 0)
    assert.ok(await one<number>(sql`SELECT count(*)::int FROM products WHERE rating_count > 0`) > 100)
  })

  test('orders: last 90 days with some today, statuses, payments and dates consistent', async () => {
    const [o] = await sql`
      SELECT count(*) FILTER (WHERE created_at < now() - interval '90 days' OR created_at > now())::int AS out_of_window,
             count(*) FILTER (WHERE created_at >= date_trunc('day', now()))::int AS today,
             count(*) FILTER (WHERE payment_status <> CASE status WHEN 'pending' THEN 'pending'::payment_status WHEN 'cancelled' THEN 'refunded' ELSE 'paid' END)::int AS bad_payment,
             count(*) FILTER (WHERE (status IN ('shipped', 'delivered')) <> (shipped_at IS NOT NULL) OR (status = 'delivered') <> (delivered_at IS NOT NULL))::int AS bad_dates,
             count(*) FILTER (WHERE shipped_at < created_at OR delivered_at < shipped_at OR updated_at < created_at)::int AS backwards,
             count(*) FILTER (WHERE status = 'delivered')::int AS delivered, count(DISTINCT order_number)::int AS numbers
      FROM orders`
    assert.equal(o.out_of_window, 0)
    assert.ok(o.today > 0, 'orders today')
    assert.equal(o.bad_payment, 0)
    assert.equal(o.bad_dates, 0)
    assert.equal(o.backwards, 0)
    assert.ok(o.delivered > 1500 * 0.6, `delivered ${o.delivered}`)
    assert.equal(o.numbers, 1500)
    assert.equal(await one(sql`SELECT count(*)::int FROM orders o JOIN users u ON u.id = o.user_id WHERE u.user_type <> 'customer' OR o.created_at < u.created_at`), 0)
    assert.equal(await one(sql`SELECT count(*)::int FROM order_items i JOIN products p ON p.id = i.product_id WHERE NOT p.is_active`), 0)
  })

  test('users: demo accounts with their roles and the demo password, active load-test customers, unique names', async () => {
    const demo = await sql<{ id: number, email: string, user_type: string, password_hash: string }[]>`SELECT id, email, user_type, password_hash FROM users WHERE id <= 3 ORDER BY id`
    assert.deepEqual(demo.map((u) => [u.id, u.email, u.user_type]), DEMO_ACCOUNTS.map((a) => [a.id, a.email, a.role]))
    assert.equal(await verifyPassword(DEMO_PASSWORD, demo[0].password_hash), true)
    assert.equal(await verifyPassword('wrong-password', demo[0].password_hash), false)
    const loadUsers = Math.min(1000, userMix(300).customers)
    assert.equal(await one(sql`
      SELECT count(*)::int FROM users WHERE email ~ '^user[0-9]+@techmart\\.local$' AND substring(email FROM '^user([0-9]+)@')::int <= 1000
      AND is_active AND user_type = 'customer'`), loadUsers)
    const [u] = await sql`
      SELECT count(DISTINCT lower(username))::int AS usernames, count(*) FILTER (WHERE user_type = 'seller')::int AS sellers,
             count(*) FILTER (WHERE last_login >= date_trunc('day', now()))::int AS active_today
      FROM users`
    assert.equal(u.usernames, 300)
    assert.equal(u.sellers, userMix(300).sellers + 1)
    assert.ok(u.active_today > 0)
  })

  test('carts: 1–3 distinct active in-stock products per customer, never more than the stock', async () => {
    assert.equal(await one(sql`SELECT count(*)::int FROM (SELECT user_id FROM cart_items GROUP BY user_id HAVING count(*) NOT BETWEEN 1 AND 3) x`), 0)
    assert.equal(await one(sql`SELECT count(*)::int FROM cart_items c JOIN products p ON p.id = c.product_id WHERE NOT p.is_active OR c.quantity > p.stock_quantity`), 0)
    assert.ok(await one<number>(sql`SELECT count(*)::int FROM cart_items WHERE user_id = 3`) > 0)
  })

  test('identity sequences continue after the explicit ids', async () => {
    for (const table of ['users', 'products', 'orders', 'order_items', 'reviews', 'cart_items', 'categories']) {
      const [s] = await sql`SELECT last_value, is_called FROM ${sql(`${table}_id_seq`)}`
      const max = await one<number>(sql`SELECT max(id) FROM ${sql(table)}`)
      assert.equal(Number(s.last_value) - (s.is_called ? 0 : 1), max, table)
    }
  })

  test('the seeded tables are vacuumed and analyzed: planner row counts set, pages all-visible', async () => {
    const [p] = await sql`SELECT reltuples::int AS tuples, relallvisible, relpages FROM pg_class WHERE oid = 'products'::regclass`
    assert.equal(p.tuples, 600)
    assert.ok(p.relallvisible > 0 && p.relallvisible === p.relpages, `all-visible ${p.relallvisible} of ${p.relpages}`)
  })

  test('the text indexes dropped for the load are built again, and the search vocabulary is built', async () => {
    const indexes = await sql<{ indexname: string }[]>`
      SELECT indexname FROM pg_indexes WHERE tablename = 'products' AND indexdef ~ ' USING (gin|rum) ' ORDER BY indexname`
    const names = indexes.map((r) => r.indexname)
    for (const name of ['products_name_trgm_idx', 'products_search_vector_idx']) assert.ok(names.includes(name), names.join(', '))
    assert.ok(names.length === 2 || names.length === 4, `GIN, plus RUM where the extension is installed: ${names.join(', ')}`)
    assert.ok(Number(await one(sql`SELECT count(*)::int FROM catalog_search_terms`)) > 0)
    assert.ok(Number(await one(sql`SELECT count(*)::int FROM catalog_search_words`)) > 0)
    // The rebuilt index answers: a product is found by the first word of its name.
    const [row] = await sql<{ name: string }[]>`SELECT name FROM products WHERE is_active ORDER BY id LIMIT 1`
    const word = row.name.split(' ')[0]
    assert.ok(Number(await one(sql`SELECT count(*)::int FROM products WHERE is_active AND search_vector @@ plainto_tsquery('simple', ${word.toLowerCase()})`)) > 0)
  })

  test('refuses to seed a database that already has data', async () => {
    await assert.rejects(seedDatabase(sql, SMALL), DatabaseNotEmptyError)
    assert.equal(await one(sql`SELECT count(*)::int FROM products`), 600)
  })
})

describe('determinism', () => {
  test('the same seed rebuilds identical products, orders and reviews; another seed does not', async () => {
    const first = await fingerprint()
    await resetDb()
    // Through a pool with a request-sized statement_timeout, as the app's own pool has.
    const strict = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {}, connection: { statement_timeout: 50 } })
    try {
      await seedDatabase(strict, SMALL)
      assert.equal(await one(strict`SHOW statement_timeout`), '50ms')
    } finally {
      await strict.end({ timeout: 5 })
    }
    assert.deepEqual(await fingerprint(), first)
    await resetDb()
    await seedDatabase(sql, { ...SMALL, seed: 7 })
    const other = await fingerprint()
    assert.notEqual(other.products, first.products)
    assert.notEqual(other.orders, first.orders)
  })
})

describe('options, guards and building blocks', () => {
  test('bad sizes are rejected with the option named', () => {
    assert.throws(() => validateSeedOptions({ ...SMALL, products: 0 }), (err: SeedOptionsError) => err instanceof SeedOptionsError && 'products' in err.problems)
    assert.throws(() => validateSeedOptions({ ...SMALL, categories: TAXONOMY_SIZE + 1 }), /categories must be a whole number from 2/)
    assert.throws(() => validateSeedOptions({ ...SMALL, users: 1.5 }), /users/)
    assert.throws(() => validateSeedOptions({ ...SMALL, carts: 10_000 }), /carts must be at most the number of customers/)
    assert.throws(() => validateSeedOptions({ ...SMALL, demoPassword: 'short' }), /demoPassword/)
  })

  test('assertResettable refuses a database not named *_test unless forced', () => {
    assert.throws(() => assertResettable('postgres://postgres@127.0.0.1:5432/techmart', false), ResetRefusedError)
    assert.doesNotThrow(() => assertResettable('postgres://postgres@127.0.0.1:5432/techmart_x_test', false))
    assert.doesNotThrow(() => assertResettable('postgres://postgres@127.0.0.1:5432/techmart', true))
  })

  test('COPY text format escapes tabs, newlines, backslashes and NULL, and round-trips through PostgreSQL', async () => {
    const tricky = ['tab\there', 'line\nbreak', 'back\\slash', 'cr\rhere', '\\N literal', 'plain']
    assert.equal(formatCopyRow([1, null, true, 'a\tb\\c\n']), '1\t\\N\tt\ta\\tb\\\\c\\n\n')
    const back = await sql.begin(async (tx) => {
      await tx`CREATE TEMP TABLE copy_probe (id int, v text, b boolean) ON COMMIT DROP`
      await copyRows(tx, 'copy_probe', ['id', 'v', 'b'], [...tricky.map((v, i) => [i, v, i % 2 === 0]), [99, null, false]])
      return tx<{ id: number, v: string | null }[]>`SELECT id, v FROM copy_probe ORDER BY id`
    })
    assert.deepEqual(back.map((r) => r.v), [...tricky, null])
  })

  test('a COPY the server rejects after the last chunk fails with its error instead of hanging', async () => {
    // The foreign key is checked at end of statement, after the client sent CopyDone (porsager/postgres#1173).
    await assert.rejects(
      sql.begin((tx) => copyRows(tx, 'cart_items', ['user_id', 'product_id', 'quantity'], [[999_999, 1, 1]])),
      (err: { code?: string }) => err.code === '23503'
    )
    assert.equal(await one(sql`SELECT 1`), 1)
  })

  test('a generator failure mid-COPY aborts the COPY and the transaction, and the connection stays usable', async () => {
    function * rows (): Generator<[number, string]> {
      for (let i = 0; i < 50_000; i++) {
        if (i === 40_000) throw new Error('generator broke')
        yield [i, 'x'.repeat(20)]
      }
    }
    await assert.rejects(sql.begin(async (tx) => {
      await tx`CREATE TABLE copy_abort_probe (id int, v text)`
      await copyRows(tx, 'copy_abort_probe', ['id', 'v'], rows())
    }), /generator broke/)
    assert.equal(await one(sql`SELECT to_regclass('copy_abort_probe') IS NULL`), true)
    assert.equal(await one(sql`SELECT 1`), 1)
  })

  test('progress: plain lines at 0/25/50/75/100% off a terminal, one redrawn bar on a terminal', () => {
    const lines: string[] = []
    let clock = 0
    const plain = createProgressPrinter({ write: (t) => lines.push(t), isTTY: false }, () => (clock += 10))
    for (let done = 0; done <= 1000; done += 50) plain({ phase: 'products', done, total: 1000 })
    assert.deepEqual(lines.map((l) => l.match(/\((\d+)%\)/)?.[1]), ['0', '25', '50', '75', '100'])
    const out: string[] = []
    const tty = createProgressPrinter({ write: (t) => out.push(t), isTTY: true, columns: 100 }, () => (clock += 200))
    tty({ phase: 'orders', done: 0, total: 10 })
    tty({ phase: 'orders', done: 10, total: 10 })
    tty({ phase: 'orders', done: 10, total: 10 })
    assert.equal(out.length, 2)
    assert.ok(out.every((t) => t.startsWith('\r')))
    assert.match(out[1], /orders\s+\[#{24}\] 10\/10/)
    assert.ok(out[1].endsWith('\n') && !out[0].endsWith('\n'))
  })
})

function runCli (args: string[], env: Record<string, string>): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [`${ROOT}node_modules/tsx/dist/cli.mjs`, 'scripts/seed.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

describe('npm run seed (CLI)', () => {
  test('--reset seeds at the given sizes and prints one summary line with the duration', async () => {
    const res = await runCli(['--reset', '--products', '200', '--categories', '20', '--users', '100', '--orders', '300', '--reviews', '300', '--carts', '10', '--quiet'], { DATABASE_URL: TEST_DATABASE_URL })
    assert.equal(res.code, 0, res.stderr)
    assert.match(res.stdout, /^seeded 200 products, 20 categories, 100 users, 300 orders \([\d,]+ items\), 300 reviews, 10 carts in \d+\.\d s\n$/)
    assert.equal(await one(sql`SELECT count(*)::int FROM products`), 200)
  })

  test('bad flags exit 2 naming the flag; --reset on a non-test database is refused before touching it', async () => {
    const bad = await runCli(['--products', 'lots'], { DATABASE_URL: TEST_DATABASE_URL })
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--products must be a whole number, got 'lots'/)
    const range = await runCli(['--orders', '99999999'], { DATABASE_URL: TEST_DATABASE_URL })
    assert.equal(range.code, 2)
    assert.match(range.stderr, /--orders must be a whole number from 0 to/)
    const refused = await runCli(['--reset'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/techmart_refuse_me' })
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /Refusing to reset database 'techmart_refuse_me'/)
    const exists = await one(sql`SELECT count(*)::int FROM pg_database WHERE datname = 'techmart_refuse_me'`)
    assert.equal(exists, 0)
  })

  test('without --reset it refuses a seeded database, and --if-empty does nothing', async () => {
    const refused = await runCli(['--quiet'], { DATABASE_URL: TEST_DATABASE_URL })
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /already has products; pass --reset/)
    const skipped = await runCli(['--if-empty'], { DATABASE_URL: TEST_DATABASE_URL })
    assert.equal(skipped.code, 0, skipped.stderr)
    assert.match(skipped.stdout, /already has products: nothing to seed/)
    assert.equal(await one(sql`SELECT count(*)::int FROM products`), 200)
  })
})
