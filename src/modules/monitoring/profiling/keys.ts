import type { RedisDecorator } from '../../../plugins/redis.js'

/** Redis keys and channels of profiling (built only here, so no other file spells a key). */
export const profilingKeys = {
  /** Set while a route is inside its automatic-profiling cooldown (any instance), so instances do not all profile it at once. */
  profileCooldown: (redis: RedisDecorator, route: string) => redis.key('profiles', 'cooldown', route),
  /** Captured-profile announcements fanned out to every instance's live stream. */
  profileEvents: (redis: RedisDecorator) => redis.key('profiles', 'events')
}
