import type { RedisDecorator } from '../plugins/redis.js'

/**
 * Runs `job` on one instance per period: the first instance to `SET key NX
 * PX ttl` runs it and the others skip until the key expires. The key is
 * not released afterwards, so the period is the TTL whatever the job's
 * duration. Jobs passed here are idempotent, so while Redis is unreachable
 * every instance runs them rather than none (`degraded: true`).
 */
export async function runExclusive (redis: RedisDecorator, key: string, holder: string, ttlMs: number, job: () => Promise<void>): Promise<{ ran: boolean, degraded: boolean }> {
  if (!redis.isReady()) {
    await job()
    return { ran: true, degraded: true }
  }
  let won: boolean
  try {
    won = (await redis.client.set(key, holder, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK'
  } catch {
    await job()
    return { ran: true, degraded: true }
  }
  if (!won) return { ran: false, degraded: false }
  await job()
  return { ran: true, degraded: false }
}
