import { TAXONOMY_SIZE } from './categories.js'

/** How much demo data to build; every count is exact unless noted. */
export interface SeedSizes {
  /** Products over the leaf categories. @default 50000 */
  products: number
  /** Categories in a 2–3 level tree, at most `TAXONOMY_SIZE` (the hand-written taxonomy). @default 100 */
  categories: number
  /** Users: 3 demo accounts, ~1% sellers, a few admins, the rest customers `user{N}`. @default 10000 */
  users: number
  /** Orders over the last 90 days, 1–5 items each. @default 100000 */
  orders: number
  /** Reviews, unique per (user, product). @default 200000 */
  reviews: number
  /** Customers with 1–3 cart items. @default 2000 */
  carts: number
  /** PRNG seed: the same seed rebuilds the same data. @default 42 */
  seed: number
}

export interface SeedOptions extends SeedSizes {
  /** Password of every seeded account (hashed once). */
  demoPassword: string
  /** The instant timestamps are relative to (orders in the 90 days before it). @default new Date() */
  now?: Date
}

export const DEFAULT_SEED_SIZES: Readonly<SeedSizes> = Object.freeze({
  products: 50_000,
  categories: 100,
  users: 10_000,
  orders: 100_000,
  reviews: 200_000,
  carts: 2_000,
  seed: 42
})

// Upper bounds catch typos (an extra zero or two) and keep within what the
// generators hold in memory: the delivered (user, product) pairs of the orders
// and the reviewed pairs live in a Map/Set, which V8 caps at 2^24 entries.
const LIMITS: Record<keyof SeedSizes, [number, number]> = {
  products: [1, 5_000_000],
  categories: [2, TAXONOMY_SIZE],
  users: [10, 2_000_000],
  orders: [0, 5_000_000],
  reviews: [0, 10_000_000],
  carts: [0, 2_000_000],
  seed: [0, 2 ** 32 - 1]
}

/** Bad seed options; `problems` maps each option name to what is wrong with it. */
export class SeedOptionsError extends Error {
  constructor (readonly problems: Partial<Record<keyof SeedOptions, string>>) {
    super(`Invalid seed options: ${Object.entries(problems).map(([k, v]) => `${k} ${v}`).join('; ')}`)
    this.name = 'SeedOptionsError'
  }
}

/** The users of each kind for a total of `users` (demo accounts are ids 1–3). */
export function userMix (users: number): { sellers: number, admins: number, customers: number } {
  const sellers = Math.max(1, Math.round(users * 0.01))
  const admins = Math.min(5, Math.max(1, Math.round(users / 2000)))
  return { sellers, admins, customers: users - 3 - sellers - admins }
}

/** Throws a `SeedOptionsError` naming every option that is out of range or inconsistent. */
export function validateSeedOptions (options: SeedOptions): void {
  const problems: Partial<Record<keyof SeedOptions, string>> = {}
  for (const [key, [min, max]] of Object.entries(LIMITS) as [keyof SeedSizes, [number, number]][]) {
    const value = options[key]
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems[key] = `must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')} (got ${String(value)})`
    }
  }
  if (typeof options.demoPassword !== 'string' || options.demoPassword.length < 8) problems.demoPassword = 'must be at least 8 characters'
  if (options.now !== undefined && Number.isNaN(options.now.getTime())) problems.now = 'must be a valid date'
  if (Object.keys(problems).length === 0) checkCapacity(options, problems)
  if (Object.keys(problems).length > 0) throw new SeedOptionsError(problems)
}

// Reviews and carts need enough distinct (user, product) pairs and shoppers.
function checkCapacity (options: SeedOptions, problems: Partial<Record<keyof SeedOptions, string>>): void {
  const shoppers = userMix(options.users).customers + 1
  const pairs = shoppers * Math.floor(options.products * 0.9)
  if (options.reviews > pairs / 4) {
    problems.reviews = `must be at most a quarter of the possible (customer, product) pairs, ${Math.floor(pairs / 4).toLocaleString('en-US')} for these sizes (got ${options.reviews})`
  }
  if (options.carts > shoppers) problems.carts = `must be at most the number of customers, ${shoppers.toLocaleString('en-US')} for these sizes (got ${options.carts})`
}
