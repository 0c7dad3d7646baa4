import type { RedisDecorator } from '../../plugins/redis.js'

/** Redis keys and channels of alerting and profiling (built only here, so no other file spells a key). */
export const monitoringKeys = {
  /** The alert-evaluation leader lease: holds the evaluating instance's id. */
  alertLeader: (redis: RedisDecorator) => redis.key('alerts', 'leader'),
  /** Alert transitions fanned out to every instance's live stream. */
  alertEvents: (redis: RedisDecorator) => redis.key('alerts', 'events'),
  /** Set while a route is inside its automatic-profiling cooldown (any instance), so instances do not all profile it at once. */
  profileCooldown: (redis: RedisDecorator, route: string) => redis.key('profiles', 'cooldown', route),
  /** Captured-profile announcements fanned out to every instance's live stream. */
  profileEvents: (redis: RedisDecorator) => redis.key('profiles', 'events')
}
