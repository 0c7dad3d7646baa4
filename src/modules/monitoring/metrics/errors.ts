import createError from '@fastify/error'

export const MetricsErrors = {
  /** Opening the SSE stream without a valid, unused stream cookie (and without an admin bearer token). */
  STREAM_TOKEN_INVALID: createError<'MONITORING_STREAM_TOKEN_INVALID', 401>(
    'MONITORING_STREAM_TOKEN_INVALID',
    'The monitoring stream token is missing, invalid, expired or already used; get a new one from POST /api/v1/monitoring/stream-token',
    401
  ),
  /** One user already holds its share of this instance's stream slots. */
  STREAM_USER_LIMIT: createError<'MONITORING_STREAM_USER_LIMIT', 429, [number, number]>(
    'MONITORING_STREAM_USER_LIMIT',
    "User '%s' already has %s monitoring streams open on this instance; close one first",
    429
  ),
  /** Every stream slot of this instance is taken. */
  STREAM_LIMIT: createError<'MONITORING_STREAM_LIMIT', 503, [number]>(
    'MONITORING_STREAM_LIMIT',
    'This instance already serves %s monitoring streams; try again shortly',
    503
  )
}
