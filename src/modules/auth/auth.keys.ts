import { createHash } from 'node:crypto'
import type { RedisDecorator } from '../../plugins/redis.js'

/** Redis key prefixes of the login lockout and registration caps (built only here, so every key of the module is under one prefix and can be found). */
export const authKeys = {
  /** `<prefix>:auth:<counter>`; rate-limiter-flexible appends `:<subject>`. */
  counter: (redis: RedisDecorator, name: 'login-failures' | 'login-lockout' | 'register-address' | 'register-account') => redis.key('auth', name)
}

/**
 * The subject of a per-account counter. An existing account counts by its id, so its email
 * and its username share one budget; an unknown identifier counts by itself, so a probe
 * cannot tell the two apart. Emails and usernames are hashed: no addresses in Redis keys.
 */
export function accountSubject (by: { id: number } | { email: string } | { username: string }): string {
  if ('id' in by) return `id:${by.id}`
  const [kind, value] = 'email' in by ? ['email', by.email] : ['username', by.username]
  return `${kind}:${createHash('sha256').update(value.toLowerCase()).digest('base64url').slice(0, 22)}`
}
