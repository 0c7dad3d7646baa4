import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig, splitList } from '../../src/config.js'

test('defaults serve the local setup', () => {
  const c = loadConfig({})
  assert.equal(c.port, 3000)
  assert.equal(c.databaseUrl, 'postgres://postgres@127.0.0.1:5432/techmart')
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6379')
  assert.equal(c.cacheEnabled, true)
  assert.equal(c.webConcurrency, 1)
  assert.ok(Object.isFrozen(c))
})

test('values are coerced from strings', () => {
  const c = loadConfig({ PORT: '8080', CACHE_ENABLED: 'false', RATE_LIMIT_ENABLED: '0', WEB_CONCURRENCY: '4', LOG_LEVEL: 'debug' })
  assert.equal(c.port, 8080)
  assert.equal(c.cacheEnabled, false)
  assert.equal(c.rateLimitEnabled, false)
  assert.equal(c.webConcurrency, 4)
  assert.equal(c.logLevel, 'debug')
})

test('every bad variable is named in one error', () => {
  assert.throws(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', CACHE_ENABLED: 'maybe', LOG_LEVEL: 'loud', JWT_SECRET: 'short' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    const text = err.message
    for (const name of ['PORT', 'DATABASE_URL', 'CACHE_ENABLED', 'LOG_LEVEL', 'JWT_SECRET']) assert.match(text, new RegExp(name))
    assert.match(text, /LOG_LEVEL="loud": must be one of fatal, error/)
    assert.equal(err.problems.length, 5)
    return true
  })
})

test('out-of-range numbers are rejected', () => {
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/)
  assert.throws(() => loadConfig({ DATABASE_POOL_MAX: '0' }), /DATABASE_POOL_MAX/)
})

test('overrides win over the environment and are validated too', () => {
  assert.equal(loadConfig({ PORT: '1' }, { port: 2 }).port, 2)
  assert.throws(() => loadConfig({}, { port: -5 }), /PORT/)
})

test('splitList trims and drops empties', () => {
  assert.deepEqual(splitList(' 10.0.0.0/8, ,127.0.0.1 '), ['10.0.0.0/8', '127.0.0.1'])
})
