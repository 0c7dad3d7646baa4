import createError from '@fastify/error'

export const MetricsErrors = {
  /** Opening the SSE stream without a valid stream cookie (and without an admin bearer token). */
  STREAM_TOKEN_INVALID: createError<'MONITORING_STREAM_TOKEN_INVALID', 401>(
    'MONITORING_STREAM_TOKEN_INVALID',
    'The monitoring stream token is missing, invalid or expired; get a new one from POST /api/v1/monitoring/stream-token',
    401
  ),
  /** Every stream slot of this instance is taken. */
  STREAM_LIMIT: createError<'MONITORING_STREAM_LIMIT', 503, [number]>(
    'MONITORING_STREAM_LIMIT',
    'This instance already serves %s monitoring streams; try again shortly',
    503
  )
}
