import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { ensureTestDb, TEST_DATABASE_URL } from '../support/helper.js'
import { startTcpProxy } from '../support/tcp-proxy.js'

async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

interface Started { child: ChildProcess, port: number, output: () => string }

async function startServer (args: string[] = [], env: Record<string, string> = {}): Promise<Started> {
  await ensureTestDb()
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: TEST_DATABASE_URL, REDIS_KEY_PREFIX: `techmart-test-srv-${process.pid}`, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout!.on('data', (d) => { output += d })
  child.stderr!.on('data', (d) => { output += d })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`)
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`)
    const ok = await fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.ok, () => false)
    if (ok) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return { child, port, output: () => output }
}

test('a bad configuration value stops the process with a message naming the variable', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'not-a-port' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d })
  const [code] = await once(child, 'exit')
  assert.equal(code, 2)
  assert.match(stderr, /PORT="not-a-port": must be integer/)
})

test('SIGTERM: in-flight requests finish, then the process exits 0', async (t) => {
  // Redis answers 2 s late, so /health/ready requests (which share one PING) are still in
  // flight when SIGTERM lands: the proxy tells us when their check has reached Redis (ioredis
  // writes command names in lower case), and the requests sent with it have a second to arrive
  // and join that check.
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const { child, port, output } = await startServer([], { REDIS_URL: proxy.url('redis'), RATE_LIMIT_ENABLED: 'false' })
  proxy.setLatency(2000)
  const pingsBefore = proxy.countSent('$4\r\nping\r\n')
  const inflight = Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, (e) => String(e)))
  const deadline = Date.now() + 15_000
  while (proxy.countSent('$4\r\nping\r\n') - pingsBefore < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  const statuses = await Promise.all(inflight)
  assert.equal(code, 0, output())
  assert.deepEqual(statuses, Array(20).fill(200), 'every accepted request completes')
  assert.match(output(), /shutting down/)
  // New connections are refused once shutdown has begun.
  await assert.rejects(fetch(`http://127.0.0.1:${port}/health/live`))
})

test('--workers 2 runs a cluster that serves and stops gracefully', async () => {
  const { child, port, output } = await startServer(['--workers', '2'])
  const pids = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/health/live`)
    assert.equal(res.status, 200)
  }
  assert.match(output(), /starting cluster/)
  const deadline = Date.now() + 20_000
  while (pids.size < 2 && Date.now() < deadline) {
    for (const line of output().split('\n')) {
      const m = /"pid":(\d+).*"msg":"Server listening/.exec(line)
      if (m) pids.add(m[1])
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(pids.size, 2, 'two worker processes listen')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0, output())
  assert.match(output(), /stopping workers gracefully/)
})
