import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { ensureTestDb, TEST_DATABASE_URL } from '../support/helper.js'

// `npm start` runs the compiled output, not the sources the other tests load through tsx:
// a path that only works from src/ (package.json, migrations, dashboard assets) breaks only here.
test('the compiled server (npm run build → dist/) boots and serves health, docs and the dashboard', async () => {
  await ensureTestDb()
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' })
  assert.equal(build.status, 0, build.stdout + build.stderr)

  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as net.AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))

  const child = spawn(process.execPath, ['dist/src/server.js'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: TEST_DATABASE_URL, REDIS_KEY_PREFIX: `techmart-test-build-${process.pid}`, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  try {
    const deadline = Date.now() + 30_000
    let ready = 0
    while (ready !== 200 && Date.now() < deadline) {
      if (child.exitCode !== null) assert.fail(`compiled server exited:\n${output}`)
      ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, () => 0)
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.equal(ready, 200, output)
    const spec = await fetch(`http://127.0.0.1:${port}/openapi.json`)
    assert.equal(spec.status, 200)
    assert.equal(((await spec.json()) as { info: { version: string } }).info.version, '0.1.0')
    const page = await fetch(`http://127.0.0.1:${port}/dashboard`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /TechMart/)
  } finally {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
})
