/**
 * `npm run search:eval`: the relevance judgment set (see `-- --help` and
 * docs/SEARCH.md). Exit codes: 0 done (floors held), 1 a floor broken or the
 * run failed, 2 bad flags or configuration.
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, redactUrl } from '../../src/public.js'
import { EVAL_SEED_SIZES, prepareEvalDatabase } from './database.js'
import { brokenFloors, type Floors } from './metrics.js'
import { formatMisses, formatTable, jsonReport } from './report.js'
import { evaluate } from './run.js'

const HELP = `Usage: npm run search:eval -- [options]

Builds the relevance judgment set from a seeded catalog (exact names with
punctuation, brand + model token, typos, an unknown extra word, prefixes,
broad words), asks each query once through the app in this process, and
prints hit@3, nDCG@10, the zero-result rate and latency per category.

Options:
  --database-url URL   catalog to evaluate [DATABASE_URL]; opened read-only
  --seed-products N    evaluate a catalog of its own instead: seed (or reuse)
                       --database-url, which must end in _test
                       [postgres://…/techmart_search_eval_test], with N products
  --json FILE          also write the report (every query, its results and grades) as JSON
  --min-hit3 X         exit 1 when the overall hit@3 is below X (0..1)
  --min-ndcg X         exit 1 when the overall nDCG@10 is below X (0..1)
  --max-zero X         exit 1 when the overall zero-result rate is above X (0..1)
  --misses N           list at most N queries without a hit in the top 3 [30]
  --help               show this help
`

class UsageError extends Error {}

function fraction (flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const x = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1) throw new UsageError(`--${flag} must be a number from 0 to 1, got '${raw}'`)
  return x
}

function wholeNumber (flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw.replaceAll('_', ''))) throw new UsageError(`--${flag} must be a whole number, got '${raw}'`)
  return Number(raw.replaceAll('_', ''))
}

function parseCli (argv: string[]) {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        'database-url': { type: 'string' },
        'seed-products': { type: 'string' },
        json: { type: 'string' },
        'min-hit3': { type: 'string' },
        'min-ndcg': { type: 'string' },
        'max-zero': { type: 'string' },
        misses: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const floors: Floors = { minHit3: fraction('min-hit3', values['min-hit3']), minNdcg: fraction('min-ndcg', values['min-ndcg']), maxZero: fraction('max-zero', values['max-zero']) }
  return {
    databaseUrl: values['database-url'],
    seedProducts: wholeNumber('seed-products', values['seed-products']),
    json: values.json,
    floors,
    misses: wholeNumber('misses', values.misses) ?? 30,
    help: values.help === true
  }
}

async function main (): Promise<number> {
  const cli = parseCli(process.argv.slice(2))
  if (cli.help) {
    process.stdout.write(HELP)
    return 0
  }
  const config = loadConfig()
  const own = cli.seedProducts !== undefined
  let url = cli.databaseUrl ?? config.databaseUrl
  if (own && cli.databaseUrl === undefined) {
    const u = new URL(config.databaseUrl)
    u.pathname = '/techmart_search_eval_test'
    url = u.toString()
  }
  if (own) {
    const sizes = { ...EVAL_SEED_SIZES, products: cli.seedProducts! }
    process.stdout.write(`preparing ${redactUrl(url)} (${sizes.products.toLocaleString('en-US')} products, seed ${sizes.seed})…\n`)
    const prepared = await prepareEvalDatabase(url, sizes)
    process.stdout.write(prepared.reused ? 'reused the seeded catalog\n' : `seeded in ${(prepared.seedMs / 1000).toFixed(1)} s\n`)
  }
  const started = performance.now()
  const run = await evaluate(url, { ownDatabase: own })
  process.stdout.write(`${redactUrl(url)}: ${run.products.toLocaleString('en-US')} active products, ${run.scored.length} queries, ` +
    `spelling vocabulary ${run.vocabulary === null ? 'absent' : `${run.vocabulary.toLocaleString('en-US')} words`}, ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  if (run.vocabulary === 0) {
    process.stdout.write('warning: the spelling vocabulary is empty (the app builds it a few seconds after it starts), so typo queries ran without correction\n')
  }
  process.stdout.write(`\n${formatTable(run.summary)}\n\n${formatMisses(run.scored, cli.misses)}\n`)
  if (cli.json !== undefined) {
    const meta = { database: redactUrl(url), generated_at: new Date().toISOString(), products: run.products, vocabulary: run.vocabulary, floors: cli.floors }
    await writeFile(cli.json, `${JSON.stringify(jsonReport(meta, run.summary, run.scored), null, 2)}\n`)
    process.stdout.write(`\nwrote ${cli.json}\n`)
  }
  const broken = brokenFloors(run.summary.overall, cli.floors)
  if (broken.length > 0) {
    process.stdout.write(`\nFAIL: ${broken.join('; ')}\n`)
    return 1
  }
  return 0
}

try {
  process.exitCode = await main()
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`search:eval: ${err.message}\n(see npm run search:eval -- --help)\n`)
    process.exitCode = 2
  } else if (err instanceof ConfigError) {
    process.stderr.write(`search:eval: ${err.message}\n`)
    process.exitCode = 2
  } else {
    process.stderr.write(`search:eval: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
}
