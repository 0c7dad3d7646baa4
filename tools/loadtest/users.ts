import { createHmac } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type postgres from 'postgres'
import { hashPassword } from '../../src/public.js'
import type { HttpClient } from './http.js'

/**
 * The virtual users: N distinct demo accounts (`user{i}@techmart.local`, the
 * seed's naming), each with its own access token, hence its own rate-limit
 * budget, as real traffic would have.
 *
 * Tokens come one of two ways:
 * - `mint` (default, local servers): signed here with the server's own
 *   JWT_SECRET, read from the same configuration the server reads. One token
 *   is checked against the API before the run, so a wrong secret fails fast.
 * - `login`: real `POST /auth/login` calls, a few at a time (scrypt costs the
 *   server ~50 ms of CPU each), cached in .data/loadtest-tokens.json per base
 *   URL until they are close to expiry. Login is limited to 10 a minute per
 *   address, so the first login of 1000 users needs the server started once
 *   with a login budget sized for it through the ordinary setting, e.g.
 *   RATE_LIMIT_ROUTES='POST /api/v1/auth/login=2000/60' (limits stay on,
 *   nothing is whitelisted); later runs reuse the cache with the shipped limits.
 */

export type AuthMode = 'mint' | 'login'

export interface VirtualUser {
  index: number
  id: number
  email: string
  token: string
}

export const TOKEN_CACHE_FILE = path.join('.data', 'loadtest-tokens.json')
const LOGIN_CONCURRENCY = 4
/** A cached token is reused only if it stays valid this long past the run's end. */
const TOKEN_MARGIN_S = 300

export function userEmail (n: number): string {
  return `user${n}@techmart.local`
}

type AccountRow = { id: number, email: string, usable: boolean }

async function findAccounts (sql: postgres.Sql, from: number, to: number): Promise<Map<string, AccountRow>> {
  const emails = Array.from({ length: to - from + 1 }, (_, i) => userEmail(from + i))
  const rows = await sql<AccountRow[]>`
    SELECT id, lower(email) AS email, (is_active AND user_type = 'customer') AS usable
    FROM users WHERE lower(email) = ANY(${emails})`
  return new Map(rows.map((r) => [r.email, r]))
}

async function insertAccounts (sql: postgres.Sql, emails: string[], password: string): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  if (emails.length === 0) return ids
  const hash = await hashPassword(password)
  for (let i = 0; i < emails.length; i += 1000) {
    const rows = emails.slice(i, i + 1000).map((email) => {
      const name = email.slice(0, email.indexOf('@'))
      return { username: name, email, password_hash: hash, first_name: 'Load', last_name: name, user_type: 'customer', is_active: true }
    })
    const inserted = await sql<{ id: number, email: string }[]>`
      INSERT INTO users ${sql(rows)} ON CONFLICT DO NOTHING RETURNING id, lower(email) AS email`
    for (const r of inserted) ids.set(r.email, r.id)
  }
  return ids
}

/**
 * Picks `count` active customer accounts among user1, user2, ... in order,
 * skipping the few the seed made inactive, and inserts the numbers that do
 * not exist yet (active customers sharing one hash of `password`).
 */
export async function ensureUsers (sql: postgres.Sql, count: number, password: string): Promise<{ id: number, email: string }[]> {
  const chosen: { id: number, email: string }[] = []
  let from = 1
  while (chosen.length < count) {
    const to = from + Math.ceil((count - chosen.length) * 1.05) + 10
    const existing = await findAccounts(sql, from, to)
    const missing: string[] = []
    const picks: string[] = []
    for (let n = from; n <= to && picks.length < count - chosen.length; n++) {
      const email = userEmail(n)
      const row = existing.get(email)
      if (row && !row.usable) continue
      if (!row) missing.push(email)
      picks.push(email)
    }
    const created = await insertAccounts(sql, missing, password)
    for (const email of picks) {
      const id = existing.get(email)?.id ?? created.get(email)
      // A concurrent insert or a username clash: skip the number, the loop picks another.
      if (id !== undefined) chosen.push({ id, email })
    }
    from = to + 1
  }
  return chosen
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url')

/** An HS256 JWT with the claims the server's auth plugin signs (`sub`, `role`, `iat`, `exp`). */
export function mintToken (secret: string, user: { id: number, role: string }, ttlS: number): string {
  const now = Math.floor(Date.now() / 1000)
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const payload = b64url(JSON.stringify({ sub: String(user.id), role: user.role, iat: now, exp: now + ttlS }))
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

type TokenCache = Record<string, Record<string, { token: string, expiresAt: number }>>

async function readCache (): Promise<TokenCache> {
  try {
    return JSON.parse(await readFile(TOKEN_CACHE_FILE, 'utf8')) as TokenCache
  } catch {
    return {}
  }
}

async function writeCache (cache: TokenCache): Promise<void> {
  await mkdir(path.dirname(TOKEN_CACHE_FILE), { recursive: true })
  const tmp = `${TOKEN_CACHE_FILE}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(cache), { mode: 0o600 })
  await rename(tmp, TOKEN_CACHE_FILE)
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

export interface LoginOptions {
  http: HttpClient
  baseUrl: string
  password: string
  /** Seconds the tokens must stay valid (the run's length). */
  neededForS: number
  onProgress?: (done: number, total: number) => void
}

/** Logs `accounts` in through the API (cached per base URL); returns tokens in the same order. */
export async function loginAll (accounts: readonly { email: string }[], opts: LoginOptions): Promise<string[]> {
  const cache = await readCache()
  const forServer = cache[opts.baseUrl] ?? {}
  cache[opts.baseUrl] = forServer
  const validUntil = Date.now() / 1000 + opts.neededForS + TOKEN_MARGIN_S
  let done = 0
  const tokens = await mapLimit(accounts, LOGIN_CONCURRENCY, async ({ email }) => {
    const cached = forServer[email]
    if (cached && cached.expiresAt > validUntil) {
      opts.onProgress?.(++done, accounts.length)
      return cached.token
    }
    const res = await opts.http.request({ method: 'POST', path: '/api/v1/auth/login', body: { email, password: opts.password }, read: 'json' })
    if (res.status === 429) {
      throw new Error("POST /auth/login answered 429: login is limited to 10 a minute per address. Start the server once with RATE_LIMIT_ROUTES='POST /api/v1/auth/login=2000/60' to fill the token cache, or use --auth mint")
    }
    const body = res.body as { access_token?: string, expires_in?: number } | undefined
    if (res.status !== 200 || !body?.access_token) throw new Error(`Login of ${email} failed: HTTP ${res.status || res.error}`)
    forServer[email] = { token: body.access_token, expiresAt: Math.floor(Date.now() / 1000) + (body.expires_in ?? 3600) }
    opts.onProgress?.(++done, accounts.length)
    return body.access_token
  })
  await writeCache(cache)
  return tokens
}
