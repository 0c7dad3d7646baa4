import createError from '@fastify/error'

export const AlertsErrors = {
  RULE_NOT_FOUND: createError<'ALERTS_RULE_NOT_FOUND', 404, [string]>('ALERTS_RULE_NOT_FOUND', "Alert rule '%s' not found", 404),
  /** GET /alerts/{id}/incident of an alert that has not been pending or firing (since its rule last changed). */
  NO_INCIDENT: createError<'ALERTS_NO_INCIDENT', 404, [string]>('ALERTS_NO_INCIDENT', "Alert '%s' has had no episode to explain: it has not been pending or firing", 404),
  SILENCE_NOT_FOUND: createError<'ALERTS_SILENCE_NOT_FOUND', 404, [number]>('ALERTS_SILENCE_NOT_FOUND', "Silence '%s' not found", 404),
  /** Expiring a silence that already ended (by time or by an admin) changes nothing. */
  SILENCE_ALREADY_ENDED: createError<'ALERTS_SILENCE_ALREADY_ENDED', 409, [number]>('ALERTS_SILENCE_ALREADY_ENDED', "Silence '%s' has already ended", 409)
}
