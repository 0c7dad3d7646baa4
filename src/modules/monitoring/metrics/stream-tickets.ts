import { tryAcquireLease } from '../../../lib/redis/index.js'
import type { RedisDecorator } from '../../../plugins/redis.js'
import { metricsKeys } from './keys.js'
import { STREAM_TOKEN_TTL_S } from './stream-token.js'

const TICKET_TTL_MS = STREAM_TOKEN_TTL_S * 1000

/**
 * Remembers which stream tokens (by nonce) have opened a stream, so each
 * opens one: `SET NX PX` in Redis, exact across instances, kept as long as
 * the token could still be valid. Without Redis (embedded mode, or an
 * outage) a map in this process does the same for this instance; during
 * an outage a token could then open one stream per instance, still capped
 * per user by the stream hub.
 */
export function createStreamTickets (redis: RedisDecorator, now: () => number = Date.now) {
  const local = new Map<string, number>()

  function consumeLocally (nonce: string): boolean {
    const t = now()
    for (const [n, expires] of local) if (expires <= t) local.delete(n)
    if (local.has(nonce)) return false
    local.set(nonce, t + TICKET_TTL_MS)
    return true
  }

  return {
    /** True the first time a nonce is presented; false for every later use. */
    async consume (nonce: string): Promise<boolean> {
      if (!redis.isReady()) return consumeLocally(nonce)
      try {
        return await tryAcquireLease(redis.client, metricsKeys.streamTicket(redis, nonce), '1', TICKET_TTL_MS)
      } catch {
        return consumeLocally(nonce)
      }
    }
  }
}

export type StreamTickets = ReturnType<typeof createStreamTickets>
