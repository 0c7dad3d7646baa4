/**
 * `npm run seed`: builds the demo data set (see `npm run seed -- --help`).
 * Exit codes: 0 done (or nothing to do with --if-empty), 1 refused or failed,
 * 2 bad flags or configuration.
 */
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { ConfigError, loadConfig } from '../src/config.js'
import { ensureDatabase, runMigrations } from '../src/db/migrate.js'
import {
  DEFAULT_SEED_SIZES, DEMO_ACCOUNTS, DatabaseNotEmptyError, ResetRefusedError, SeedOptionsError, assertResettable,
  createProgressPrinter, formatSeedSummary, isDatabaseEmpty, resetDatabase, seedDatabase, validateSeedOptions, type SeedSizes
} from '../src/db/seed/index.js'
import { redactUrl } from '../src/lib/logging/urls.js'

const SIZE_FLAGS = ['products', 'categories', 'users', 'orders', 'reviews', 'carts', 'seed'] as const

const HELP = `Usage: npm run seed -- [options]

Builds TechMart demo data: users, a category tree, products, orders with items,
reviews and carts. Reads DATABASE_URL and DEMO_PASSWORD; creates the database and
applies migrations first.

Sizes (defaults in brackets):
  --products N     products                               [${DEFAULT_SEED_SIZES.products}]
  --categories N   categories in a 2-3 level tree         [${DEFAULT_SEED_SIZES.categories}]
  --users N        users (3 demo accounts, ~1% sellers)   [${DEFAULT_SEED_SIZES.users}]
  --orders N       orders over the last 90 days           [${DEFAULT_SEED_SIZES.orders}]
  --reviews N      reviews                                [${DEFAULT_SEED_SIZES.reviews}]
  --carts N        customers with a cart                  [${DEFAULT_SEED_SIZES.carts}]
  --seed N         PRNG seed                              [${DEFAULT_SEED_SIZES.seed}]

Options:
  --reset          empty every domain table first (only for databases named *_test, unless --force)
  --force          allow --reset on any database
  --if-empty       do nothing (exit 0) when the database already has products
  --quiet          print only the final summary
  --help           show this help

The same --seed gives the same names, prices, stock, orders and reviews;
timestamps are relative to now (orders fall in the 90 days before the run).
Demo logins: ${DEMO_ACCOUNTS.map((a) => a.email).join(', ')} and user1..userN@techmart.local,
all with the DEMO_PASSWORD password (default 'techmart-demo').
`

class UsageError extends Error {}
class Refused extends Error {}

function parseSize (flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const text = raw.replaceAll('_', '')
  if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} must be a whole number, got '${raw}'`)
  return Number(text)
}

function parseCli (argv: string[]): { sizes: SeedSizes, reset: boolean, force: boolean, ifEmpty: boolean, quiet: boolean, help: boolean } {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...Object.fromEntries(SIZE_FLAGS.map((f) => [f, { type: 'string' as const }])),
        reset: { type: 'boolean' },
        force: { type: 'boolean' },
        'if-empty': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const v = parsed.values as Record<string, string | boolean | undefined>
  const sizes = Object.fromEntries(SIZE_FLAGS.map((f) => [f, parseSize(f, v[f] as string | undefined, DEFAULT_SEED_SIZES[f])])) as unknown as SeedSizes
  return { sizes, reset: v.reset === true, force: v.force === true, ifEmpty: v['if-empty'] === true, quiet: v.quiet === true, help: v.help === true }
}

function fail (code: number, message: string): never {
  process.stderr.write(`seed: ${message}\n`)
  process.exit(code)
}

async function main (): Promise<void> {
  const cli = parseCli(process.argv.slice(2))
  if (cli.help) {
    process.stdout.write(HELP)
    return
  }
  const config = loadConfig()
  const options = { ...cli.sizes, demoPassword: config.demoPassword }
  validateSeedOptions(options)
  const url = config.databaseUrl
  if (cli.reset) assertResettable(url, cli.force)
  const say = (text: string): void => { if (!cli.quiet) process.stdout.write(`${text}\n`) }
  if (await ensureDatabase(url)) say(`created database ${redactUrl(url)}`)
  await runMigrations(url)
  const sql = postgres(url, { max: 2, onnotice: () => {}, connection: { application_name: 'techmart-seed' } })
  try {
    if (cli.ifEmpty && !(await isDatabaseEmpty(sql))) {
      say(`${redactUrl(url)} already has products: nothing to seed`)
      return
    }
    if (cli.reset) {
      await resetDatabase(sql)
      say(`reset ${redactUrl(url)}`)
    } else if (!(await isDatabaseEmpty(sql))) {
      throw new Refused(`${redactUrl(url)} already has products; pass --reset to replace them (or --if-empty to skip)`)
    }
    say(`seeding ${redactUrl(url)} with seed ${cli.sizes.seed}`)
    const progress = cli.quiet ? undefined : createProgressPrinter(process.stdout)
    const summary = await seedDatabase(sql, options, progress)
    process.stdout.write(`${formatSeedSummary(summary)}\n`)
    say(`demo logins: ${DEMO_ACCOUNTS.map((a) => a.email).join(', ')}, user1@techmart.local ... (password: DEMO_PASSWORD${config.demoPassword === 'techmart-demo' ? ", 'techmart-demo'" : ''})`)
  } catch (err) {
    // Another seeder won the race for an empty database: with --if-empty that is success.
    if (err instanceof DatabaseNotEmptyError && cli.ifEmpty) return say(err.message)
    throw err
  } finally {
    await sql.end({ timeout: 5 })
  }
}

try {
  await main()
} catch (err) {
  if (err instanceof UsageError) fail(2, `${err.message}\n(see npm run seed -- --help)`)
  if (err instanceof SeedOptionsError) {
    fail(2, Object.entries(err.problems).map(([key, problem]) => `${key === 'demoPassword' ? 'DEMO_PASSWORD' : `--${key}`} ${problem}`).join('\nseed: '))
  }
  if (err instanceof ConfigError) fail(2, err.message)
  if (err instanceof Refused || err instanceof ResetRefusedError || err instanceof DatabaseNotEmptyError) fail(1, err.message)
  fail(1, (err as Error).stack ?? String(err))
}
