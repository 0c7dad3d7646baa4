/**
 * `npm run loadtest -- [flags]`: runs a load-test scenario against a running
 * TechMart server, prints a progress line every second, writes the Markdown
 * and JSON reports and exits 0 on PASS, 1 on FAIL, 2 on a usage or setup
 * error. `--help` lists the flags.
 */
import { ConfigError, loadConfig } from '../../src/public.js'
import { parseCli, USAGE, UsageError } from './cli.js'
import { writeReport } from './report.js'
import type { Report } from './report-schema.js'
import { runLoadTest } from './runner.js'

function summary (r: Report): string {
  const o = r.overall
  const lines = [
    '',
    `${r.scenario}: ${o.requests} requests in ${r.settings.durationS} s = ${o.rps} RPS (${o.okRps} successful), p50 ${o.latencyMs.p50} ms, p95 ${o.latencyMs.p95} ms, p99 ${o.latencyMs.p99} ms, max ${o.latencyMs.max} ms`,
    `errors ${o.errors} (${(o.errorRate * 100).toFixed(3)}%), 503s ${o.statuses['503'] ?? 0}, 429s ${o.limited}, expected 409s ${o.expected}; orders placed ${r.visits.ordersPlaced}`,
    ...(r.curve?.steps ?? []).map((c) => `  step ${c.offeredRps} req/s: ${c.okRps} successful/s, p50 ${c.latencyMs.p50} ms, p95 ${c.latencyMs.p95} ms, p99 ${c.latencyMs.p99} ms, 429 ×${c.limited}, 503 ×${c.shed}, errors ${c.errors}`),
    ...(r.flood ? [`flood GET ${r.flood.path} × ${r.flood.connections} connections: ${r.flood.problem ?? `${r.flood.requests} requests (${r.flood.rps}/s), ${Object.entries(r.flood.statuses).map(([k, v]) => `${k}: ${v}`).join(', ')}`}`] : []),
    `load generator ${r.generator.cpuPercent}% of a core; machine load average ${r.machine.loadAverageBefore.join(' ')} -> ${r.machine.loadAverageAfter.join(' ')} on ${r.machine.cpus} cores`,
    ...r.targets.map((t) => `  ${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL'}  ${t.name} ${t.goal}: ${t.shown}`),
    '',
    r.verdict
  ]
  return lines.join('\n')
}

async function main (): Promise<number> {
  let cli
  try {
    cli = parseCli(process.argv.slice(2), loadConfig())
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n\n${USAGE}`)
      return 2
    }
    throw err
  }
  if (cli.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const controller = new AbortController()
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping: finishing in-flight requests, then reporting what was measured\n')
    controller.abort()
  })
  const o = cli.options
  const shape = o.curve ? `capacity curve ${o.curve.rates.join(', ')} req/s, ${o.curve.stepS} s each` : `${o.durationS} s`
  process.stderr.write(`loadtest ${o.scenario}: ${o.users} users, ${shape} against ${o.baseUrl} (${o.model} model)${o.flood ? `, flood ${o.flood.path} × ${o.flood.connections}` : ''}\n`)
  const report = await runLoadTest(o, {
    log: (line) => process.stderr.write(`${line}\n`),
    live: (line) => process.stderr.write(`${line}\n`),
    signal: controller.signal,
    workers: cli.workers
  })
  const files = await writeReport(report, cli.out)
  process.stdout.write(`${summary(report)}\nreports: ${files.markdown} ${files.json}${files.svg ? ` ${files.svg}` : ''}\n`)
  return report.verdict === 'PASS' ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`loadtest failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 2
})
