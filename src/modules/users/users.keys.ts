/**
 * Cache keys, tags and TTL of the users module, built only here. The cache
 * plugin prefixes keys as `<prefix>:cache:user_profile:<key>`.
 *
 * Tags:
 * - `users:u:<userId>`: the user's profile; every write of the users row
 *   made through the app (profile update, password change, login stamping
 *   `last_login`, token revocation) bumps it.
 */
export const UsersTags = {
  profile: (userId: number) => `users:u:${userId}`
}

export const UsersKeys = {
  /** One entry per user: GET /users/profile's answer. */
  profile: (userId: number) => String(userId)
}

/** Fresh lifetime of a cached profile, in seconds. */
export const PROFILE_CACHE_TTL_S = 3600
