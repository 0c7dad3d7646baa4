/**
 * What the tools in tools/ (benchmarks, load tests, the search evaluation,
 * the drill, the cluster demo) may use of the app: they import src/ only
 * through this module (an ESLint rule on tools/** refuses other paths), so
 * everything else in src/ can move or change without breaking them. Only
 * re-exports, no code of its own; add a name here when a tool needs it.
 */

// The app and its settings: tools build it in-process (benchmark servers, the
// search evaluation) or read the settings of the one they start or target.
export { buildApp } from './app.js'
export { ConfigError, loadConfig, type Config } from './config.js'

// Database set-up: the search evaluation creates, migrates and seeds a catalog of its own.
export { MIGRATIONS_FOLDER, ensureDatabase, runMigrations } from './db/migrate.js'
export { assertResettable, seedDatabase, type SeedSizes } from './db/seed/index.js'
// The seed's product kinds: the evaluation's relevance judgments are derived from them.
export { KIND_LIST } from './db/seed/catalog-kinds.js'

// Redis keys and URLs: every tool works under a throw-away key prefix and
// removes it at the end; database URLs are printed without their password.
export { deleteKeysUnder } from './lib/redis/index.js'
export { redactUrl } from './lib/logging/index.js'

// Accounts: the load test creates its users with the app's password hashing.
export { hashPassword } from './lib/auth/index.js'

// The seed's sfc32 generator, under the load test's own seeding (deriveSeed, createRng).
export { sfc32 } from './db/seed/random.js'

// What the benchmarks measure in isolation: the access log's redaction and
// error serialisation, the rate limiter (per-request Redis script and leased
// batches), the metrics plugin with its collector and Prometheus registry,
// and the suggestion index and the catalog's cache tags.
export { LOG_REDACT_PATHS, redactSecrets, serializeError } from './lib/logging/index.js'
export { defineLeaseCommand, LeasedLimiter } from './lib/rate-limit/index.js'
export { RouteLimiter } from './lib/rate-limit/index.js'
export { default as requestTimingsPlugin } from './plugins/request-timings.js'
export { default as metricsPlugin } from './plugins/metrics.js'
export { MetricsCollector } from './lib/metrics/index.js'
export { createPromMetrics } from './lib/metrics/index.js'
export { CatalogTags } from './modules/catalog/catalog.keys.js'
export { answer, buildFromRows, type Built, type CategoryRow, type ProductRow } from './modules/catalog/catalog.suggest.js'
