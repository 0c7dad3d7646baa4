import type { CopyValue } from './copy.js'
import { userMix } from './options.js'
import { personName, phoneNumber } from './people.js'
import { createRng } from './random.js'
import { DAY_MS, type SeedClock } from './clock.js'

/** Demo accounts (documented in README): always ids 1, 2 and 3. */
export const DEMO_ACCOUNTS = [
  { id: 1, username: 'admin', email: 'admin@techmart.local', role: 'admin', first: 'Demo', last: 'Admin' },
  { id: 2, username: 'seller', email: 'seller@techmart.local', role: 'seller', first: 'Demo', last: 'Seller' },
  { id: 3, username: 'customer', email: 'customer@techmart.local', role: 'customer', first: 'Demo', last: 'Customer' }
] as const

/** `user1` … `user{LOAD_TEST_USERS}` are always active customers: the load test logs in as them. */
export const LOAD_TEST_USERS = 1000

const USER_HISTORY_DAYS = 730

/** Where each kind of user sits in the id space, and the per-user facts later phases need. */
export interface UserPopulation {
  total: number
  sellerIds: { first: number, count: number }
  adminIds: { first: number, count: number }
  customerIds: { first: number, count: number }
  demoSellerId: number
  demoCustomerId: number
  /** Indexed by user id. */
  active: Uint8Array
  /** Sign-up time (ms) by user id. */
  createdAt: Float64Array
}

/** Lays out the id space: demo accounts, sellers, admins, then customers. */
export function planUsers (total: number): UserPopulation {
  const mix = userMix(total)
  const sellerFirst = DEMO_ACCOUNTS.length + 1
  return {
    total,
    sellerIds: { first: sellerFirst, count: mix.sellers },
    adminIds: { first: sellerFirst + mix.sellers, count: mix.admins },
    customerIds: { first: sellerFirst + mix.sellers + mix.admins, count: mix.customers },
    demoSellerId: 2,
    demoCustomerId: 3,
    active: new Uint8Array(total + 1),
    createdAt: new Float64Array(total + 1)
  }
}

function identity (pop: UserPopulation, id: number): { username: string, email: string, role: string, n: number } {
  const demo = DEMO_ACCOUNTS[id - 1]
  if (demo) return { username: demo.username, email: demo.email, role: demo.role, n: 0 }
  const range = id < pop.adminIds.first
    ? ['seller', pop.sellerIds.first] as const
    : id < pop.customerIds.first
      ? ['admin', pop.adminIds.first] as const
      : ['user', pop.customerIds.first] as const
  const n = id - range[1] + 1
  return { username: '', email: `${range[0]}${n}@techmart.local`, role: range[0] === 'user' ? 'customer' : range[0], n }
}

// Never logged in, logged in today, in the last month (recent days weigh more), or any time since sign-up.
function lastLogin (rng: ReturnType<typeof createRng>, clock: SeedClock, createdAt: number, demo: boolean): number | null {
  const r = rng.next()
  if (demo || r < 0.06) return clock.todayStart + rng.next() * (clock.now - clock.todayStart)
  if (r < 0.14) return null
  const at = r < 0.7
    ? clock.now - Math.pow(rng.next(), 2) * 30 * DAY_MS
    : createdAt + rng.next() * (clock.now - createdAt)
  return Math.min(clock.now, Math.max(at, createdAt + 60_000))
}

/**
 * Users for COPY. All share `passwordHash`: scrypt is deliberately slow
 * (~50 ms), so hashing 10,000 passwords one by one would take minutes for
 * no benefit — they are all the same demo password. Sign-up times rise with
 * the id over two years, so the newest customers joined today.
 */
export function * userRows (pop: UserPopulation, seed: number, clock: SeedClock, passwordHash: string): Generator<CopyValue[]> {
  const rng = createRng(seed, 'users')
  const start = clock.now - USER_HISTORY_DAYS * DAY_MS
  const span = USER_HISTORY_DAYS * DAY_MS - 60_000
  for (let id = 1; id <= pop.total; id++) {
    const who = identity(pop, id)
    const demo = id <= DEMO_ACCOUNTS.length
    const name = demo ? { first: DEMO_ACCOUNTS[id - 1].first, last: DEMO_ACCOUNTS[id - 1].last } : personName(seed, id)
    const username = demo ? who.username : `${name.first}.${name.last}.${who.role === 'customer' ? '' : who.role.charAt(0)}${who.n}`.toLowerCase()
    const createdAt = demo ? start : start + ((id - 1 + rng.next()) / pop.total) * span
    // Inactive accounts only among customers beyond the load-test range: those keep logging in.
    const active = !(who.role === 'customer' && who.n > LOAD_TEST_USERS && rng.chance(0.025))
    pop.active[id] = active ? 1 : 0
    pop.createdAt[id] = createdAt
    const login = lastLogin(rng, clock, createdAt, demo)
    const phone = rng.chance(0.7) ? phoneNumber(seed, id) : null
    yield [
      id, username, who.email, passwordHash, name.first, name.last, phone, active, demo || rng.chance(0.92), who.role,
      new Date(createdAt).toISOString(), login === null ? null : new Date(login).toISOString()
    ]
  }
}

export const USER_COLUMNS = [
  'id', 'username', 'email', 'password_hash', 'first_name', 'last_name', 'phone', 'is_active', 'is_verified', 'user_type', 'created_at', 'last_login'
] as const
