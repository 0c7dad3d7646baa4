import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { Config } from '../../../src/config.js'
import type { AppMessage, AppState } from './app-server.js'

const BOOT_TIMEOUT_MS = 30_000

export interface AppProcess {
  url: string
  /** Asks the process for what only it can see (e.g. whether its Redis client is ready). */
  state: () => Promise<AppState>
  close: () => Promise<void>
}

/** Forks test/faults/app-server.ts with `overrides` on the test config and waits until it listens. */
export async function startAppProcess (overrides: Partial<Config>): Promise<AppProcess> {
  const child = fork(fileURLToPath(new URL('./app-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, FAULT_APP_CONFIG: JSON.stringify(overrides) }
  })
  const exited = once(child, 'exit')
  const boot = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app process not listening after ${BOOT_TIMEOUT_MS} ms`)), BOOT_TIMEOUT_MS)
    child.once('message', (msg: AppMessage) => {
      clearTimeout(timer)
      if (msg.type === 'ready') resolve(msg.port)
      else reject(new Error(`app process failed to start: ${msg.type === 'error' ? msg.message : msg.type}`))
    })
  })
  const port = await boot.catch((err: unknown) => {
    child.kill('SIGKILL')
    throw err
  })
  return {
    url: `http://127.0.0.1:${port}`,
    state: async () => {
      const reply = once(child, 'message') as Promise<[AppMessage]>
      child.send({ cmd: 'state' })
      const [msg] = await reply
      if (msg.type !== 'state') throw new Error(`unexpected reply ${msg.type}`)
      return msg.state
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.send({ cmd: 'close' })
      await exited
    }
  }
}
