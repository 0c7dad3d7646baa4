import createError from '@fastify/error'

/** Errors of registration and login (token errors live in plugins/auth.ts). */
export const AuthAccountErrors = {
  EMAIL_TAKEN: createError<'AUTH_EMAIL_TAKEN', 409, [string]>('AUTH_EMAIL_TAKEN', "A user with email '%s' already exists", 409),
  USERNAME_TAKEN: createError<'AUTH_USERNAME_TAKEN', 409, [string]>('AUTH_USERNAME_TAKEN', "A user with username '%s' already exists", 409),
  /** One answer for unknown user, wrong password and disabled account, so the response reveals none of them. */
  INVALID_CREDENTIALS: createError<'AUTH_INVALID_CREDENTIALS', 401>('AUTH_INVALID_CREDENTIALS', 'Invalid email/username or password', 401),
  /** Same answer for existing and unknown identifiers: a lockout reveals nothing about the account. */
  LOGIN_LOCKED: createError<'AUTH_LOGIN_LOCKED', 429, [number]>('AUTH_LOGIN_LOCKED', 'Too many failed logins for this account; retry in %s s', 429),
  REGISTRATION_LIMITED: createError<'AUTH_REGISTRATION_LIMITED', 429, [number]>(
    'AUTH_REGISTRATION_LIMITED', 'Too many registration attempts from this address or for this email or username; retry in %s s', 429),
  /** `details` names `body.password` and why (common, repeated, sequence, equal to the email or username). */
  WEAK_PASSWORD: createError<'AUTH_WEAK_PASSWORD', 422, [string]>('AUTH_WEAK_PASSWORD', 'The password %s; choose a longer or less common one', 422),
  IDENTIFIER_REQUIRED: createError<'AUTH_IDENTIFIER_REQUIRED', 400>('AUTH_IDENTIFIER_REQUIRED', 'Send exactly one of email or username with the password', 400)
}
