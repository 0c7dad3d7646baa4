/**
 * Screenshot of the monitoring dashboard of a running server (docs/MONITORING.md):
 * logs in through the page with Debian's chromium (playwright-core), waits
 * while the live charts fill, and saves a full-page PNG.
 *
 *   npm run dashboard:screenshot -- --url http://127.0.0.1:3000 \
 *     [--email admin@techmart.local] [--password $DEMO_PASSWORD] [--wait 30] [--out docs/dashboard.png]
 *
 * Run traffic against the server meanwhile (e.g. `npm run loadtest`) for a
 * screenshot under load.
 */
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    email: { type: 'string', default: 'admin@techmart.local' },
    password: { type: 'string', default: process.env.DEMO_PASSWORD ?? 'techmart-demo' },
    wait: { type: 'string', default: '30' },
    out: { type: 'string', default: 'docs/dashboard.png' },
    width: { type: 'string', default: '1366' },
    height: { type: 'string', default: '768' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' }
  }
})

async function main (): Promise<void> {
  if (!existsSync(args.chromium)) throw new Error(`chromium not found at ${args.chromium}: apt-get install -y chromium`)
  const browser = await chromium.launch({
    executablePath: args.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  try {
    const page = await browser.newPage({ viewport: { width: Number(args.width), height: Number(args.height) } })
    await page.goto(`${args.url}/dashboard/`)
    await page.fill('input[name=email]', args.email)
    await page.fill('input[name=password]', args.password)
    await page.click('button[type=submit]')
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 20_000 })
    await page.waitForTimeout(Number(args.wait) * 1000)
    await page.screenshot({ path: args.out, fullPage: true })
    process.stdout.write(`saved ${args.out}\n`)
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
