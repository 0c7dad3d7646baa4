/**
 * Child process of the fault tests (test/faults/app-process.ts forks it): the
 * app on a real port of 127.0.0.1, in an event loop of its own, so the load
 * generator in the parent neither slows it down nor is slowed down by it.
 * Config overrides come as JSON in FAULT_APP_CONFIG. Over IPC it answers
 * `state` with what only the process can see and `close` by shutting down.
 */
import type { AddressInfo } from 'node:net'
import { buildApp } from '../../../src/app.js'
import { ensureTestDb, testConfig } from '../helper.js'

export interface AppState { redisReady: boolean }
export type AppMessage = { type: 'ready', port: number } | { type: 'state', state: AppState } | { type: 'error', message: string }

function send (msg: AppMessage): void {
  process.send?.(msg)
}

try {
  await ensureTestDb()
  const app = await buildApp(testConfig(JSON.parse(process.env.FAULT_APP_CONFIG ?? '{}')), { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.on('message', (msg: { cmd: 'state' | 'close' }) => {
    if (msg.cmd === 'state') send({ type: 'state', state: { redisReady: app.redis.isReady() } })
    else app.close().finally(() => process.exit(0))
  })
  send({ type: 'ready', port: (app.server.address() as AddressInfo).port })
} catch (err) {
  send({ type: 'error', message: (err as Error).stack ?? String(err) })
  process.exit(1)
}
