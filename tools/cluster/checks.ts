import { randomInt } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { call, callExpect } from './http.js'
import type { InstanceId, Topology } from './topology.js'

/**
 * The scale-out checks, run against the live topology through
 * real HTTP: (a) a write through one instance is read fresh through the
 * other and through nginx, (b) a client has one rate-limit budget whichever
 * instance answers, (c) the dashboard lists both instances and their total,
 * (d) an alert rule true on both instances notifies once.
 */

export interface CheckResult {
  title: string
  pass: boolean
  lines: string[]
}

/** How long a write may take to reach another instance's cache: within a second. */
const FRESH_WITHIN_MS = 1000

interface ProductBody { id: number, price: number }

const cacheOf = (headers: Headers) => /cache;desc=(\w+)/.exec(headers.get('server-timing') ?? '')?.[1] ?? 'none'

async function readPrice (url: string): Promise<{ price: number, cache: string }> {
  const res = await callExpect(200, url)
  return { price: (res.body as ProductBody).price, cache: cacheOf(res.headers) }
}

/** Reads until the price is `expected` or FRESH_WITHIN_MS passed since `since`: reads made, and when the last answered. */
async function pollPrice (url: string, expected: number, since: number) {
  let reads = 0
  for (;;) {
    const { price, cache } = await readPrice(url)
    reads++
    const ms = Math.round(performance.now() - since)
    if (price === expected) return { fresh: true, reads, ms, cache }
    if (ms > FRESH_WITHIN_MS) return { fresh: false, reads, ms, cache }
    await sleep(10)
  }
}

/**
 * (a) PATCH a product's price through instance A, then read it through B
 * (whose cache held the old price) and through nginx. `restore` puts the old
 * price back (the demo runs on the shared demo database).
 */
export async function checkUpdateSeenEverywhere (t: Topology, adminToken: string, productId: number): Promise<CheckResult & { restore: () => Promise<void> }> {
  const path = `/api/v1/products/${productId}`
  const lines: string[] = []
  const before = await readPrice(`${t.instanceUrl.b}${path}`)
  const warmB = await readPrice(`${t.instanceUrl.b}${path}`)
  const viaNginxBefore = await readPrice(`${t.url}${path}`)
  lines.push(`product ${productId}: price ${before.price} through B and ${viaNginxBefore.price} through nginx; B's second read came from its cache (server-timing cache=${warmB.cache})`)
  const next = Math.round((before.price + 1) * 100) / 100
  await callExpect(200, `${t.instanceUrl.a}${path}`, { method: 'PATCH', token: adminToken, body: { price: next } })
  const patched = performance.now()
  lines.push(`PATCH through A (${t.instanceName.a}): price → ${next}`)
  const viaB = await pollPrice(`${t.instanceUrl.b}${path}`, next, patched)
  const viaNginx = await pollPrice(`${t.url}${path}`, next, patched)
  const describe = (r: typeof viaB) => r.fresh
    ? `${next} on read ${r.reads} (answered ${r.ms} ms after the PATCH's answer; cache=${r.cache})`
    : `still stale after ${r.reads} reads in ${r.ms} ms`
  lines.push(`read through B: ${describe(viaB)}`)
  lines.push(`read through nginx: ${describe(viaNginx)}`)
  // "At once": no stale read at all on B, whose cached copy had to be invalidated.
  const pass = warmB.cache === 'hit' && viaB.fresh && viaB.reads === 1 && viaNginx.fresh && viaNginx.reads === 1
  return {
    title: '(a) an update through instance A is seen at once through B and through nginx',
    pass,
    lines,
    restore: async () => { await callExpect(200, `${t.instanceUrl.a}${path}`, { method: 'PATCH', token: adminToken, body: { price: before.price } }) }
  }
}

interface BudgetRun { label: string, allowed: number, limits: Set<number>, route: string[] }

