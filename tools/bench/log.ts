/**
 * `npm run bench:log`: what one access-log line costs the event loop, with the app's logger
 * options (redaction, serializers) and each destination: one synchronous write per line, the
 * buffered asynchronous destination `npm start` uses, and sampling. Lines go to a temporary
 * file; the loop yields every 50 lines, as a server does between requests. A variant with pino's
 * wildcard redaction paths (`*.password`), which the app used before, is measured for comparison.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setImmediate as yieldLoop } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { destination, pino, type LoggerOptions } from 'pino'
import { LOG_REDACT_PATHS, redactSecrets, serializeError } from '../../src/public.js'

const { values } = parseArgs({ options: { lines: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } } })
const LINES = Number(values.lines)
const ROUNDS = Number(values.rounds)
const BATCH = 50

// The access-log line of a cached product detail for a signed-in user.
const LINE = { method: 'GET', route: '/api/v1/products/:id', path: '/api/v1/products/12345', status: 200, duration_ms: 1.23, client: '127.0.0.1', user_id: 42, cache: 'hit', db_ms: 0, db_wait_ms: 0, bytes: 812 }
const SECRET_KEYS = ['password', 'password_hash', 'passwordHash', 'current_password', 'new_password', 'access_token', 'token', 'params', 'parameters']

const APP: LoggerOptions = { level: 'info', redact: LOG_REDACT_PATHS, formatters: { log: redactSecrets }, serializers: { err: serializeError } }
const WILDCARDS: LoggerOptions = { level: 'info', redact: [...LOG_REDACT_PATHS, ...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)], serializers: { err: serializeError } }

interface Variant { name: string, options: LoggerOptions, sync: boolean, sampleRate: number }
const VARIANTS: Variant[] = [
  { name: 'synchronous write per line', options: APP, sync: true, sampleRate: 1 },
  { name: 'buffered asynchronous (default)', options: APP, sync: false, sampleRate: 1 },
  { name: 'buffered, ACCESS_LOG_SAMPLE_RATE=0.1', options: APP, sync: false, sampleRate: 0.1 },
  { name: 'buffered, pino wildcard redaction (before)', options: WILDCARDS, sync: false, sampleRate: 1 }
]

async function measure (dir: string, v: Variant): Promise<{ loopUs: number, cpuUs: number }> {
  const dest = destination({ dest: path.join(dir, 'bench.log'), sync: v.sync, minLength: v.sync ? 0 : 4096 })
  if (!v.sync) await new Promise((resolve) => dest.once('ready', resolve))
  const log = pino(v.options, dest).child({ reqId: 'f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d' })
  let loopMs = 0
  const cpuStart = process.cpuUsage()
  for (let i = 0; i < LINES; i += BATCH) {
    const started = performance.now()
    for (let j = 0; j < BATCH; j++) if (v.sampleRate >= 1 || Math.random() < v.sampleRate) log.info(LINE, 'request completed')
    loopMs += performance.now() - started
    await yieldLoop()
  }
  await new Promise((resolve) => dest.flush(() => resolve(undefined)))
  const cpu = process.cpuUsage(cpuStart)
  dest.end()
  return { loopUs: (loopMs * 1000) / LINES, cpuUs: (cpu.user + cpu.system) / LINES }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'techmart-bench-log-'))
try {
  process.stdout.write(`${LINES} requests per round, ${ROUNDS} rounds, load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}\n`)
  const results = new Map<string, { loopUs: number, cpuUs: number }[]>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of VARIANTS) results.set(v.name, [...(results.get(v.name) ?? []), await measure(dir, v)])
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  process.stdout.write('| destination | µs on the event loop per request (median) | process CPU µs per request (median) |\n| --- | ---: | ---: |\n')
  for (const [name, rs] of results) {
    process.stdout.write(`| ${name} | ${median(rs.map((r) => r.loopUs)).toFixed(1)} | ${median(rs.map((r) => r.cpuUs)).toFixed(1)} |\n`)
  }
  process.stdout.write(`load average after ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}\n`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
