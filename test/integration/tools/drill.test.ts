import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import postgres from 'postgres'
import { parseDrillArgs, UsageError } from '../../../tools/drill/index.js'
import { resetDb, TEST_DATABASE_URL } from '../../support/helper.js'

const config = { databaseUrl: 'postgres://postgres@127.0.0.1:5432/techmart' }

test('drill flags: the scenario is required, defaults are the documented ones, bad values are usage errors', () => {
  assert.throws(() => parseDrillArgs([], config), (err: Error) => err instanceof UsageError && /--drop-search-index/.test(err.message))
  assert.equal(parseDrillArgs(['--help'], config), undefined)
  const o = parseDrillArgs(['--drop-search-index'], config)!
  assert.equal(o.databaseUrl, config.databaseUrl)
  assert.deepEqual(o.limits, { capture: 30, profile: 30, pending: 75, firing: 75 })
  assert.equal(o.maxS, 80)
  assert.equal(o.clients, 6)
  assert.equal(o.inPlace, false)
  assert.equal(o.inStock, true)
  assert.equal(o.auth, 'mint')
  assert.equal(o.settleS, 60)
  assert.equal(o.calmS, 90)
  const custom = parseDrillArgs(['--drop-search-index', '--max-capture-seconds', '10', '--max-seconds', '40', '--in-place', '--auth', 'whitelist', '--no-in-stock'], config)!
  assert.equal(custom.limits.capture, 10)
  assert.equal(custom.maxS, 40)
  assert.equal(custom.inPlace, true)
  assert.equal(custom.auth, 'whitelist')
  assert.equal(custom.inStock, false)
  assert.throws(() => parseDrillArgs(['--drop-search-index', '--clients', '0'], config), /--clients must be a number from 1/)
  assert.throws(() => parseDrillArgs(['--drop-search-index', '--auth', 'login'], config), /--auth must be mint or whitelist/)
  assert.throws(() => parseDrillArgs(['--drop-search-index', '--in-place', '--keep-copy'], config), /--in-place uses no copy/)
  assert.throws(() => parseDrillArgs(['--drop-search-index', '--bogus'], config), UsageError)
})

test('the drill refuses a database without the seeded catalog, before copying or changing anything', async () => {
  await resetDb()
  const admin = postgres(TEST_DATABASE_URL.replace(/\/[^/]+$/, '/postgres'), { max: 1, onnotice: () => {} })
  const copyExists = async () => (await admin`SELECT 1 FROM pg_database WHERE datname = 'techmart_drill'`).length > 0
  try {
    const before = await copyExists()
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join('tools', 'drill', 'index.ts'), '--drop-search-index', '--database-url', TEST_DATABASE_URL], {
      encoding: 'utf8',
      timeout: 60_000
    })
    assert.equal(run.status, 2, run.stdout + run.stderr)
    assert.match(run.stdout, /refused: techmart\w*_test has 0 active products, fewer than --min-products 10000: the drill needs the seeded demo catalog/)
    assert.equal(await copyExists(), before, 'no copy was made')
  } finally {
    await admin.end({ timeout: 5 })
  }
})

test('the drill without a scenario is a usage error (exit 2)', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join('tools', 'drill', 'index.ts')], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(run.status, 2)
  assert.match(run.stderr, /name the scenario: --drop-search-index/)
  assert.match(run.stderr, /Usage: npm run drill -- --drop-search-index/)
})
