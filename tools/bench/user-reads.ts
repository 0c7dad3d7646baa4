/**
 * `npm run bench:user-reads`: throughput of the per-user reads (GET /cart,
 * GET /users/profile, GET /orders?page=1&page_size=10) of a running server,
 * each request carrying the token of the next of `--users` customers, and
 * the CPU a cart read would cost if it were composed from the cached product
 * details instead of cached whole.
 *
 *   npm run bench:user-reads -- [--url http://127.0.0.1:3000] [--route cart|profile|orders] [--users 2000]
 *                               [--connections 100] [--duration 10] [--warmup 3] [--server-pid PID]
 *
 * Start the server first, as `npm start` runs it, with a per-user budget on
 * the benchmarked route that a benchmark user (who sends far more than a
 * shopper) does not exhaust, e.g.
 *   PORT=4310 RATE_LIMIT_ROUTES='GET /api/v1/cart=3000/60' npm start
 * Users are the seeded customers that have a cart (the demo database has
 * 2,000), read from DATABASE_URL; tokens are signed with JWT_SECRET, as the
 * server reads them. Nothing is written. Every user's route is read once
 * before the measured run (the warm-up fills the cache). Prints requests/s,
 * client latency, non-2xx answers, the server's CPU time per request (with
 * `--server-pid`, Linux), how the server says it answered
 * (Server-Timing `cache;desc=` of a sample of requests after the run), and
 * the compose measurement: for a sample of carts, the time to parse each
 * line's cached product detail and build and serialize the cart from them
 * (what every cart read would cost on top of a cache lookup if product data
 * were not cached with the cart), against serializing nothing.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import os from 'node:os'
import postgres from 'postgres'
import { loadConfig } from '../../src/public.js'
import { autocannon } from './common.js'
import { mintToken } from '../loadtest/users.js'

const ROUTES = {
  cart: '/api/v1/cart',
  profile: '/api/v1/users/profile',
  orders: '/api/v1/orders?page=1&page_size=10'
} as const
type RouteName = keyof typeof ROUTES

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    route: { type: 'string', default: 'cart' },
    users: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    // Linux: the server's process id, to report its CPU time per request over the measured run.
    'server-pid': { type: 'string' }
  }
})

const config = loadConfig(process.env)
const base = args.url ?? `http://127.0.0.1:${config.port}`
if (!(args.route! in ROUTES)) throw new Error(`--route must be one of ${Object.keys(ROUTES).join(', ')}`)
const path = ROUTES[args.route as RouteName]

async function customersWithCarts (count: number): Promise<number[]> {
  const sql = postgres(config.databaseUrl, { max: 1, onnotice: () => {} })
  try {
    const rows = await sql<{ id: number }[]>`
      SELECT u.id FROM users u
      WHERE u.is_active AND u.user_type = 'customer' AND u.token_version = 0
        AND EXISTS (SELECT 1 FROM cart_items c WHERE c.user_id = u.id)
      ORDER BY u.id LIMIT ${count}`
    return rows.map((r) => r.id)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** CPU time (user + system) of a process in ms, from /proc (undefined without a pid or off Linux). */