/** Login attempts as one client address until the first 429: how many were let through, and where each went. */
async function spendBudget (label: string, targets: string[], clientIp: string): Promise<BudgetRun> {
  const run: BudgetRun = { label, allowed: 0, limits: new Set(), route: [] }
  for (let i = 0; i < 100; i++) {
    const target = targets[i % targets.length]
    // Another unknown account each time: one account is locked after a few failures, whatever the address.
    const res = await call(`${target}/api/v1/auth/login`, { method: 'POST', clientIp, body: { email: `nobody-${i}@cluster-demo.invalid`, password: 'wrong-password' } })
    run.limits.add(Number(res.headers.get('x-ratelimit-limit')))
    if (res.status === 429) return run
    if (res.status !== 401) throw new Error(`login as ${clientIp} answered ${res.status}: ${JSON.stringify(res.body)}`)
    run.allowed++
    run.route.push(`${new URL(target).port}:r=${res.headers.get('x-ratelimit-remaining')}`)
  }
  return run
}

// The limit scales with the machine's load level; a run during which the level moved is repeated.
const BUDGET_ATTEMPTS = 3

/** A random address of the benchmarking range 198.18.0.0/15: a budget nobody spent in the last minute. */
function clientAddress (): string {
  const n = randomInt(1, 131_070)
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`
}

/**
 * (b) The login route's per-client budget (10 per minute; refills every 6 s,
 * so none refills during a run) spent three ways: all through A, alternating
 * A and B, through nginx. Per-instance counters would let twice as many
 * through when two instances answer.
 */
export async function checkSharedRateLimit (t: Topology): Promise<CheckResult> {
  const ways: [string, string[]][] = [['all through A', [t.instanceUrl.a]], ['alternating A, B', [t.instanceUrl.a, t.instanceUrl.b]], ['through nginx', [t.url]]]
  const runs: BudgetRun[] = []
  for (const [label, targets] of ways) {
    let run = await spendBudget(label, targets, clientAddress())
    for (let i = 1; i < BUDGET_ATTEMPTS && run.limits.size > 1; i++) run = await spendBudget(label, targets, clientAddress())
    runs.push(run)
  }
  const limitOf = (r: BudgetRun) => [...r.limits].join('/')
  const lines = runs.map((r) => `${r.label}: ${r.allowed} answered, then 429 (limit header ${limitOf(r)})`)
  lines.push(`alternating, port:remaining after each: ${runs[1].route.join(' ')}`)
  const single = runs[0].allowed
  const pass = runs.every((r) => r.limits.size === 1 && r.allowed === Number(limitOf(r)) && r.allowed === single)
  return { title: '(b) a client\'s rate-limit budget is shared: split between A and B it runs out at the same count as on one instance', pass, lines }
}

interface InstanceFigures { instance_id: string, alive: boolean, http: { requests: number, rps: number } }
interface PerformanceBody { shared: boolean, instance_id: string, total: { http: { requests: number } }, instances: InstanceFigures[] }

/**
 * (c) Some traffic on each instance, then the dashboard's data through
 * nginx: both instances alive, and the total is their sum.
 */
export async function checkDashboard (t: Topology, adminToken: string): Promise<CheckResult> {
  const ids: InstanceId[] = ['a', 'b']
  for (const id of ids) {
    for (let i = 0; i < 10; i++) await callExpect(200, `${t.instanceUrl[id]}/api/v1/categories`)
  }
  // Each instance publishes its snapshot once a second.
  await sleep(1500)
  const res = await callExpect(200, `${t.url}/api/v1/monitoring/performance?range=15m`, { token: adminToken })
  const body = res.body as PerformanceBody
  const alive = body.instances.filter((i) => i.alive)
  const sum = alive.reduce((n, i) => n + i.http.requests, 0)
  const lines = [
    `GET /api/v1/monitoring/performance through nginx, answered by ${body.instance_id} (shared view: ${body.shared})`,
    ...body.instances.map((i) => `instance ${i.instance_id}: alive ${i.alive}, ${i.http.requests} requests in the window`),
    `total: ${body.total.http.requests} requests = sum over the alive instances (${sum})`
  ]
  const listed = ids.every((id) => alive.some((i) => i.instance_id === t.instanceName[id] && i.http.requests > 0))
  return { title: '(c) the dashboard data lists both instances and their total', pass: body.shared && listed && body.total.http.requests === sum, lines }
}

export interface WebhookReceiver {
  url: string
  /** Every body received, in order. */
  received: { at: number, body: { status: string, alerts: { status: string, labels: Record<string, string> }[] } }[]
  close: () => Promise<void>
}

/** An Alertmanager-style webhook receiver on 127.0.0.1 that records what it is sent. */
export async function startWebhookReceiver (): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = []
  const server: Server = createServer((req, res) => {
    let text = ''
    req.on('data', (d) => { text += d })
    req.on('end', () => {
      try {
        received.push({ at: Date.now(), body: JSON.parse(text) })
      } catch {}
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/alerts`, received, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

/** The rules file of the alert check: one rule that is true on every instance that serves any request. */
export function demoAlertRules (ruleId: string) {
  return {
    rules: [{
      type: 'threshold',
      id: ruleId,
      metric: 'http_rps',
      window_s: 60,
      operator: '>',
      threshold: 0,
      for_s: 2,
      keep_firing_for_s: 0,
      severity: 'info',
      group: 'cluster_demo',
      description: 'Cluster demo: any traffic at all. True on both instances at once.'
    }]
  }
}

const firingNotices = (w: WebhookReceiver, ruleId: string) =>
  w.received.filter((r) => r.body.alerts.some((a) => a.labels.alertname === ruleId && a.status === 'firing'))

/**
 * (d) Both instances serve traffic, so the rule holds on both; only the
 * lease holder evaluates, so the receiver gets one firing notification.
 * Then the lease holder is restarted: the other instance takes over the
 * evaluation, continues the persisted state and sends nothing new.
 */
export async function checkAlertOnce (t: Topology, webhook: WebhookReceiver, ruleId: string, adminToken: string, settleMs: number): Promise<CheckResult> {
  const lines: string[] = []
  const traffic = async (ms: number) => {
    const until = Date.now() + ms
    while (Date.now() < until) {
      await Promise.all([callExpect(200, `${t.instanceUrl.a}/api/v1/categories`), callExpect(200, `${t.instanceUrl.b}/api/v1/categories`)])
      await sleep(100)
    }
  }
  const deadline = Date.now() + 30_000
  while (firingNotices(webhook, ruleId).length === 0 && Date.now() < deadline) await traffic(500)
  if (firingNotices(webhook, ruleId).length === 0) return { title: '(d) one alert fires once, not twice', pass: false, lines: ['no notification within 30 s'] }
  await traffic(settleMs)
  const leader = await leaderOf(t, adminToken)
  const perf = (await callExpect(200, `${t.url}/api/v1/monitoring/performance?range=15m`, { token: adminToken })).body as PerformanceBody
  const rps = perf.instances.filter((i) => i.alive).map((i) => `${i.instance_id} ${i.http.rps}`).join(', ')
  lines.push(`rule ${ruleId}: http_rps > 0 for 2 s; http_rps now ${rps} (true on both); evaluated by the lease holder ${leader ?? '(unknown)'}`)
  const first = firingNotices(webhook, ruleId).length
  lines.push(`webhook receiver: ${first} firing notification(s) after ${settleMs / 1000} s more traffic on both instances`)
  let afterFailover = first
  const holder = (['a', 'b'] as const).find((id) => t.instanceName[id] === leader)
  if (holder) {
    await t.restart(holder)
    await traffic(settleMs)
    const next = await leaderOf(t, adminToken)
    afterFailover = firingNotices(webhook, ruleId).length
    lines.push(`lease holder ${leader} restarted; evaluation now on ${next ?? '(unknown)'}; firing notifications: ${afterFailover}`)
  }
  lines.push(`webhook bodies received in all: ${webhook.received.length}`)
  return { title: '(d) one alert fires once, not twice: one webhook notification for a rule true on both instances', pass: holder !== undefined && first === 1 && afterFailover === 1, lines }
}

interface AlertsBody { evaluation: { leader: boolean } }

/** The instance holding the evaluation lease: each instance's alerts API says whether it does. */
async function leaderOf (t: Topology, adminToken: string): Promise<string | undefined> {
  for (const id of ['a', 'b'] as const) {
    const res = await callExpect(200, `${t.instanceUrl[id]}/api/v1/monitoring/alerts`, { token: adminToken })
    if ((res.body as AlertsBody).evaluation.leader) return t.instanceName[id]
  }
  return undefined
}
