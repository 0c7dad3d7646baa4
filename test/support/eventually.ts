import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Polls `check` until it holds, failing the test with `what` after `timeoutMs`: for what
 * happens asynchronously (bus messages, replays, background rebuilds, a replica catching up).
 */
export async function eventually (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000, intervalMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await check()) return
    await sleep(intervalMs)
  }
  assert.fail(`timed out waiting for: ${what}`)
}
