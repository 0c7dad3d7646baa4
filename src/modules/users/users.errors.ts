import createError from '@fastify/error'

export const UsersErrors = {
  NOT_FOUND: createError<'USERS_NOT_FOUND', 404, [number]>('USERS_NOT_FOUND', "User '%s' not found", 404),
  /** A token issued before the account was disabled still verifies; profile access is refused. */
  ACCOUNT_DISABLED: createError<'USERS_ACCOUNT_DISABLED', 403, [number]>('USERS_ACCOUNT_DISABLED', "User '%s' is disabled", 403),
  /** `details` names `body.new_password` and why; nothing was changed. */
  WEAK_PASSWORD: createError<'USERS_WEAK_PASSWORD', 422, [string]>('USERS_WEAK_PASSWORD', 'The new password %s; choose a longer or less common one', 422),
  CURRENT_PASSWORD_INCORRECT: createError<'USERS_CURRENT_PASSWORD_INCORRECT', 422, [number]>(
    'USERS_CURRENT_PASSWORD_INCORRECT', "The current password of user '%s' is not correct; the password was not changed", 422)
}
