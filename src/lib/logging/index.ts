export { createLogOutput } from './output.js'
export { LOG_REDACT_PATHS, loggerOptions, redactSecrets, serializeError } from './safety.js'
export { redactUrl } from './urls.js'
