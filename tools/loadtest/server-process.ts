import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The server under test as a separate production process (`node
 * dist/src/server.js`, compiled by `npm run build`), never in the load
 * generator's process: the two compete for the same two cores, as they would
 * on one machine, and the server runs the code that ships.
 */

export const SERVER_ENTRY = path.join('dist', 'src', 'server.js')
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 20_000

export interface ServerProcess {
  baseUrl: string
  child: ChildProcess
  stop: () => Promise<number | null>
}

async function waitReady (baseUrl: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited with ${child.exitCode} before it was ready (see its log)`)
    try {
      const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) })
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await sleep(250)
  }
  throw new Error(`The server at ${baseUrl} was not ready after ${READY_TIMEOUT_MS / 1000} s`)
}

/** Starts the compiled server with `env` on 127.0.0.1:`port`, logging to `logFile`, and waits for /health/ready. */
export async function startServer (port: number, env: Record<string, string>, logFile: string): Promise<ServerProcess> {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run npm run build first`)
  await mkdir(path.dirname(logFile), { recursive: true })
  const log = createWriteStream(logFile)
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const baseUrl = `http://127.0.0.1:${port}`
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    const code = await exited
    clearTimeout(timer)
    log.end()
    return code
  }
  try {
    await waitReady(baseUrl, child)
  } catch (err) {
    await stop()
    throw err
  }
  return { baseUrl, child, stop }
}