async function cpuMsOf (pid: string | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

async function get (url: string, authorization?: string): Promise<Response> {
  return fetch(url, { headers: authorization ? { authorization } : {} })
}

async function run (authorizations: string[], duration: number): Promise<{ rps: number, p50: number, p975: number, p99: number, non2xx: number, errors: number }> {
  const headers = authorizations.map((authorization) => ({ authorization }))
  let next = 0
  const result = await autocannon({
    url: base,
    connections: Number(args.connections),
    duration,
    requests: [{ setupRequest: (r) => ({ ...r, method: 'GET', path, headers: { ...r.headers, ...headers[next++ % headers.length] } }) }]
  }) as unknown as { requests: { average: number }, latency: { p50: number, p97_5: number, p99: number }, non2xx: number, errors: number }
  return { rps: result.requests.average, p50: result.latency.p50, p975: result.latency.p97_5, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors }
}

/** How the server answered a sample of reads (Server-Timing `cache;desc=`). */
async function cacheAnswers (authorizations: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const authorization of authorizations.slice(0, 200)) {
    const res = await get(base + path, authorization)
    const desc = /cache;desc=(\w+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? 'none'
    counts[desc] = (counts[desc] ?? 0) + 1
    await res.arrayBuffer()
  }
  return counts
}

interface CartLine { product_id: number, quantity: number }
interface Detail { id: number, name: string, slug: string, price: number, sale_price: number | null, effective_price: number, stock_quantity: number, is_active: boolean }

/** Cents from a JSON money number (2 decimals): exact integer arithmetic, as PostgreSQL's numeric would be. */
const cents = (value: number): number => Math.round(value * 100)

/** The cart as GET /cart answers it, composed from the lines and the products' cached detail bodies. */
function compose (lines: CartLine[], bodies: Map<number, string>): string {
  let total = 0
  const items = lines.map((l) => {
    const d = JSON.parse(bodies.get(l.product_id)!) as Detail
    const lineCents = cents(d.effective_price) * l.quantity
    total += lineCents
    return {
      product_id: l.product_id,
      quantity: l.quantity,
      unit_price: d.effective_price,
      line_total: lineCents / 100,
      product: { id: d.id, name: d.name, slug: d.slug, price: d.price, sale_price: d.sale_price, stock_quantity: d.stock_quantity, is_active: d.is_active }
    }
  })
  return JSON.stringify({ items, total: total / 100 })
}

/** µs per cart to compose it from cached product details, over a sample of real carts (details fetched, so cached, first). */
async function composeCost (authorizations: string[]): Promise<{ carts: number, lines: number, usPerCart: number, usPerLine: number } | undefined> {
  const carts: CartLine[][] = []
  const bodies = new Map<number, string>()
  for (const authorization of authorizations.slice(0, 300)) {
    const cart = await (await get(base + ROUTES.cart, authorization)).json() as { items: CartLine[] }
    carts.push(cart.items.map((i) => ({ product_id: i.product_id, quantity: i.quantity })))
    for (const item of cart.items) {
      if (bodies.has(item.product_id)) continue
      const res = await get(`${base}/api/v1/products/${item.product_id}`, authorization)
      if (res.ok) bodies.set(item.product_id, await res.text())
      else await res.arrayBuffer()
    }
  }
  const usable = carts.filter((c) => c.length > 0 && c.every((l) => bodies.has(l.product_id)))
  if (usable.length === 0) return undefined
  const lines = usable.reduce((n, c) => n + c.length, 0)
  const rounds = 200
  for (const c of usable) compose(c, bodies) // warm the JIT
  const started = process.hrtime.bigint()
  for (let r = 0; r < rounds; r++) for (const c of usable) compose(c, bodies)
  const us = Number(process.hrtime.bigint() - started) / 1000
  return { carts: usable.length, lines: lines / usable.length, usPerCart: us / (rounds * usable.length), usPerLine: us / (rounds * lines) }
}

const ids = await customersWithCarts(Number(args.users))
if (ids.length === 0) throw new Error('No active customer with a cart in DATABASE_URL: seed the demo database first (npm run seed)')
const authorizations = ids.map((id) => `Bearer ${mintToken(config.jwtSecret, { id, role: 'customer' }, 3600)}`)
const probe = await get(base + path, authorizations[0])
if (probe.status !== 200) throw new Error(`GET ${path} answered ${probe.status} (${await probe.text()}): is the server at ${base} using this JWT_SECRET and database?`)

// Warm-up: every user's read once (fills the cache), then a short unmeasured run.
for (let i = 0; i < authorizations.length; i += 50) {
  await Promise.all(authorizations.slice(i, i + 50).map(async (a) => { await (await get(base + path, a)).arrayBuffer() }))
}
if (Number(args.warmup) > 0) await run(authorizations, Number(args.warmup))
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ')
const loadBefore = load()
const cpuBefore = await cpuMsOf(args['server-pid'])
const measured = await run(authorizations, Number(args.duration))
const cpuAfter = await cpuMsOf(args['server-pid'])
const loadAfter = load()
const answers = await cacheAnswers(authorizations)
const composed = args.route === 'cart' ? await composeCost(authorizations) : undefined

console.log(`GET ${path}: ${ids.length} users, ${args.connections} connections, ${args.duration} s`)
console.log(`  requests/s ${Math.round(measured.rps)}, latency p50 ${measured.p50} ms, p97.5 ${measured.p975} ms, p99 ${measured.p99} ms, non-2xx ${measured.non2xx}, errors ${measured.errors}`)
if (cpuBefore !== undefined && cpuAfter !== undefined) {
  console.log(`  server CPU ${(((cpuAfter - cpuBefore) * 1000) / (measured.rps * Number(args.duration))).toFixed(0)} µs per request (user + system, 10 ms ticks)`)
}
console.log(`  server's answers on a sample after the run (Server-Timing cache desc): ${JSON.stringify(answers)}`)
console.log(`  load average (1/5/15 min) before ${loadBefore}, after ${loadAfter} (${os.cpus().length} CPUs)`)
if (composed) {
  console.log(`  composing a cart from cached product details: ${composed.usPerCart.toFixed(2)} µs per cart (${composed.lines.toFixed(2)} lines on average, ` +
    `${composed.usPerLine.toFixed(2)} µs per line; ${composed.carts} carts)`)
}
