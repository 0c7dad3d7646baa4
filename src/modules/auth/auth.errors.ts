import createError from '@fastify/error'

/** Errors of registration and login (token errors live in plugins/auth.ts). */
export const AuthAccountErrors = {
  EMAIL_TAKEN: createError<'AUTH_EMAIL_TAKEN', 409, [string]>('AUTH_EMAIL_TAKEN', "A user with email '%s' already exists", 409),
  USERNAME_TAKEN: createError<'AUTH_USERNAME_TAKEN', 409, [string]>('AUTH_USERNAME_TAKEN', "A user with username '%s' already exists", 409),
  /** One answer for unknown user, wrong password and disabled account, so the response reveals none of them. */
  INVALID_CREDENTIALS: createError<'AUTH_INVALID_CREDENTIALS', 401>('AUTH_INVALID_CREDENTIALS', 'Invalid email/username or password', 401),
  IDENTIFIER_REQUIRED: createError<'AUTH_IDENTIFIER_REQUIRED', 400>('AUTH_IDENTIFIER_REQUIRED', 'Send exactly one of email or username with the password', 400)
}
