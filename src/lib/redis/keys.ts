import type { Redis } from 'ioredis'

/**
 * Deletes every key under `prefix:` with SCAN (never KEYS, which blocks
 * Redis) and UNLINK, and returns how many went. For tests and scripts that
 * clean up the keys of their own prefix.
 */
export async function deleteKeysUnder (client: Redis, prefix: string): Promise<number> {
  let deleted = 0
  for await (const keys of client.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length === 0) continue
    await client.unlink(...keys)
    deleted += keys.length
  }
  return deleted
}

/** How many keys are under `prefix:` (SCAN, never KEYS). */
export async function countKeysUnder (client: Redis, prefix: string): Promise<number> {
  let count = 0
  for await (const keys of client.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) count += keys.length
  return count
}
