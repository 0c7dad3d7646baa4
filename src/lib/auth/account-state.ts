/**
 * The state of an account that decides whether its access tokens still
 * stand: the role, whether it is active, and the token version its tokens
 * must carry (bumped on deactivation, role change, password change and
 * logout; see migration 0011).
 */
export interface AccountState {
  role: 'customer' | 'seller' | 'admin'
  active: boolean
  tokenVersion: number
}

export type AccountLoader = (userId: number) => Promise<AccountState | undefined>

interface Entry { state: Promise<AccountState | undefined>, expiresAtMs: number }

/**
 * An in-process cache of account states in front of one indexed lookup
 * (`users` by primary key). Every authenticated request checks its token
 * against it. A change made anywhere (this instance, another one, psql) is
 * dropped at commit by `forget`, called on the database's account-change
 * notice (plugins/auth.ts); `ttlMs` bounds the staleness when notices are
 * unavailable.
 * Concurrent requests of one user share one lookup (single-flight); a failed
 * lookup is not cached. Bounded: the oldest entries go first.
 */
export class AccountStateCache {
  private readonly entries = new Map<number, Entry>()

  /**
   * @param load reads the state from the database (undefined: no such account)
   * @param ttlMs how long a state is trusted; 0 reads the database on every request
   * @param maxEntries bound of the cache
   */
  constructor (private readonly load: AccountLoader, private readonly ttlMs: number, private readonly maxEntries: number) {}

  /** The account's state, from the cache while it is younger than the TTL. */
  get (userId: number, nowMs = Date.now()): Promise<AccountState | undefined> {
    const cached = this.entries.get(userId)
    if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.state
    const state = this.load(userId)
    if (this.ttlMs <= 0) return state
    if (cached === undefined && this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as number)
    const entry = { state, expiresAtMs: nowMs + this.ttlMs }
    this.entries.set(userId, entry)
    state.catch(() => { if (this.entries.get(userId) === entry) this.entries.delete(userId) })
    return state
  }

  /** Drops every cached state (after missed change notices). */
  clear (): void {
    this.entries.clear()
  }

  /** Drops the cached state of an account, so its next request reads the database. */
  forget (userId: number): void {
    this.entries.delete(userId)
  }
}
