import type postgres from 'postgres'
import { createCatalogSampler, loadCatalog, type CatalogSampler } from './data.js'
import { prepareFlashSale, type FlashSale } from './flash-sale.js'
import type { HttpClient } from './http.js'
import { spikePoolSize } from './open-model.js'
import type { LoadTestOptions } from './options.js'
import { createRng, deriveSeed } from './prng.js'
import type { Scenario } from './scenarios.js'
import { ensureUsers, loginAll, mintToken, type VirtualUser } from './users.js'

/**
 * Everything before the first scheduled request: the server is up, the
 * catalogue sample is read, the accounts exist and hold tokens, one token is
 * proven against the API, and the scenario's own setup is done.
 */

export interface Prepared {
  catalog: CatalogSampler
  users: VirtualUser[]
  /** Bearer for /metrics (METRICS_TOKEN or an admin access token). */
  metricsToken: string
  /** Admin access token for the monitoring API (profiles), or '' when none could be had. */
  adminToken: string
  flash?: FlashSale
}

const ADMIN_EMAIL = 'admin@techmart.local'

async function checkServer (http: HttpClient, baseUrl: string): Promise<void> {
  const res = await http.request({ method: 'GET', path: '/health/ready' })
  if (res.status !== 200) throw new Error(`The server at ${baseUrl} is not ready (GET /health/ready: ${res.status || res.error})`)
}

async function tokensFor (accounts: { id: number, email: string }[], opts: LoadTestOptions, http: HttpClient, log: (line: string) => void): Promise<string[]> {
  const neededForS = opts.warmupS + opts.durationS + 60
  if (opts.auth === 'mint') {
    const ttl = Math.max(opts.jwtExpiresInS, neededForS + 300)
    return accounts.map((a) => mintToken(opts.jwtSecret, { id: a.id, role: 'customer' }, ttl))
  }
  let last = 0
  return loginAll(accounts, {
    http,
    baseUrl: opts.baseUrl,
    password: opts.password,
    neededForS,
    onProgress: (done, all) => {
      if (done === all || done - last >= 100) {
        last = done
        log(`  logged in ${done}/${all}`)
      }
    }
  })
}

async function adminToken (sql: postgres.Sql, opts: LoadTestOptions, http: HttpClient): Promise<string> {
  if (opts.auth === 'mint') {
    const [admin] = await sql<{ id: number }[]>`
      SELECT id FROM users WHERE user_type = 'admin' AND is_active ORDER BY (lower(email) = ${ADMIN_EMAIL}) DESC, id LIMIT 1`
    return admin ? mintToken(opts.jwtSecret, { id: admin.id, role: 'admin' }, opts.warmupS + opts.durationS + 600) : ''
  }
  const res = await http.request({ method: 'POST', path: '/api/v1/auth/login', body: { email: ADMIN_EMAIL, password: opts.password }, read: 'json' })
  return res.status === 200 ? ((res.body as { access_token?: string }).access_token ?? '') : ''
}

/** Proves a token against the API so a wrong JWT_SECRET or a missing account fails before the run. */
async function checkToken (http: HttpClient, user: VirtualUser): Promise<void> {
  const res = await http.request({ method: 'GET', path: '/api/v1/users/profile', token: user.token })
  if (res.status !== 200) {
    throw new Error(`GET /users/profile as ${user.email} answered ${res.status || res.error}: with --auth mint the load test must use the server's JWT_SECRET`)
  }
}

export async function prepare (sql: postgres.Sql, http: HttpClient, opts: LoadTestOptions, scenario: Scenario, log: (line: string) => void): Promise<Prepared> {
  await checkServer(http, opts.baseUrl)
  const catalog = createCatalogSampler(await loadCatalog(sql), opts.seed, opts.zipf)
  const d = catalog.data
  log(`catalogue: ${d.productIds.length} products (${d.buyableIds.length} well stocked), ${d.categoryIds.length} categories, ${d.words.length} search words`)
  const accountCount = scenario.spikeFactor ? spikePoolSize(opts.users, scenario.spikeFactor) : opts.users
  const accounts = await ensureUsers(sql, accountCount, opts.password)
  log(`users: ${accounts.length} accounts ready, ${opts.auth === 'mint' ? 'minting tokens with the server\'s JWT secret' : 'logging in through the API'}`)
  const tokens = await tokensFor(accounts, opts, http, log)
  const users = accounts.map((a, index) => ({ index, id: a.id, email: a.email, token: tokens[index] }))
  await checkToken(http, users[0])
  const admin = await adminToken(sql, opts, http)
  const metricsToken = opts.metricsToken || admin
  let flash: FlashSale | undefined
  if (scenario.oneVisit) {
    const stock = opts.flashStock ?? Math.max(1, Math.floor(opts.users / 20))
    flash = await prepareFlashSale(sql, http, users, d.buyableIds, stock, createRng(deriveSeed(opts.seed, 'flash')))
    log(`flash sale: product ${flash.productId} now has ${flash.stock} units (was ${flash.originalStock}); ${users.length} carts emptied`)
  }
  return { catalog, users, metricsToken, adminToken: admin, flash }
}
