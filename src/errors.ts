import createError, { type FastifyError } from '@fastify/error'
import { DrizzleQueryError } from 'drizzle-orm'
import { STATUS_CODES } from 'node:http'

/** Generic errors shared by every module. Module errors live in `<module>.errors.ts`. */
export const AppErrors = {
  /** Request input failed schema validation; `details` lists each field. */
  VALIDATION: createError<'APP_VALIDATION_FAILED', 400, [string]>('APP_VALIDATION_FAILED', '%s', 400),
  ROUTE_NOT_FOUND: createError<'APP_ROUTE_NOT_FOUND', 404, [string, string]>('APP_ROUTE_NOT_FOUND', 'Route %s %s not found', 404),
  /** The path exists but not for this method; the reply's `Allow` header lists the methods it has. */
  METHOD_NOT_ALLOWED: createError<'APP_METHOD_NOT_ALLOWED', 405, [string, string, string]>('APP_METHOD_NOT_ALLOWED', 'Method %s is not allowed on %s; allowed: %s', 405),
  /** A CORS preflight from an origin that is not in `CORS_ORIGINS` (every origin when it is empty). */
  CORS_ORIGIN_FORBIDDEN: createError<'APP_CORS_ORIGIN_FORBIDDEN', 403>('APP_CORS_ORIGIN_FORBIDDEN', 'Cross-origin requests from this origin are not allowed', 403),
  INTERNAL: createError<'APP_INTERNAL_ERROR', 500>('APP_INTERNAL_ERROR', 'An internal error occurred', 500),
  DATABASE_UNAVAILABLE: createError<'APP_DATABASE_UNAVAILABLE', 503>('APP_DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly', 503),
  DATABASE_TIMEOUT: createError<'APP_DATABASE_TIMEOUT', 503>('APP_DATABASE_TIMEOUT', 'The database did not answer in time; try again shortly', 503),
  CONFLICT: createError<'APP_CONFLICT', 409, [string]>('APP_CONFLICT', '%s', 409),
  PAYLOAD_TOO_LARGE: createError<'APP_PAYLOAD_TOO_LARGE', 413>('APP_PAYLOAD_TOO_LARGE', 'Request body is too large', 413),
  UNSUPPORTED_MEDIA_TYPE: createError<'APP_UNSUPPORTED_MEDIA_TYPE', 415, [string]>('APP_UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type: %s', 415),
  BAD_REQUEST: createError<'APP_BAD_REQUEST', 400, [string]>('APP_BAD_REQUEST', '%s', 400)
}

export interface ErrorDetail { field?: string, message: string, [key: string]: unknown }

/** The one response shape for every error (Fastify's own, plus `details`). */
export interface ErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
  details?: ErrorDetail[]
}

/** Attaches machine-readable `details` (e.g. which products lack stock) to an error before it is thrown. */
export function withDetails<E extends Error> (err: E, details: ErrorDetail[]): E {
  (err as E & { details?: ErrorDetail[] }).details = details
  return err
}

// Fastify's own codes that reach the handler, translated to ours so clients see one vocabulary.
const FASTIFY_CODE_MAP: Record<string, (err: FastifyError) => FastifyError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new AppErrors.PAYLOAD_TOO_LARGE(),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (err) => new AppErrors.UNSUPPORTED_MEDIA_TYPE(err.message.replace(/^Unsupported Media Type:?\s*/i, '')),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new AppErrors.BAD_REQUEST("Body cannot be empty when content-type is set to 'application/json'"),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new AppErrors.BAD_REQUEST('Body is not valid JSON'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new AppErrors.BAD_REQUEST('Request body size did not match Content-Length')
}

// postgres.js error codes / SQLSTATEs that mean "the database is not there", not "your request is wrong".
const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'EHOSTUNREACH', '57P01', '57P03', '08006', '08001', '08004'])

interface ValidationEntry { instancePath?: string, message?: string, params?: Record<string, unknown> }

function validationDetails (err: FastifyError & { validation?: ValidationEntry[], validationContext?: string }): ErrorDetail[] {
  return (err.validation ?? []).map((v) => {
    const missing = v.params?.missingProperty as string | undefined
    const extra = v.params?.additionalProperty as string | undefined
    const path = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
    const field = [err.validationContext, path, missing ?? extra].filter(Boolean).join('.')
    const message = extra ? `unknown property '${extra}'` : (v.message ?? 'is invalid')
    return { field, message }
  })
}

/** What PostgreSQL said (SQLSTATE `code`, the constraint) about a failed query. */
export interface DriverError { code?: string, constraint_name?: string }

/**
 * The driver's error behind a failed query: Drizzle wraps postgres.js'
 * error as `cause` (its class sets no `name`, so the class identifies it);
 * a query made on postgres.js directly throws the driver's error itself.
 */
export function driverError (err: unknown): DriverError {
  const e = err instanceof DrizzleQueryError && err.cause ? err.cause : err
  return (e ?? {}) as DriverError
}

/**
 * Maps any thrown value to the status and body the client sees. Used by the
 * error handler and by metrics so both agree on the outcome (Medusa's
 * `getHttpResponseFromError`). 5xx messages are never the original text.
 */
export function classifyError (raw: unknown): ErrorBody {
  // The driver's code (ECONNREFUSED, 57014, ...) is on the error Drizzle wraps.
  let err = driverError(raw) as FastifyError & { validation?: ValidationEntry[], details?: ErrorDetail[] }
  if (err?.validation) {
    const details = validationDetails(err)
    const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ')
    return { statusCode: 400, code: 'APP_VALIDATION_FAILED', error: 'Bad Request', message: summary || 'Invalid request', details }
  }
  const mapped = err?.code ? FASTIFY_CODE_MAP[err.code] : undefined
  if (mapped) err = mapped(err)
  const code = err?.code
  if (code && DB_DOWN_CODES.has(code)) err = new AppErrors.DATABASE_UNAVAILABLE()
  else if (code === '57014') err = new AppErrors.DATABASE_TIMEOUT() // statement_timeout
  const statusCode = typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
  if (statusCode >= 500 && !(typeof err?.code === 'string' && /^[A-Z]+_[A-Z_]+$/.test(err.code) && !err.code.startsWith('FST_'))) {
    return { statusCode: 500, code: 'APP_INTERNAL_ERROR', error: STATUS_CODES[500]!, message: 'An internal error occurred' }
  }
  const body: ErrorBody = {
    statusCode,
    code: typeof err.code === 'string' && !err.code.startsWith('FST_') ? err.code : fallbackCode(statusCode),
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: err.message || (STATUS_CODES[statusCode] ?? 'Error')
  }
  if (err.details) body.details = err.details
  return body
}

function fallbackCode (statusCode: number): string {
  return `APP_HTTP_${statusCode}`
}
