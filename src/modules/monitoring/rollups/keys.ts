import type { RedisDecorator } from '../../../plugins/redis.js'

/** Redis keys of the minute rollups (built only here, so no other file spells a key). */
export const rollupsKeys = {
  /** Lock so one instance prunes old rollups per run. */
  rollupPruneLock: (redis: RedisDecorator) => redis.key('monitoring', 'rollups', 'prune-lock')
}
