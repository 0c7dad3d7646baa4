import createError from '@fastify/error'

export const AlertsErrors = {
  RULE_NOT_FOUND: createError<'ALERTS_RULE_NOT_FOUND', 404, [string]>('ALERTS_RULE_NOT_FOUND', "Alert rule '%s' not found", 404),
  SILENCE_NOT_FOUND: createError<'ALERTS_SILENCE_NOT_FOUND', 404, [number]>('ALERTS_SILENCE_NOT_FOUND', "Silence '%s' not found", 404),
  /** Expiring a silence that already ended (by time or by an admin) changes nothing. */
  SILENCE_ALREADY_ENDED: createError<'ALERTS_SILENCE_ALREADY_ENDED', 409, [number]>('ALERTS_SILENCE_ALREADY_ENDED', "Silence '%s' has already ended", 409)
}
