import type { Redis } from 'ioredis'

/** The app's Redis connection as the pieces below the plugins see it (the redis plugin decorates `app.redis` with one). */
export interface RedisConnection {
  client: Redis
  /** `${keyPrefix}:${parts.join(':')}` — the only way keys are built. */
  key: (...parts: (string | number)[]) => string
  prefix: string
  /** True while the connection is up; commands fail fast (no offline queue) while it is down. */
  isReady: () => boolean
  /** A new connection with the same options (pub/sub needs its own). Closed by the caller. */
  duplicate: () => Redis
  /** True when there is no Redis at all (embedded mode), as opposed to Redis being down. */
  embedded: boolean
}
