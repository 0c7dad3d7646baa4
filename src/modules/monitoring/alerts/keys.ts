import type { RedisDecorator } from '../../../plugins/redis.js'

/** Redis keys and channels of alerting (built only here, so no other file spells a key). */
export const alertsKeys = {
  /** The alert-evaluation leader lease: holds the evaluating instance's id. */
  alertLeader: (redis: RedisDecorator) => redis.key('alerts', 'leader'),
  /** Alert transitions fanned out to every instance's live stream. */
  alertEvents: (redis: RedisDecorator) => redis.key('alerts', 'events')
}
