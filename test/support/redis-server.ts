import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from './ports.js'

const READY_TIMEOUT_MS = 10_000

export interface RedisServer {
  port: number
  url: string
  /** True while the process runs. */
  running: () => boolean
  /** Kills the process with `signal` and waits for it to exit: Redis is really gone. */
  stop: (signal?: NodeJS.Signals) => Promise<void>
  /** Starts a fresh, empty redis-server on the same port (no persistence: nothing survives a stop). */
  start: () => Promise<void>
  /** Stops the process if it runs; the port is released. */
  close: () => Promise<void>
}

function launch (port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'notice'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail(new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS)
    const fail = (err: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`redis-server on port ${port} exited with ${code}:\n${output}`)))
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (!output.includes('Ready to accept connections')) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.stdout.resume()
      resolve(child)
    })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  })
}

/**
 * A private redis-server (from PATH) on a free port, so a test can really stop
 * Redis (kill the process) and start it again on the same port without
 * touching the shared server.
 */
export async function startRedisServer (): Promise<RedisServer> {
  const port = await freePort(56300, 56399)
  let child: ChildProcess | undefined = await launch(port)
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!child) return
    if (child.exitCode !== null || child.signalCode !== null) {
      child = undefined
      return
    }
    const exited = once(child, 'exit')
    child.kill(signal)
    await exited
    child = undefined
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => child !== undefined,
    stop,
    start: async () => {
      if (child) throw new Error(`redis-server on port ${port} is already running`)
      child = await launch(port)
    },
    close: () => stop('SIGKILL')
  }
}
