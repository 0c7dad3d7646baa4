import createError from '@fastify/error'

export const ProfilesErrors = {
  NOT_FOUND: createError<'PROFILES_NOT_FOUND', 404, [number]>('PROFILES_NOT_FOUND', "Profile '%s' not found", 404),
  /** One capture at a time per process: V8 has one sampler and two would skew each other. */
  CAPTURE_IN_PROGRESS: createError<'PROFILES_CAPTURE_IN_PROGRESS', 409, [number]>('PROFILES_CAPTURE_IN_PROGRESS', "Profile '%s' is being captured on this instance; try again when it is done", 409),
  NOT_READY: createError<'PROFILES_NOT_READY', 409, [number]>('PROFILES_NOT_READY', "Profile '%s' is still being captured", 409),
  FILE_UNAVAILABLE: createError<'PROFILES_FILE_UNAVAILABLE', 404, [number, string]>('PROFILES_FILE_UNAVAILABLE', "The file of profile '%s' is not available here: %s", 404)
}
