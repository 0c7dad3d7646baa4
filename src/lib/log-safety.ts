import { DrizzleQueryError } from 'drizzle-orm'
import type { FastifyServerOptions } from 'fastify'
import { stdSerializers, type LevelWithSilent } from 'pino'

const SECRET_KEYS = ['password', 'password_hash', 'passwordHash', 'current_password', 'new_password', 'access_token', 'token', 'params', 'parameters']

/**
 * Log fields that may hold a credential, redacted by pino wherever a line carries them:
 * the request's credentials and any password, hash, token or statement parameters put in a
 * logged object, at the top level or one level down.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`)
]

// Error fields that echo the values of a statement: Drizzle's bound parameters, postgres.js'
// `parameters` (enumerable in its debug mode) and PostgreSQL's `detail`
// ("Key (lower(email))=(…) already exists").
const VALUE_FIELDS = ['params', 'parameters', 'detail']

/**
 * pino's error serializer, minus the values of SQL statements. Drizzle writes every bound
 * parameter of a failed query into the error's message (and so its stack): a failed
 * registration logged the email, the scrypt hash and the names. Here the message keeps the
 * statement text (placeholders only) and the database's reason; the values go.
 */
export function serializeError (err: Error): object {
  const out = stdSerializers.err(err) as unknown as Record<string, unknown>
  for (const field of VALUE_FIELDS) delete out[field]
  if (err instanceof DrizzleQueryError) {
    const safe = `Failed query: ${err.query}`
    for (const field of ['message', 'stack'] as const) {
      if (typeof out[field] === 'string') out[field] = (out[field] as string).replace(err.message, safe)
    }
  }
  return out
}

type LoggerOption = FastifyServerOptions['logger']

/**
 * The logger options of an app: redaction and the serializer above, under the caller's own
 * options (tests pass a level and a stream), so what tests capture is what production writes.
 */
export function loggerOptions (level: LevelWithSilent, given: LoggerOption): LoggerOption {
  if (given === false) return false
  const defaults = { level, redact: LOG_REDACT_PATHS, serializers: { err: serializeError } }
  return (given === undefined || given === true ? defaults : { ...defaults, ...given }) as LoggerOption
}
