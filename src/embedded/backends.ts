import { ConfigError, type Config } from '../config.js'
import { redactUrl } from '../lib/logging/index.js'
import { answers, parseHostPort, urlHostPort, type HostPort } from './probe.js'

export type BackendMode = 'external' | 'embedded'

export interface BackendChoice {
  mode: BackendMode
  /** The server to use when external. */
  url?: string
  /** Why: the variable that was set, or the default address that did or did not answer. */
  reason: string
}

export interface BackendPlan {
  database: BackendChoice
  redis: BackendChoice
}

/** An explicitly configured server does not answer: never replaced by an embedded one. */
export class BackendUnreachableError extends Error {
  constructor (readonly variable: string, readonly url: string) {
    super(`${variable}=${redactUrl(url)} does not answer (nothing accepts connections there). ` +
      `Start that server or fix ${variable}; an explicit ${variable} is never replaced by the embedded fallback.`)
    this.name = 'BackendUnreachableError'
  }
}

type Env = Record<string, string | undefined>
export type Probe = (address: HostPort) => Promise<boolean>

interface Spec {
  /** URL variable (DATABASE_URL / REDIS_URL) and its value in the environment, if set. */
  variable: string
  explicit: string | undefined
  /** The configured URL (the default when the variable is not set). */
  url: string
  defaultPort: number
  /** DATABASE_EMBEDDED / REDIS_EMBEDDED: embedded without probing. */
  forceEmbedded: boolean
  /** Where to look when the variable is not set, and the knob that moves it. */
  defaultAddr: string
  addrVariable: string
}

/** The one place that decides, per backend, between the configured server and the embedded fallback. */
async function choose (spec: Spec, probe: Probe): Promise<BackendChoice> {
  if (spec.explicit !== undefined) {
    const address = urlHostPort(spec.url, spec.defaultPort)
    if (address && !(await probe(address))) throw new BackendUnreachableError(spec.variable, spec.url)
    return { mode: 'external', url: spec.url, reason: `${spec.variable} is set` }
  }
  if (spec.forceEmbedded) return { mode: 'embedded', reason: `${spec.variable.replace('_URL', '_EMBEDDED')}=true` }
  const address = parseHostPort(spec.defaultAddr, spec.addrVariable)
  const where = `${address.host}:${address.port}`
  if (!(await probe(address))) return { mode: 'embedded', reason: `${spec.variable} is not set and nothing answers at ${where}` }
  const url = new URL(spec.url)
  url.host = address.host.includes(':') ? `[${address.host}]:${address.port}` : where
  return { mode: 'external', url: url.href, reason: `${spec.variable} is not set; a server answers at ${where}` }
}

/**
 * Decides where PostgreSQL and Redis come from for `npm start`:
 * - `DATABASE_URL`/`REDIS_URL` set: that server, which must answer
 *   (`BackendUnreachableError` naming the URL otherwise — no silent fallback);
 * - not set: the server at the default address (TECHMART_DEFAULT_PG_ADDR,
 *   TECHMART_DEFAULT_REDIS_ADDR) when something answers there, else embedded:
 *   PGlite for PostgreSQL, in-process stand-ins for Redis.
 * `DATABASE_EMBEDDED=true` / `REDIS_EMBEDDED=true` choose embedded without probing.
 */
export async function resolveBackends (env: Env, config: Readonly<Config>, probe: Probe = (a) => answers(a)): Promise<BackendPlan> {
  checkEmbeddedFlags(env)
  const [database, redis] = await Promise.all([
    choose({
      variable: 'DATABASE_URL',
      explicit: env.DATABASE_URL,
      url: config.databaseUrl,
      defaultPort: 5432,
      forceEmbedded: config.databaseEmbedded,
      defaultAddr: config.defaultPgAddr,
      addrVariable: 'TECHMART_DEFAULT_PG_ADDR'
    }, probe),
    choose({
      variable: 'REDIS_URL',
      explicit: env.REDIS_URL,
      url: config.redisUrl,
      defaultPort: 6379,
      forceEmbedded: config.redisEmbedded,
      defaultAddr: config.defaultRedisAddr,
      addrVariable: 'TECHMART_DEFAULT_REDIS_ADDR'
    }, probe)
  ])
  return { database, redis }
}

/**
 * `REDIS_EMBEDDED=true` with a `REDIS_URL` would silently ignore the URL:
 * refused. (`DATABASE_EMBEDDED=true` with `DATABASE_URL` is how `npm start`
 * tells the server that the URL is its PGlite server, so that pair is allowed.)
 */
export function checkEmbeddedFlags (env: Env): void {
  const on = (v: string | undefined) => ['true', '1', 'yes', 'on'].includes((v ?? '').trim().toLowerCase())
  if (on(env.REDIS_EMBEDDED) && env.REDIS_URL !== undefined) {
    throw new ConfigError([`REDIS_EMBEDDED=${env.REDIS_EMBEDDED} and REDIS_URL are both set: unset REDIS_URL to run without Redis, or REDIS_EMBEDDED to use it`])
  }
}
