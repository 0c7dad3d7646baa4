/** The decision between configured servers and the embedded fallback, and the settings it refuses. */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError, loadConfig } from '../../../src/config.js'
import { BackendUnreachableError, resolveBackends, type Probe } from '../../../src/embedded/backends.js'
import { DataDirLockedError, lockDataDir } from '../../../src/embedded/data-lock.js'
import { checkEmbeddedConfig, embeddedModeMessage } from '../../../src/embedded/mode.js'
import { answers, parseHostPort } from '../../../src/embedded/probe.js'
import { freePort } from '../../support/ports.js'

/** A probe that answers for the listed host:port pairs and records what it was asked. */
function fakeProbe (up: string[]): Probe & { asked: string[] } {
  const asked: string[] = []
  const probe = async (a: { host: string, port: number }) => {
    asked.push(`${a.host}:${a.port}`)
    return up.includes(`${a.host}:${a.port}`)
  }
  return Object.assign(probe, { asked })
}

const plan = (env: Record<string, string>, probe: Probe) => resolveBackends(env, loadConfig(env), probe)

test('nothing set and nothing at the default addresses: both embedded', async () => {
  const probe = fakeProbe([])
  const p = await plan({}, probe)
  assert.equal(p.database.mode, 'embedded')
  assert.equal(p.redis.mode, 'embedded')
  assert.match(p.database.reason, /DATABASE_URL is not set and nothing answers at 127\.0\.0\.1:5432/)
  assert.deepEqual(probe.asked.sort(), ['127.0.0.1:5432', '127.0.0.1:6379'])
})

test('nothing set but servers at the (moved) default addresses: those servers, under the default URLs', async () => {
  const env = { TECHMART_DEFAULT_PG_ADDR: '127.0.0.1:6543', TECHMART_DEFAULT_REDIS_ADDR: '127.0.0.1:7654' }
  const p = await plan(env, fakeProbe(['127.0.0.1:6543', '127.0.0.1:7654']))
  assert.deepEqual(p.database, { mode: 'external', url: 'postgres://postgres@127.0.0.1:6543/techmart', reason: 'DATABASE_URL is not set; a server answers at 127.0.0.1:6543' })
  assert.equal(p.redis.url, 'redis://127.0.0.1:7654')
})

test('an explicit URL that does not answer is an error naming it (password hidden), never embedded', async () => {
  const env = { DATABASE_URL: 'postgres://app:s3cret@db.internal:5433/shop' }
  await assert.rejects(plan(env, fakeProbe(['127.0.0.1:6379'])), (err: Error) => {
    assert.ok(err instanceof BackendUnreachableError)
    assert.equal(err.variable, 'DATABASE_URL')
    assert.match(err.message, /^DATABASE_URL=postgres:\/\/app:\*\*\*@db\.internal:5433\/shop does not answer/)
    assert.doesNotMatch(err.message, /s3cret/)
    return true
  })
  const redis = { REDIS_URL: 'redis://cache.internal' }
  await assert.rejects(plan(redis, fakeProbe(['127.0.0.1:5432'])), /REDIS_URL=redis:\/\/cache\.internal does not answer/)
})

test('explicit URLs that answer are used as they are', async () => {
  const env = { DATABASE_URL: 'postgres://app@db.internal/shop', REDIS_URL: 'redis://cache.internal:6380' }
  const probe = fakeProbe(['db.internal:5432', 'cache.internal:6380'])
  const p = await plan(env, probe)
  assert.deepEqual([p.database.mode, p.database.url, p.redis.mode, p.redis.url], ['external', env.DATABASE_URL, 'external', env.REDIS_URL])
})

test('DATABASE_EMBEDDED / REDIS_EMBEDDED choose embedded without probing; REDIS_EMBEDDED with REDIS_URL is refused', async () => {
  const probe = fakeProbe(['127.0.0.1:5432', '127.0.0.1:6379'])
  const p = await plan({ DATABASE_EMBEDDED: 'true', REDIS_EMBEDDED: '1' }, probe)
  assert.deepEqual([p.database.mode, p.redis.mode, probe.asked], ['embedded', 'embedded', []])
  await assert.rejects(plan({ REDIS_EMBEDDED: 'true', REDIS_URL: 'redis://127.0.0.1:6379' }, probe), (err: Error) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /REDIS_EMBEDDED=true and REDIS_URL are both set/)
    return true
  })
})

test('the server refuses workers with embedded backends and logs one line naming what is embedded', () => {
  const env = { DATABASE_EMBEDDED: 'true', DATABASE_URL: 'postgres://postgres@127.0.0.1:55432/postgres', REDIS_EMBEDDED: 'true' }
  assert.throws(() => checkEmbeddedConfig(env, loadConfig({ ...env, WEB_CONCURRENCY: '2' })), /WEB_CONCURRENCY\/--workers=2: embedded backends .* single process/)
  const config = loadConfig(env)
  checkEmbeddedConfig(env, config)
  const message = embeddedModeMessage(config)
  assert.match(message ?? '', /^Embedded mode: PostgreSQL → embedded PGlite at postgres:\/\/postgres@127\.0\.0\.1:55432\/postgres .*; Redis → none, in-process instead .*Set DATABASE_URL and REDIS_URL in production\.$/)
  assert.equal(embeddedModeMessage(loadConfig({})), undefined)
  assert.match(embeddedModeMessage(loadConfig({ REDIS_EMBEDDED: 'true' })) ?? '', /^Embedded mode: Redis → none/)
})

test('address knobs are validated, and the probe really connects', async () => {
  assert.deepEqual(parseHostPort('[::1]:5432', 'X'), { host: '::1', port: 5432 })
  assert.throws(() => parseHostPort('localhost', 'TECHMART_DEFAULT_PG_ADDR'), /TECHMART_DEFAULT_PG_ADDR="localhost": expected host:port/)
  assert.throws(() => loadConfig({ TECHMART_DEFAULT_REDIS_ADDR: 'not an address' }), /TECHMART_DEFAULT_REDIS_ADDR/)
  assert.equal(await answers({ host: '127.0.0.1', port: await freePort(55400, 55499) }, 500), false)
})

test('the data folder lock refuses a live holder and takes over a stale one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'techmart-lock-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const data = join(dir, 'pglite')
  const release = await lockDataDir(data)
  await assert.rejects(lockDataDir(data), (err: Error) => err instanceof DataDirLockedError && err.pid === process.pid)
  await release()
  // A lock left by a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max).
  await writeFile(`${data}.lock`, '4194305\n')
  const again = await lockDataDir(data)
  assert.equal((await readFile(`${data}.lock`, 'utf8')).trim(), String(process.pid))
  await again()
})
