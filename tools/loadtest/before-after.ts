/**
 * `npm run loadtest:before-after -- [loadtest flags] [--port N] [--keep-databases] [--skip-build] [--log-level L]`
 *
 * Measures what the cache and the indexes buy, on the same data:
 * 1. builds the server (`npm run build`) unless --skip-build;
 * 2. copies the demo database twice at the same moment (techmart_lt_after,
 *    then techmart_lt_before from it) — the demo database is never altered;
 * 3. drops the search and composite indexes on the "before" copy;
 * 4. runs the compiled server against "before" with CACHE_ENABLED=false and
 *    runs the scenario, then the same against "after" with everything on,
 *    one after the other, each with an empty Redis prefix of its own;
 * 5. writes both reports and the comparison (`--out`, default
 *    docs/load-tests/before-after-<date>), then drops the copies.
 */
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { loadConfig, deleteKeysUnder } from '../../src/public.js'
import { parseCli, USAGE } from './cli.js'
import { compare, renderComparison } from './compare.js'
import { analyze, copyDatabase, databaseName, dropDatabase, dropSearchAndCompositeIndexes, endSessions, type DroppedIndex } from './db-copy.js'
import { writeReport } from './report.js'
import type { Report } from './report-schema.js'
import { runLoadTest } from './runner.js'
import { startServer } from './server-process.js'

const BEFORE_DB = 'techmart_lt_before'
const AFTER_DB = 'techmart_lt_after'
const DEFAULT_PORT = 3610
/** Pause between the runs so the machine's load from the first settles before the second is measured. */
const SETTLE_MS = 10_000

interface OwnFlags { port: number, keepDatabases: boolean, skipBuild: boolean, logLevel: string }

/** Takes this script's own flags out of argv; the rest are load-test flags. */
function splitArgs (argv: string[]): { own: OwnFlags, rest: string[] } {
  const own: OwnFlags = { port: DEFAULT_PORT, keepDatabases: false, skipBuild: false, logLevel: 'info' }
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--keep-databases') own.keepDatabases = true
    else if (arg === '--skip-build') own.skipBuild = true
    else if (arg === '--port') own.port = Number(argv[++i])
    else if (arg === '--log-level') own.logLevel = String(argv[++i])
    else rest.push(arg)
  }
  if (!Number.isInteger(own.port) || own.port < 1 || own.port > 65535) throw new Error('--port must be a TCP port')
  return { own, rest }
}

function build (): void {
  process.stderr.write('building the server (npm run build)\n')
  const res = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' })
  if (res.status !== 0) throw new Error('npm run build failed')
}

async function flushPrefix (redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    await deleteKeysUnder(redis, prefix)
  } finally {
    redis.disconnect()
  }
}

interface PhaseInput { name: 'before' | 'after', databaseUrl: string, cacheEnabled: boolean }

async function runPhase (phase: PhaseInput, own: OwnFlags, cli: ReturnType<typeof parseCli>, redisUrl: string): Promise<{ report: Report, file: string }> {
  const prefix = `techmart-lt-${phase.name}-${process.pid}`
  const workers = String(cli.workers)
  process.stderr.write(`\n== ${phase.name}: cache ${phase.cacheEnabled ? 'on' : 'off'}, database ${databaseName(phase.databaseUrl)}, ${workers} worker(s)\n`)
  const server = await startServer(own.port, {
    DATABASE_URL: phase.databaseUrl,
    CACHE_ENABLED: String(phase.cacheEnabled),
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: own.logLevel,
    WEB_CONCURRENCY: workers
  }, `.data/loadtest/server-${phase.name}.log`)
  let report: Report
  try {
    report = await runLoadTest({ ...cli.options, baseUrl: server.baseUrl, databaseUrl: phase.databaseUrl }, {
      log: (line) => process.stderr.write(`[${phase.name}] ${line}\n`),
      live: (line) => process.stderr.write(`[${phase.name}] ${line}\n`),
      workers: cli.workers
    })
  } finally {
    const code = await server.stop()
    if (code !== 0) process.stderr.write(`[${phase.name}] the server exited with ${code}\n`)
    await flushPrefix(redisUrl, prefix)
  }
  const files = await writeReport(report, `${cli.out}-${phase.name}`)
  process.stderr.write(`[${phase.name}] ${report.verdict}: ${report.overall.okRps} RPS, p95 ${report.overall.latencyMs.p95} ms, errors ${(report.overall.errorRate * 100).toFixed(3)}% -> ${files.markdown}\n`)
  return { report, file: files.markdown }
}

async function main (): Promise<void> {
  const config = loadConfig()
  const { own, rest } = splitArgs(process.argv.slice(2))
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\nbefore-after adds: --port N (default ${DEFAULT_PORT}) --keep-databases --skip-build --log-level L (default info, as in production)\n`)
    return
  }
  const stamp = new Date().toISOString().slice(0, 10)
  const hasOut = rest.includes('--out')
  const cli = parseCli(hasOut ? rest : [...rest, '--out', `docs/load-tests/before-after-${stamp}`], config)
  const source = cli.options.databaseUrl
  if (!own.skipBuild) build()
  const afterUrl = await copyDatabase(source, AFTER_DB, (l) => process.stderr.write(`${l}\n`))
  const beforeUrl = await copyDatabase(afterUrl, BEFORE_DB, (l) => process.stderr.write(`${l}\n`))
  let dropped: DroppedIndex[] = []
  try {
    dropped = await dropSearchAndCompositeIndexes(beforeUrl)
    await analyze(afterUrl)
    process.stderr.write(`dropped ${dropped.length} indexes on ${BEFORE_DB}: ${dropped.map((d) => d.name).join(', ')}\n`)
    const before = await runPhase({ name: 'before', databaseUrl: beforeUrl, cacheEnabled: false }, own, cli, config.redisUrl)
    const ended = await endSessions(source, BEFORE_DB)
    process.stderr.write(`ended ${ended} leftover sessions on ${BEFORE_DB}; settling for ${SETTLE_MS / 1000} s\n`)
    await sleep(SETTLE_MS)
    const after = await runPhase({ name: 'after', databaseUrl: afterUrl, cacheEnabled: true }, own, cli, config.redisUrl)
    const comparison = compare(before.report, after.report, { before: before.file, after: after.file }, databaseName(source), dropped)
    await writeFile(`${cli.out}.json`, JSON.stringify(comparison, null, 2) + '\n')
    await writeFile(`${cli.out}.md`, renderComparison(comparison, before.report, after.report))
    process.stdout.write(`${renderComparison(comparison, before.report, after.report)}\ncomparison: ${cli.out}.md ${cli.out}.json\n`)
  } finally {
    if (!own.keepDatabases) {
      await dropDatabase(source, BEFORE_DB)
      await dropDatabase(source, AFTER_DB)
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`before-after failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 2
})
