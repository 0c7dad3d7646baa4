import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser, FIXTURE_PASSWORD } from '../../support/fixtures.js'

/**
 * The dashboard in a real browser (Debian's chromium, driven by
 * playwright-core): admin login through the form, live numbers moving while
 * traffic runs, an alert banner appearing when latency is injected, its
 * incident view, the alert reading as resolving and the banner going away
 * once it resolves. Screenshots go to test-results/.
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
    keep_firing_for_s: 4
  }]
}

async function launch (): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} for the browser test: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

/** Sends requests to `path` with `concurrency` workers, each pausing `pauseMs` between requests, until stopped. */
function traffic (base: string, path: string, concurrency: number, pauseMs: number) {
  const state = { running: true }
  const workers = Array.from({ length: concurrency }, async () => {
    while (state.running) {
      await fetch(`${base}${path}`).then((r) => r.arrayBuffer()).catch(() => {})
      await sleep(pauseMs)
    }
  })
  let stopped: Promise<void> | undefined
  return async () => {
    state.running = false
    stopped ??= Promise.all(workers).then(() => {})
    await stopped
  }
}

async function kpi (page: Page, name: string): Promise<string> {
  return (await page.textContent(`[data-kpi="${name}"]`)) ?? ''
}

/** Polls `check` (in this process, reading the page through playwright) until it holds. */
async function until (what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
}

async function scenario (page: Page, base: string, email: string, stops: (() => Promise<void>)[]): Promise<void> {
  // Login through the form (the page refuses non-admin accounts itself).
  await page.goto(`${base}/dashboard`)
  await page.fill('input[name=email]', email)
  await page.fill('input[name=password]', FIXTURE_PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForSelector('#app:not([hidden])')
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 })
  // Panels read on request say when their data was read.
  for (const label of ['#profiles-age', '#slow-age']) {
    await page.waitForSelector(`${label}:text-matches("^updated [0-9]+s ago$")`, { timeout: 10_000 })
    assert.match((await page.getAttribute(label, 'title')) ?? '', /^computed \d{4}-\d\d-\d\dT/)
  }

  // Live numbers change while traffic runs (paced, so injected latency later shows in the p95).
  const before = await kpi(page, 'rps_sub')
  stops.push(traffic(base, '/test/fast', 2, 50))
  await until('the request figures to change', async () => (await kpi(page, 'rps_sub')) !== before)
  await until('a non-zero request rate', async () => Number((await kpi(page, 'rps')).replace(/,/g, '')) > 0)
  await page.waitForSelector('#routes td code:text("GET /test/fast")', { timeout: 10_000 })
  // Start-up requests (login hashes a password) can be slow enough to trip the rule: start from calm
  // (no alert pending or firing, so the latency below starts an episode of its own).
  await page.waitForSelector('#alert-banner', { state: 'hidden', timeout: 30_000 })
  await page.waitForSelector('#alerts-active .ok-text', { timeout: 30_000 })

  // Inject latency: the alert fires and the banner cannot be missed.
  const stopSlow = traffic(base, '/test/slow', 8, 0)
  stops.push(stopSlow)
  await page.waitForSelector('#alert-banner:not([hidden])', { timeout: 30_000 })
  assert.match((await page.textContent('#alert-banner')) ?? '', /test_latency_p95/)
  assert.equal(await page.locator('body.firing').count(), 1)
  assert.match(await page.title(), /firing/)
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-alert-firing.png') })

  // Explain: the incident view names the route that got slow, and the URL can be shared.
  await page.click('#alert-banner button[data-incident="test_latency_p95"]')
  await page.waitForSelector('#incident:not([hidden]) .incident-summary li', { timeout: 10_000 })
  assert.match((await page.textContent('#incident')) ?? '', /Slower routes: .*GET \/test\/slow p95/)
  assert.match(page.url(), /#incident=test_latency_p95$/)
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-incident.png') })
  await page.keyboard.press('Escape')
  await page.waitForSelector('#incident', { state: 'hidden' })
  assert.doesNotMatch(page.url(), /#incident=/)

  // Remove the latency: the alert reads as resolving while keep_firing_for runs, then resolves and the banner goes away.
  await stopSlow()
  await page.waitForSelector('#alerts-active li.alert.resolving .tag-resolving', { timeout: 20_000 })
  assert.match((await page.textContent('#alerts-active li.alert.resolving')) ?? '', /condition cleared \d+s ago, resolves in \d+s unless it breaches again/)
  await page.waitForSelector('#alert-banner', { state: 'hidden', timeout: 30_000 })
  assert.equal(await page.locator('body.firing').count(), 0)
  await page.waitForSelector('#alerts-history td b.state-resolved', { timeout: 20_000 })
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-resolved.png'), fullPage: true })
}

test('dashboard: admin login, live numbers, an alert that appears under injected latency and clears when it resolves', { timeout: 120_000 }, async (t) => {
  // Alert history and minute rollups of earlier runs would be this run's baselines and episodes.
  await resetDb()
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
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()) })
  const stops: (() => Promise<void>)[] = []
  try {
    await scenario(page, base, admin.email, stops)
  } catch (err) {
    // The screen and the page's own errors are what explain a failure.
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-failure.png'), fullPage: true }).catch(() => {})
    throw new Error(`${(err as Error).message}\npage errors: ${JSON.stringify(pageErrors)}`, { cause: err })
  } finally {
    await Promise.all(stops.map((stop) => stop()))
    await browser.close()
  }
  assert.deepEqual(pageErrors, [])
})
