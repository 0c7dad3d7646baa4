import type { RedisDecorator } from '../../../plugins/redis.js'

/** Redis keys of the minute rollups (STYLE.md rule 9: built only here). */
export const rollupsKeys = {
  /** Lock so one instance prunes old rollups per run. */
  rollupPruneLock: (redis: RedisDecorator) => redis.key('monitoring', 'rollups', 'prune-lock')
}
