import cluster from 'node:cluster'
import { parseArgs } from 'node:util'
import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { buildApp } from './app.js'
import { runPrimary } from './cluster.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { checkEmbeddedConfig, embeddedModeMessage } from './embedded/mode.js'
import { createLogOutput } from './lib/logging/index.js'

/** Process entry: config → (cluster primary | app → listen); graceful shutdown on SIGTERM/SIGINT. */
async function main (): Promise<void> {
  const config = readConfig()
  if (config.webConcurrency > 1 && cluster.isPrimary) {
    // The workers' output (buffered JSON, or readable on a terminal); pino flushes it at exit.
    const log = pino({ level: config.logLevel, base: { role: 'primary', pid: process.pid } }, createLogOutput(config, process.stdout.isTTY === true).stream)
    log.info({ workers: config.webConcurrency }, 'starting cluster')
    runPrimary(config.webConcurrency, log)
    return
  }
  await serve(config)
}

/** Config from the environment; `--workers N` (after `npm start --`) overrides WEB_CONCURRENCY. */
function readConfig (): Readonly<Config> {
  try {
    const { values } = parseArgs({ options: { workers: { type: 'string' } }, strict: true })
    const overrides = values.workers === undefined ? {} : { webConcurrency: Number(values.workers) }
    const config = loadConfig(process.env, overrides)
    checkEmbeddedConfig(process.env, config)
    return config
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `Invalid arguments: ${(err as Error).message}`
    process.stderr.write(`${message}\n`)
    process.exit(2)
  }
}

async function serve (config: Readonly<Config>): Promise<void> {
  const app = await buildApp(config)
  closeWithGrace({ delay: config.shutdownGraceMs, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  if (cluster.isWorker && cluster.worker?.id !== 1) return
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  const base = `http://${host}:${(app.server.address() as { port: number }).port}`
  app.log.info({ api: `${base}/api/v1`, docs: `${base}/docs`, dashboard: `${base}/dashboard`, health: `${base}/health/ready` },
    `TechMart listening on ${base} — API ${base}/api/v1, docs ${base}/docs, dashboard ${base}/dashboard`)
  const embedded = embeddedModeMessage(config)
  if (embedded) app.log.warn({ embedded: { database: config.databaseEmbedded, redis: config.redisEmbedded } }, embedded)
}

main().catch((err) => {
  process.stderr.write(`TechMart failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
