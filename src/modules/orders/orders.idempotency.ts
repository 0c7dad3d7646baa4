import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import { classifyError, type ErrorBody, type ErrorDetail } from '../../errors.js'
import { OrdersErrors } from './orders.errors.js'
import { createIdempotencyRepository, type KeyScope } from './orders.idempotency.repository.js'

/** How long a key and its response are kept (the IETF draft suggests at least 24 hours). */
export const IDEMPOTENCY_TTL_S = 24 * 60 * 60
/**
 * An unfinished claim older than this is taken over by a retry: its process
 * died mid-request. Far longer than any order transaction can last with the
 * statement timeout; the takeover is safe anyway (see `Claim`).
 */
export const IDEMPOTENCY_STALE_AFTER_S = 120
const PURGE_BATCH = 5000
const PURGE_MAX_BATCHES = 20
// A duplicate may find the row gone (released) or expired between claim and read; it then claims again.
const CLAIM_ATTEMPTS = 3
const KEY_PATTERN = /^[\x20-\x21\x23-\x7e]{1,255}$/ // printable ASCII without '"'

export interface IdempotentOutcome<T> {
  body: T
  /** True when the stored response of an earlier request is answered again. */
  replayed: boolean
}

/**
 * A stored 4xx answered again: thrown so the error handler sends the very
 * body the first attempt got (its shape, code and details), plus the
 * `Idempotent-Replayed` header.
 */
export class ReplayedError extends Error {
  readonly statusCode: number
  readonly code: string
  readonly details?: ErrorDetail[]
  readonly headers = { 'idempotent-replayed': 'true' }

  constructor (stored: ErrorBody) {
    super(stored.message)
    this.name = 'ReplayedError'
    this.statusCode = stored.statusCode
    this.code = stored.code
    if (stored.details) this.details = stored.details
  }
}

/**
 * The caller's hold on a key, handed to the work: the work completes it with
 * its response in its own transaction (for orders, `place_order` does), or
 * fails with ORDERS_IDEMPOTENCY_IN_PROGRESS when the claim is no longer the
 * caller's (a retry took it over as stale), rolling its writes back.
 */
export interface Claim {
  key: string
  /** The claim's created_at as PostgreSQL text (microseconds): completing needs the very same value. */
  token: string
}

/** Accepts the draft's sf-string form (`"abc"`) and a bare token (`abc`), as clients send both. */
export function parseIdempotencyKey (raw: string): string {
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw
  if (!KEY_PATTERN.test(key)) throw new OrdersErrors.IDEMPOTENCY_KEY_INVALID()
  return key
}

function canonical (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
  }
  return value
}

/** sha256 of the body as canonical JSON (sorted keys), so key order does not change the fingerprint. */
export function fingerprintOf (body: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex')
}

/**
 * Idempotency-Key handling for POST /orders (IETF httpapi idempotency-key
 * draft): claim → run → store the outcome in the order's transaction; a
 * duplicate meanwhile gets 409, a later one the stored response (an order,
 * or a 409 conflict), a different body under the same key 422.
 */
export function createIdempotency ({ db, log }: { db: Database, log: FastifyBaseLogger }) {
  const repo = createIdempotencyRepository(db)

  async function execute<T> (scope: KeyScope, token: string, work: (claim: Claim) => Promise<T>): Promise<IdempotentOutcome<T>> {
    try {
      return { body: await work({ key: scope.key, token }), replayed: false }
    } catch (err) {
      await settleFailure(scope, token, err)
      throw err
    }
  }

  /**
   * A conflict (409, e.g. ORDERS_INSUFFICIENT_STOCK) is final and stored for
   * replay: retrying the same request would take the same decision about the
   * same rows. Any other failure frees the key: a 422 such as an empty cart
   * or a 400 depends on state the client fixes before retrying (filling the
   * cart), and a 5xx on ours, so the retry must run rather than replay.
   */
  async function settleFailure (scope: KeyScope, token: string, err: unknown): Promise<void> {
    const outcome = classifyError(err)
    try {
      if (outcome.statusCode === 409 && outcome.code !== 'ORDERS_IDEMPOTENCY_IN_PROGRESS') {
        await repo.complete(scope, token, outcome.statusCode, outcome)
      } else {
        await repo.release(scope, token)
      }
    } catch (storeErr) {
      // The claim then stays unfinished until it goes stale; retries get 409 until then.
      log.warn({ err: storeErr, userId: scope.userId }, 'could not settle idempotency key after a failed order')
    }
  }

  return {
    async run<T> (scope: KeyScope, work: (claim: Claim) => Promise<T>): Promise<IdempotentOutcome<T>> {
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        const token = await repo.claim(scope, IDEMPOTENCY_TTL_S, IDEMPOTENCY_STALE_AFTER_S)
        if (token) return execute(scope, token, work)
        const stored = await repo.find(scope)
        if (!stored) continue
        if (stored.fingerprint !== scope.fingerprint) throw new OrdersErrors.IDEMPOTENCY_KEY_REUSED(scope.key)
        if (stored.statusCode === null) throw new OrdersErrors.IDEMPOTENCY_IN_PROGRESS(scope.key)
        if (stored.statusCode >= 400) throw new ReplayedError(stored.response as ErrorBody)
        return { body: stored.response as T, replayed: true }
      }
      throw new OrdersErrors.IDEMPOTENCY_IN_PROGRESS(scope.key)
    },

    /** Deletes expired keys in bounded batches; returns how many. */
    async purgeExpired (): Promise<number> {
      let total = 0
      for (let i = 0; i < PURGE_MAX_BATCHES; i++) {
        const n = await repo.purgeExpired(PURGE_BATCH)
        total += n
        if (n < PURGE_BATCH) break
      }
      return total
    }
  }
}

export type Idempotency = ReturnType<typeof createIdempotency>
