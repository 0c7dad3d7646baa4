/** `npm run migrate`: creates the database if needed and applies every migration. */
import { loadConfig } from '../src/config.js'
import { ensureDatabase, runMigrations } from '../src/db/migrate.js'
import { redactUrl } from '../src/lib/logging/urls.js'

const config = loadConfig()
const created = await ensureDatabase(config.databaseUrl)
if (created) process.stdout.write(`created database ${redactUrl(config.databaseUrl)}\n`)
const started = performance.now()
await runMigrations(config.databaseUrl)
process.stdout.write(`migrations applied to ${redactUrl(config.databaseUrl)} in ${Math.round(performance.now() - started)} ms\n`)
