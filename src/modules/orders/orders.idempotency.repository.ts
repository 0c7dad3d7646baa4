import { sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { timedQuery } from '../../lib/observability/index.js'

type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

export interface KeyScope { userId: number, key: string, fingerprint: string }

export interface StoredKey {
  fingerprint: string
  /** Null while the first request is still running. */
  statusCode: number | null
  response: unknown
}

/**
 * Rows of `idempotency_keys`. A claim is identified by its `created_at`
 * (microsecond text, the "claim token"): completing or releasing a key
 * only touches the claim that is still the caller's.
 */
export function createIdempotencyRepository (db: Database) {
  return {
    /**
     * Claims the key in its own autocommitted statement, so a concurrent
     * duplicate sees it at once. Takes over a row that has expired, or an
     * unfinished one older than `staleAfterS` with the same fingerprint (its
     * process died). Returns the claim token, or undefined when another live row holds the key.
     */
    async claim (scope: KeyScope, ttlS: number, staleAfterS: number, ex: Executor = db): Promise<string | undefined> {
      const [row] = await timedQuery('orders.idempotency_claim', ex.execute<{ token: string }>(sql`
        INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, expires_at)
        VALUES (${scope.userId}::int, ${scope.key}, ${scope.fingerprint}, now() + make_interval(secs => ${ttlS}::int))
        ON CONFLICT (user_id, key) DO UPDATE
          SET fingerprint = excluded.fingerprint, status_code = NULL, response = NULL,
              created_at = now(), expires_at = excluded.expires_at
          WHERE k.expires_at <= now()
             OR (k.status_code IS NULL AND k.fingerprint = excluded.fingerprint
                 AND k.created_at < now() - make_interval(secs => ${staleAfterS}::int))
        RETURNING k.created_at::text AS token`))
      return row?.token
    },

    /** The live (unexpired) row for the key. */
    async find (scope: KeyScope, ex: Executor = db): Promise<StoredKey | undefined> {
      const [row] = await timedQuery('orders.idempotency_find', ex.execute<{ fingerprint: string, status_code: number | null, response: unknown }>(sql`
        SELECT fingerprint, status_code, response FROM idempotency_keys
        WHERE user_id = ${scope.userId} AND key = ${scope.key} AND expires_at > now()`))
      return row ? { fingerprint: row.fingerprint, statusCode: row.status_code, response: row.response } : undefined
    },

    /**
     * Stores a refusal (a 409 conflict) on the caller's claim; false when the claim is no
     * longer the caller's. A placed order's 201 is stored by `place_order` itself.
     */
    async complete (scope: KeyScope, token: string, statusCode: number, response: unknown, ex: Executor = db): Promise<boolean> {
      const rows = await timedQuery('orders.idempotency_complete', ex.execute(sql`
        UPDATE idempotency_keys SET status_code = ${statusCode}::smallint, response = ${JSON.stringify(response)}::jsonb
        WHERE user_id = ${scope.userId} AND key = ${scope.key} AND created_at = ${token}::timestamptz AND status_code IS NULL
        RETURNING 1`))
      return rows.length > 0
    },

    /** Frees the key after a failure that a retry may not repeat (a 5xx, a 4xx other than 409) so the retry runs. */
    async release (scope: KeyScope, token: string, ex: Executor = db): Promise<void> {
      await timedQuery('orders.idempotency_release', ex.execute(sql`
        DELETE FROM idempotency_keys
        WHERE user_id = ${scope.userId} AND key = ${scope.key} AND created_at = ${token}::timestamptz AND status_code IS NULL`))
    },

    /** Deletes up to `limit` expired rows; returns how many. */
    async purgeExpired (limit: number, ex: Executor = db): Promise<number> {
      const result = await timedQuery('orders.idempotency_purge', ex.execute(sql`
        DELETE FROM idempotency_keys WHERE (user_id, key) IN (
          SELECT user_id, key FROM idempotency_keys WHERE expires_at <= now() LIMIT ${limit}::int)`))
      return result.count
    }
  }
}
