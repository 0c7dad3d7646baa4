import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { buildTestApp } from '../../support/helper.js'
import { createUser, FIXTURE_PASSWORD } from '../../support/fixtures.js'

/**
 * The dashboard's search panel in a real browser (Debian's chromium): it says
 * how old its figures are ("updated Ns ago", counting up between polls) and
 * shows a new search within 5 s.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const PANEL_LAG_MS = 5000

test('dashboard search panel: shows when it was computed and a new search within 5 s', { timeout: 60_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} for the browser test: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  const app = await buildTestApp(t, { rateLimitEnabled: false, loadSheddingEnabled: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const admin = await createUser(app, { role: 'admin' })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  const pageErrors: string[] = []
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (err) => pageErrors.push(err.message))
    await page.goto(`${base}/dashboard`)
    await page.fill('input[name=email]', admin.email)
    await page.fill('input[name=password]', FIXTURE_PASSWORD)
    await page.click('button[type=submit]')
    await page.waitForSelector('#app:not([hidden])')

    // The panel says how old its figures are, with the exact time on hover.
    await page.waitForSelector('#search-age:text-matches("^updated [0-9]+s ago$")')
    const computedAt = await page.getAttribute('#search-age', 'data-computed-at')
    assert.ok(computedAt && !Number.isNaN(Date.parse(computedAt)), `data-computed-at: ${computedAt}`)
    assert.match((await page.getAttribute('#search-age', 'title')) ?? '', /^computed \d{4}-\d\d-\d\dT/)

    // A search that finds nothing appears among the zero-result queries within 5 s.
    const query = `browserzero${process.pid}`
    const searchedAt = Date.now()
    assert.equal((await fetch(`${base}/api/v1/products/search?q=${query}`)).status, 200)
    await page.waitForSelector(`#search td:text("${query}")`, { timeout: PANEL_LAG_MS })
    const lag = Date.now() - searchedAt
    assert.ok(lag <= PANEL_LAG_MS, `shown ${lag} ms after the search`)
    // The age label was refreshed with the figures that show it.
    assert.notEqual(await page.getAttribute('#search-age', 'data-computed-at'), computedAt)
  } finally {
    await browser.close()
  }
  assert.deepEqual(pageErrors, [])
})
