import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildTestApp } from '../helper.js'
import { createUser, FIXTURE_PASSWORD } from '../fixtures.js'

/**
 * The dashboard in a real browser (Debian's chromium, driven by
 * playwright-core): admin login through the form, live numbers moving while
 * traffic runs, an alert banner appearing when latency is injected and
 * going away once the alert resolves. Screenshots go to test-results/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), 'test-results')
const SLOW_MS = 500
// A latency rule on short windows so the test sees pending → firing → resolved in seconds.
const TEST_RULES = {
  rules: [{
    type: 'threshold',
    id: 'test_latency_p95',
    severity: 'critical',
    description: 'p95 latency over 250 ms (browser test rule)',
    metric: 'http_p95_ms',
    window_s: 4,
    operator: '>',
    threshold: 250,
    for_s: 1,
    keep_firing_for_s: 0
  }]
}

async function launch (): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} for the browser test: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

/** Sends requests to `path` with `concurrency` workers until stopped. */
function traffic (base: string, path: string, concurrency: number) {
  const state = { running: true }
  const workers = Array.from({ length: concurrency }, async () => {
    while (state.running) {
      await fetch(`${base}${path}`).then((r) => r.arrayBuffer()).catch(() => {})
      await sleep(5)
    }
  })
  return async () => { state.running = false; await Promise.all(workers) }
}

async function kpi (page: Page, name: string): Promise<string> {
  return (await page.textContent(`[data-kpi="${name}"]`)) ?? ''
}

test('dashboard: admin login, live numbers, an alert that appears under injected latency and clears when it resolves', { timeout: 120_000 }, async (t) => {
  const rulesFile = join(tmpdir(), `techmart-dashboard-rules-${process.pid}.json`)
  await writeFile(rulesFile, JSON.stringify(TEST_RULES))
  const app = await buildTestApp(t, {
    rateLimitEnabled: false,
    loadSheddingEnabled: false,
    alertRulesFile: rulesFile,
    alertEvalIntervalMs: 500
  }, {
    setup: (app) => {
      app.get('/test/fast', async () => ({ ok: true }))
      app.get('/test/slow', async () => { await sleep(SLOW_MS); return { ok: true } })
    }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const admin = await createUser(app, { role: 'admin' })
  await mkdir(ARTIFACTS, { recursive: true })

  const browser = await launch()
  t.after(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))

  // Login through the form; a customer's token is refused by the page itself.
  await page.goto(`${base}/dashboard`)
  await page.fill('input[name=email]', admin.email)
  await page.fill('input[name=password]', FIXTURE_PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForSelector('#app:not([hidden])')
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 })

  // Live numbers change while traffic runs.
  const before = await kpi(page, 'rps_sub')
  const stopFast = traffic(base, '/test/fast', 3)
  t.after(stopFast)
  await page.waitForFunction((prev) => document.querySelector('[data-kpi="rps_sub"]')?.textContent !== prev, before, { timeout: 15_000 })
  await page.waitForFunction(() => Number(document.querySelector('[data-kpi="rps"]')?.textContent?.replace(/,/g, '')) > 0, undefined, { timeout: 15_000 })
  await page.waitForSelector('#routes td code:text("GET /test/fast")', { timeout: 10_000 })
  // Start-up requests (login hashes a password) can be slow enough to trip the rule: start from calm.
  await page.waitForSelector('#alert-banner', { state: 'hidden', timeout: 30_000 })

  // Inject latency: the alert fires and the banner cannot be missed.
  const stopSlow = traffic(base, '/test/slow', 6)
  await page.waitForSelector('#alert-banner:not([hidden])', { timeout: 30_000 })
  assert.match((await page.textContent('#alert-banner')) ?? '', /test_latency_p95/)
  assert.equal(await page.evaluate(() => document.body.classList.contains('firing')), true)
  assert.match(await page.title(), /firing/)
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-alert-firing.png') })

  // Remove the latency: the alert resolves and the banner goes away.
  await stopSlow()
  await page.waitForSelector('#alert-banner', { state: 'hidden', timeout: 30_000 })
  assert.equal(await page.evaluate(() => document.body.classList.contains('firing')), false)
  await page.waitForSelector('#alerts-history td b.state-resolved', { timeout: 20_000 })
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-resolved.png'), fullPage: true })
  await stopFast()

  assert.deepEqual(pageErrors, [])
})
