import cluster from 'node:cluster'
import type { Logger } from 'pino'

// A worker that dies sooner than this after its start is not restarted in a loop.
const MIN_UPTIME_BEFORE_RESTART_MS = 5000

/**
 * The primary of `node:cluster`: forks `workers` processes that share the
 * listening port, restarts a worker that crashes, and on SIGTERM/SIGINT asks
 * every worker to shut down gracefully (each finishes its in-flight requests).
 * The app is stateless: everything shared lives in PostgreSQL or Redis.
 */
export function runPrimary (workers: number, log: Logger): void {
  let stopping = false
  const startedAt = new Map<number, number>()

  const fork = () => {
    const worker = cluster.fork()
    startedAt.set(worker.id, Date.now())
  }
  for (let i = 0; i < workers; i++) fork()

  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (startedAt.get(worker.id) ?? 0)
    startedAt.delete(worker.id)
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    log.error({ pid: worker.process.pid, code, signal, uptimeMs: uptime }, 'worker exited')
    if (uptime < MIN_UPTIME_BEFORE_RESTART_MS) {
      log.fatal('worker died right after starting; not restarting (see its error above)')
      process.exitCode = 1
      stopping = true
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
      return
    }
    fork()
  })

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      log.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping workers gracefully')
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    })
  }
}
