import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buildApp } from '../../../src/app.js'
import { createLogOutput, wantsPretty } from '../../../src/lib/logging/output.js'
import { ensureTestDb, testConfig } from '../../support/helper.js'

async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'techmart-log-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const parse = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)

test('the app\'s own buffered log output: every line logged before app.close is in the file after it', async (t) => {
  await ensureTestDb()
  const file = path.join(await tempDir(t), 'nested', 'app.log')
  const app = await buildApp(testConfig({ logLevel: 'info', logFile: file, logBufferBytes: 16_000 }))
  await app.ready()
  for (let i = 0; i < 30; i++) await app.inject({ method: 'GET', url: `/no/such/page-${i}` })
  app.log.info({ marker: 'last-before-close' }, 'last line')
  await app.close()
  const lines = parse(await readFile(file, 'utf8'))
  assert.equal(lines.filter((l) => 'duration_ms' in l).length, 30, 'every access-log line reached the file')
  assert.ok(lines.some((l) => l.marker === 'last-before-close'))
})

test('LOG_BUFFER_BYTES=0 writes each line when it is logged', async (t) => {
  const file = path.join(await tempDir(t), 'sync.log')
  const output = createLogOutput({ logPretty: 'false', logFile: file, nodeEnv: 'development', logBufferBytes: 0 }, false)
  assert.equal(output.kind, 'json-sync')
  output.stream.write('{"msg":"one"}\n')
  assert.equal(await readFile(file, 'utf8'), '{"msg":"one"}\n', 'on disk before any flush')
  await output.flush()
})

test('pretty lines only on a terminal outside production, and never into a log file', () => {
  const dev = { logPretty: 'auto', logFile: '', nodeEnv: 'development' } as const
  assert.equal(wantsPretty(dev, true), true, 'npm run dev on a terminal')
  assert.equal(wantsPretty(dev, false), false, 'piped or collected: JSON')
  assert.equal(wantsPretty({ ...dev, nodeEnv: 'production' }, true), false)
  assert.equal(wantsPretty({ ...dev, logFile: '/tmp/x.log' }, true), false)
  assert.equal(wantsPretty({ ...dev, logPretty: 'true' }, false), true, 'forced on')
  assert.equal(wantsPretty({ ...dev, logPretty: 'false' }, true), false, 'forced off')
})

test('the pretty output formats an access-log line for people', async () => {
  const output = createLogOutput({ logPretty: 'true', logFile: '', nodeEnv: 'development', logBufferBytes: 4096 }, true)
  assert.equal(output.kind, 'pretty')
  await output.flush()
  ;(output.stream as unknown as { end: () => void }).end()
})
