import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { checkSharedRateLimit, checkUpdateSeenEverywhere } from '../../../tools/cluster/checks.js'
import { connectionErrors, formatReport, runRollingRestart, unexpectedFailures } from '../../../tools/cluster/rolling-restart.js'
import { CLUSTER_SCRIPT, createTopology } from '../../../tools/cluster/topology.js'
import { deleteKeysUnder } from '../../../src/lib/redis/keys.js'
import { createUser } from '../../support/fixtures.js'
import { buildTestApp, resetDb, TEST_DATABASE_URL, TEST_REDIS_PREFIX, TEST_REDIS_URL } from '../../support/helper.js'
import { createCustomers, createShop, createShopProduct } from '../../support/commerce-fixtures.js'
import { freePort } from '../../support/ports.js'

// Two instances behind Debian's nginx on this machine, started by
// scripts/cluster-local.sh as an operator would (from sources, to skip the build).
// CI installs nginx (.ci/run); without it this test fails, it does not skip.

function findNginx (): string | undefined {
  const candidates = [process.env.CLUSTER_NGINX, ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'nginx')), '/usr/sbin/nginx']
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c))
}

function script (args: string[], env: Record<string, string>) {
  return spawnSync('bash', [CLUSTER_SCRIPT, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' })
}

test('cluster-local.sh refuses bad input with a message, before starting anything', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'techmart-cluster-test-'))
  try {
    const missing = script(['start'], { CLUSTER_DIR: dir, CLUSTER_NGINX: path.join(dir, 'no-nginx-here') })
    assert.equal(missing.status, 1)
    assert.match(missing.stderr, /nginx not found at '.*no-nginx-here': install Debian's nginx \(apt-get install -y nginx\)/)
    const usage = script(['restart', 'c'], { CLUSTER_DIR: dir })
    assert.equal(usage.status, 2)
    assert.match(usage.stderr, /restart a\|b/)
    const stopped = script(['status'], { CLUSTER_DIR: dir })
    assert.equal(stopped.status, 3, 'status says when nothing runs')
    assert.match(stopped.stdout, /a\s+not running/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('two instances behind nginx: shared invalidation and rate limits, rolling restart under load loses nothing', { timeout: 240_000 }, async (t) => {
  const nginx = findNginx()
  assert.ok(nginx, 'nginx is not installed: this test runs Debian\'s nginx (apt-get install -y nginx; .ci/run installs it)')
  await resetDb()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'techmart-cluster-test-'))
  const prefix = `${TEST_REDIS_PREFIX}-cluster`
  const port = await freePort(18100, 18999)
  const portA = await freePort(19100, 19999, [port])
  const portB = await freePort(19100, 19999, [port, portA])
  const topology = createTopology({
    dir,
    port,
    portA,
    portB,
    name: `test${process.pid}`,
    fromSource: true,
    env: {
      ...process.env as Record<string, string>,
      CLUSTER_NGINX: nginx,
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      // The load comes from 127.0.0.1; the rate-limit check sends its own client addresses.
      RATE_LIMIT_WHITELIST: '127.0.0.1',
      // A busy machine must neither turn the expected answers into 503s nor tighten the limits
      // mid-check (shedding and adaptive limits have their own tests), as in testConfig().
      LOAD_SHEDDING_ENABLED: 'false',
      LOAD_SAMPLE_INTERVAL_MS: '0'
    }
  })
  const app = await buildTestApp(undefined)
  // One hook, in this order: the instances stop before the keys they share with this app go, then the app.
  t.after(async () => {
    try {
      await topology.stop()
      await deleteKeysUnder(app.redis.client, prefix)
    } finally {
      await app.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
  const admin = await createUser(app, { role: 'admin' })
  const shop = await createShop(app)
  const products = await Promise.all(Array.from({ length: 20 }, () => createShopProduct(app, shop, { stock: 1_000_000 })))
  await topology.start()
  assert.equal((await topology.status()).ok, true)

  await t.test('(a) a price changed through A is read fresh through B and through nginx', async () => {
    const result = await checkUpdateSeenEverywhere(topology, admin.token, products[0].id)
    assert.ok(result.pass, result.lines.join('\n'))
  })

  await t.test('(b) one client budget: alternating A and B runs out at the same count as A alone', async () => {
    const result = await checkSharedRateLimit(topology)
    assert.ok(result.pass, result.lines.join('\n'))
  })

  await t.test('a rolling restart of A then B under load: no failed request, every acknowledged order stored', async (st) => {
    const customers = await createCustomers(app, 20, `cluster${process.pid}`)
    const report = await runRollingRestart({
      topology,
      users: customers,
      productIds: products.map((p) => p.id),
      connections: 20,
      rate: 100,
      leadS: 1,
      tailS: 1,
      ordersInDatabase: async (ids) => (await app.db.sql<{ id: number }[]>`SELECT id FROM orders WHERE user_id = ANY(${ids}::int[])`).map((r) => r.id)
    })
    const text = formatReport(report).join('\n')
    for (const line of text.split('\n')) st.diagnostic(line)
    assert.match(text, /instance a back in nginx[\s\S]*instance b back in nginx/, 'both instances were restarted under the load')
    assert.equal(connectionErrors(report), 0, text)
    assert.equal(unexpectedFailures(report), 0, text)
    assert.ok(report.ordersAcknowledged > 0, text)
    assert.equal(report.ordersInDatabase, report.ordersAcknowledged, text)
    assert.deepEqual([report.acknowledgedNotStored, report.storedNotAcknowledged], [[], []], text)
  })
})
