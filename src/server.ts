import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

/** Process entry: config → app → listen; graceful shutdown on SIGTERM/SIGINT. Nothing else. */
async function main (): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(2)
    }
    throw err
  }

  const app = await buildApp(config)
  closeWithGrace({ delay: config.shutdownGraceMs, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${(app.server.address() as { port: number }).port}`
  app.log.info({ api: `${base}/api/v1`, docs: `${base}/docs`, dashboard: `${base}/dashboard`, health: `${base}/health/ready` }, `TechMart listening on ${base}`)
}

main().catch((err) => {
  process.stderr.write(`TechMart failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
