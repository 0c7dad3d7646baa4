import type postgres from 'postgres'
import { dbAcquireChannel, requestContext, type RequestTimings } from '../observability/index.js'

/**
 * Connection-pool figures for postgres.js, which has no public pool-stats
 * API (its connection queues are private). We count at the client boundary
 * instead, by wrapping the `Sql` object:
 *  - `pending`: queries issued through it (tagged templates, `unsafe`, `file`,
 *    and so every Drizzle query) from the moment they are awaited until they
 *    settle — each needs a connection while it runs;
 *  - `reserved`: connections held by `begin()` transactions and `reserve()`
 *    (queries inside a transaction use its connection and are not counted
 *    again);
 *  - `in_use` = min(size, reserved + pending); `waiting` = the excess, i.e.
 *    queries that could not have a connection to themselves: postgres.js
 *    either queues them or pipelines them behind another query on a busy
 *    connection — both mean waiting for a connection's turn;
 *  - acquire time: from `begin()`/`reserve()` to holding the connection
 *    (for `begin()` this includes the BEGIN round trip), published on
 *    'techmart:db:acquire'. Plain queries have no separate acquire step in
 *    postgres.js; their wait is part of their measured query duration, and
 *    in a request the part spent before the query runs is added to the
 *    request's `dbWaitMs` (`measureWait`).
 * Not counted: cursors and `forEach` streams, and queries made directly on a
 * transaction's or reservation's own handle (the connection is already
 * counted as reserved).
 */

export interface PoolStats {
  size: number
  inUse: number
  free: number
  waiting: number
  reserved: number
  pending: number
}

export interface PoolPeaks { inUse: number, waiting: number }

export interface PoolMonitor {
  stats: () => PoolStats
  /** Highest in_use / waiting since the previous call (the sampler calls it once a second). */
  takePeaks: () => PoolPeaks
}

export interface DbAcquireEvent {
  /** 'transaction' for begin(), 'reserve' for reserve(). */
  kind: 'transaction' | 'reserve'
  durationMs: number
  ok: boolean
}

type AnyFn = (...args: unknown[]) => unknown

/**
 * Watches `query` until its connection starts on it and adds the time until
 * then to the request's `dbWaitMs`. postgres.js sets a query's `active` flag
 * at that moment (at once on an idle connection; after the queries ahead of
 * it when it was queued, or pipelined on a busy connection) and gives no
 * other sign of it, so the flag becomes an accessor. A query that fails
 * without ever running waited its whole time. Returns the settle callback.
 */
function measureWait (query: object, timings: RequestTimings, settle: () => void): () => void {
  const issued = performance.now()
  let active = false
  let waitedMs: number | undefined
  Object.defineProperty(query, 'active', {
    configurable: true,
    enumerable: true,
    get: () => active,
    set: (value: boolean) => {
      active = value
      if (value && waitedMs === undefined) waitedMs = performance.now() - issued
    }
  })
  return () => {
    timings.dbWaitMs += waitedMs ?? performance.now() - issued
    settle()
  }
}

/** Wraps `sql` so every query and reservation through it is counted. Returns the wrapped client and its monitor. */
export function instrumentPool<S extends postgres.Sql> (sql: S, size: number): { sql: S, monitor: PoolMonitor } {
  let pending = 0
  let reserved = 0
  let peakInUse = 0
  let peakWaiting = 0

  const changed = () => {
    const busy = reserved + pending
    const inUse = Math.min(size, busy)
    if (inUse > peakInUse) peakInUse = inUse
    if (busy - inUse > peakWaiting) peakWaiting = busy - inUse
  }
  const settle = () => { pending--; changed() }

  // postgres.js queries are lazy promises: they run when first awaited
  // (`then`) or `execute()`d, and a query used as a fragment of another is
  // never run on its own. So counting starts there, not at creation.
  const track = (result: unknown): unknown => {
    if (!(result instanceof Promise)) return result
    const query = result as unknown as { then: AnyFn, execute: AnyFn }
    const originalThen = query.then
    const originalExecute = query.execute
    let started = false
    const start = () => {
      if (started) return
      started = true
      pending++
      changed()
      const timings = requestContext.getStore()
      const done = timings === undefined ? settle : measureWait(query, timings, settle)
      originalThen.call(query, done, done)
    }
    query.then = function (this: unknown, ...args: unknown[]) {
      start()
      return originalThen.apply(this, args)
    }
    query.execute = function (this: unknown, ...args: unknown[]) {
      start()
      return originalExecute.apply(this, args)
    }
    return query
  }

  const acquired = (kind: DbAcquireEvent['kind'], started: number, ok: boolean) => {
    if (dbAcquireChannel.hasSubscribers) {
      dbAcquireChannel.publish({ kind, durationMs: performance.now() - started, ok } satisfies DbAcquireEvent)
    }
  }

  const begin = (...args: unknown[]) => {
    let holding = false
    const release = () => { if (holding) { holding = false; reserved--; changed() } }
    const started = performance.now()
    const fn = args[args.length - 1] as AnyFn
    args[args.length - 1] = (tx: unknown) => {
      holding = true
      reserved++
      changed()
      acquired('transaction', started, true)
      return fn(tx)
    }
    const outcome = (sql.begin as AnyFn)(...args) as Promise<unknown>
    outcome.then(release, () => {
      if (!holding) acquired('transaction', started, false)
      release()
    })
    return outcome
  }
  const reserve = async () => {
    const started = performance.now()
    let handle: postgres.ReservedSql
    try {
      handle = await sql.reserve()
    } catch (err) {
      acquired('reserve', started, false)
      throw err
    }
    acquired('reserve', started, true)
    reserved++
    changed()
    const release = handle.release
    let released = false
    handle.release = () => {
      if (!released) { released = true; reserved--; changed() }
      release()
    }
    return handle
  }

  const unsafe = (...args: unknown[]) => track((sql.unsafe as AnyFn)(...args))
  const file = (...args: unknown[]) => track((sql.file as AnyFn)(...args))
  const overrides: Record<string | symbol, unknown> = { begin, reserve, unsafe, file }

  const proxy = new Proxy(sql, {
    apply: (target, thisArg, args) => track(Reflect.apply(target as AnyFn, thisArg, args)),
    get: (target, prop, receiver) => prop in overrides ? overrides[prop] : Reflect.get(target, prop, receiver)
  })

  return {
    sql: proxy,
    monitor: {
      stats: () => {
        const inUse = Math.min(size, reserved + pending)
        return { size, inUse, free: size - inUse, waiting: reserved + pending - inUse, reserved, pending }
      },
      takePeaks: () => {
        const peaks = { inUse: peakInUse, waiting: peakWaiting }
        const inUse = Math.min(size, reserved + pending)
        peakInUse = inUse
        peakWaiting = reserved + pending - inUse
        return peaks
      }
    }
  }
}
