import type { Sql } from './client.js'

export interface ReplicaWindowOptions {
  primary: Sql
  /** The read pool: a replica, or the primary itself when none is configured. */
  replica: Sql
  /** How long after a write reads go to the primary (REPLICA_LAG_WINDOW_MS); 0 = never. */
  windowMs: number
  /** @default Date.now */
  now?: () => number
}

export interface ReplicaWindow {
  /** Reads through this go to the primary within the window after a write, else to the replica. */
  sql: Sql
  /** A write was just made (here or on another instance): open, or extend, the window. */
  markWrite: () => void
  /** Which pool a read started now would use. */
  target: () => 'primary' | 'replica'
}

type AnyFn = (...args: unknown[]) => unknown

/**
 * Read-after-write over a lagging replica: for `windowMs` after each write
 * the read pool is the primary, so nothing read just after a write (and then
 * cached for a TTL) comes from a replica that has not replayed it yet. The
 * window is per process and covers every read through `sql`, since which
 * cached pages a write affects is not known before reading them. Without a
 * replica, or with a zero window, `sql` is the read pool itself.
 */
export function createReplicaWindow (opts: ReplicaWindowOptions): ReplicaWindow {
  const now = opts.now ?? Date.now
  if (opts.replica === opts.primary || opts.windowMs === 0) {
    const target = opts.replica === opts.primary ? 'primary' as const : 'replica' as const
    return { sql: opts.replica, markWrite: () => {}, target: () => target }
  }
  let primaryUntil = 0
  const pick = (): Sql => now() < primaryUntil ? opts.primary : opts.replica
  // A tagged-template call and every property (unsafe, begin, array, ...) go to the pool chosen at that moment.
  const sql = new Proxy(opts.replica, {
    apply: (_target, thisArg, args) => Reflect.apply(pick() as unknown as AnyFn, thisArg, args),
    get: (_target, prop) => Reflect.get(pick(), prop)
  })
  return {
    sql,
    markWrite: () => { primaryUntil = now() + opts.windowMs },
    target: () => pick() === opts.primary ? 'primary' : 'replica'
  }
}
