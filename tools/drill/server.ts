import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The app under the drill, started as `npm start` starts it
 * (scripts/start.mjs: build when the sources changed, migrate, seed if
 * empty, then the server) in its own process group, so stopping it stops
 * every step it runs.
 */

const STOP_TIMEOUT_MS = 20_000

export interface AppProcess {
  baseUrl: string
  pid: number
  logFile: string
  /** SIGTERM (the server shuts down gracefully), SIGKILL to the whole group after 20 s; resolves with the exit code. */
  stop: () => Promise<number | null>
}

function isFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** A free port of 4100–4999, starting at a random one. */
export async function freePort (): Promise<number> {
  const start = Math.floor(Math.random() * 900)
  for (let i = 0; i < 900; i++) {
    const port = 4100 + ((start + i) % 900)
    if (await isFree(port)) return port
  }
  throw new Error('no free port in 4100-4999')
}

export async function startApp (env: Record<string, string>, port: number, logFile: string, readyTimeoutMs: number): Promise<AppProcess> {
  await mkdir(path.dirname(logFile), { recursive: true })
  const log = createWriteStream(logFile)
  const child = spawn(process.execPath, [path.join('scripts', 'start.mjs')], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  })
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig)
    } catch {
      // the group is gone already
    }
  }
  const stop = async (): Promise<number | null> => {
    // To npm start only: it passes the signal on to the step running (the server shuts down
    // gracefully on the first SIGTERM; a second one, sent to the whole group, would make it exit at once).
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => signal('SIGKILL'), STOP_TIMEOUT_MS)
    const code = await exited
    clearTimeout(timer)
    signal('SIGKILL') // anything of the group still running
    log.end()
    return code
  }
  const baseUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + readyTimeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode} before the server was ready (see ${logFile})`)
    try {
      const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) })
      if (res.status === 200) return { baseUrl, pid: child.pid!, logFile, stop }
    } catch {
      // not listening yet
    }
    await sleep(500)
  }
  await stop()
  throw new Error(`The server was not ready after ${readyTimeoutMs / 1000} s (see ${logFile})`)
}
