import type { RedisConnection } from './connection.js'
import { tryAcquireLease } from './lease.js'

/**
 * Runs `job` on one instance per period: the first instance to `SET key NX
 * PX ttl` runs it and the others skip until the key expires. The key is
 * not released afterwards, so the period is the TTL whatever the job's
 * duration. Jobs passed here are idempotent, so while Redis is unreachable
 * every instance runs them rather than none (`degraded: true`).
 */
export async function runExclusive (redis: RedisConnection, key: string, holder: string, ttlMs: number, job: () => Promise<void>): Promise<{ ran: boolean, degraded: boolean }> {
  if (!redis.isReady()) {
    await job()
    return { ran: true, degraded: true }
  }
  let won: boolean
  try {
    won = await tryAcquireLease(redis.client, key, holder, Math.max(1, Math.round(ttlMs)))
  } catch {
    await job()
    return { ran: true, degraded: true }
  }
  if (!won) return { ran: false, degraded: false }
  await job()
  return { ran: true, degraded: false }
}
