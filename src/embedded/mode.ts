import { ConfigError, type Config } from '../config.js'
import { redactUrl } from '../lib/logging/index.js'
import { checkEmbeddedFlags } from './backends.js'

type Env = Record<string, string | undefined>

/**
 * Refuses settings that cannot work with embedded backends, at boot:
 * REDIS_EMBEDDED together with REDIS_URL, and several workers (embedded
 * backends live in one process: workers would not share cache
 * invalidations and rate limits, nor could they share PGlite's one session).
 */
export function checkEmbeddedConfig (env: Env, config: Readonly<Config>): void {
  checkEmbeddedFlags(env)
  if ((config.databaseEmbedded || config.redisEmbedded) && config.webConcurrency > 1) {
    throw new ConfigError([`WEB_CONCURRENCY/--workers=${config.webConcurrency}: embedded backends (DATABASE_EMBEDDED, REDIS_EMBEDDED) serve a single process; use 1, or set DATABASE_URL and REDIS_URL`])
  }
}

/** The one warning the server logs at start in embedded mode (undefined when both backends are external). */
export function embeddedModeMessage (config: Readonly<Config>): string | undefined {
  if (!config.databaseEmbedded && !config.redisEmbedded) return undefined
  const parts: string[] = []
  if (config.databaseEmbedded) {
    parts.push(`PostgreSQL → embedded PGlite at ${redactUrl(config.databaseUrl)} (data in ${config.embeddedDataDir}, one connection, no slow-query EXPLAIN capture)`)
  }
  if (config.redisEmbedded) {
    parts.push('Redis → none, in-process instead (L1-only cache, in-memory rate limits, alerts and profiling for this process; no search analytics)')
  }
  return `Embedded mode: ${parts.join('; ')}. One process, not for load. Set DATABASE_URL and REDIS_URL in production.`
}
