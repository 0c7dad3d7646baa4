import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { callExpect } from './http.js'
import { createLoadClient, type LoadClient, type LoadRequest } from './load-client.js'
import { createTopology, type InstanceId, type Topology } from './topology.js'

/**
 * A rolling restart under load: virtual customers drive a steady mix
 * through nginx (product details, then a cart add and an order per cycle,
 * each customer on its own keep-alive connection) while instance A and
 * then B are restarted by scripts/cluster-local.sh. The report counts every
 * answer by status, the requests that got none, and the orders acknowledged
 * (201) against the rows the database holds for those customers.
 */

export interface LoadUser { id: number, token: string }

export interface RollingRestartOptions {
  topology: Topology
  /** One signed-in customer per connection (at least `connections`). */
  users: readonly LoadUser[]
  /** Products read and ordered (enough stock for the run, or 409s are expected). */
  productIds: readonly number[]
  connections: number
  /** Requests per second over all connections. */
  rate: number
  /** Seconds of load before the first restart and after the last. */
  leadS: number
  tailS: number
  /** Restart with the nginx drain (the default) or SIGTERM only. */
  drain?: boolean
  /** Order ids in the database for these users (placed since the load started). */
  ordersInDatabase: (userIds: number[]) => Promise<number[]>
  log?: (line: string) => void
}

export interface RollingRestartReport {
  durationS: number
  connections: number
  rate: number
  /** Requests made (a retried request counts once). */
  sent: number
  /** Requests sent a second time after nginx closed their idle keep-alive connection (see load-client.ts). */
  retried: number
  answered: number
  statuses: Record<string, number>
  /** Requests without an answer, by error code (after the retry). */
  errors: Record<string, number>
  byStep: Record<'detail' | 'cart' | 'order', Record<string, number>>
  latencyMs: { p50: number, p99: number, max: number }
  ordersAcknowledged: number
  ordersInDatabase: number
  /** Acknowledged ids missing from the database, and rows nobody was told about. */
  acknowledgedNotStored: number[]
  storedNotAcknowledged: number[]
  /** Requests answered in each second of the run. */
  perSecond: number[]
  /** Non-2xx answers other than 409 (stock) and requests without an answer, in each second. */
  failuresPerSecond: number[]
  timeline: string[]
  /** nginx error-log lines written during the run (upstream connect failures and retries). */
  nginxErrors: string[]
}

const DETAILS_PER_CYCLE = 8
const ORDER_BODY = JSON.stringify({ shipping_address: '1 Cluster Street, Loadtown', billing_address: '1 Cluster Street, Loadtown', payment_method: 'card' })
// As nginx's proxy_read_timeout: a slow answer on a loaded machine is an answer, not a lost request.
const REQUEST_TIMEOUT_MS = 30_000

const bump = (counts: Record<string, number>, key: string | number) => { counts[key] = (counts[key] ?? 0) + 1 }

/** Registers `count` customers through `baseUrl` (the API, as a shop would) and returns their ids and tokens. */
export async function registerCustomers (baseUrl: string, count: number, tag: string): Promise<LoadUser[]> {
  const users: LoadUser[] = []
  for (let i = 0; i < count; i += 5) {
    const batch = Array.from({ length: Math.min(5, count - i) }, (_, j) => i + j)
    users.push(...await Promise.all(batch.map(async (n) => {
      const name = `cl_${tag}_${n}`
      const res = await callExpect(201, `${baseUrl}/api/v1/auth/register`, {
        method: 'POST',
        body: { email: `${name}@cluster.test`, username: name, password: 'cluster-load-1', first_name: 'Load', last_name: `User ${n}` }
      })
      const body = res.body as { access_token: string, user: { id: number } }
      return { id: body.user.id, token: body.access_token }
    })))
  }
  return users
}

type Step = keyof RollingRestartReport['byStep']

interface LoadState {
  ending: boolean
  sent: number
  statuses: Record<string, number>
  errors: Record<string, number>
  acknowledged: number[]
  byStep: RollingRestartReport['byStep']
  latencies: number[]
  perSecond: number[]
  failuresPerSecond: number[]
  started: number
}

function record (state: LoadState, step: Step, outcome: number | string, ms: number): void {
  const second = Math.floor((Date.now() - state.started) / 1000)
  if (typeof outcome === 'string') {
    bump(state.errors, outcome)
    bump(state.byStep[step], outcome)
    state.failuresPerSecond[second] = (state.failuresPerSecond[second] ?? 0) + 1
    return
  }
  bump(state.statuses, outcome)
  bump(state.byStep[step], outcome)
  state.latencies.push(ms)
  state.perSecond[second] = (state.perSecond[second] ?? 0) + 1
  if ((outcome < 200 || outcome > 299) && outcome !== 409) state.failuresPerSecond[second] = (state.failuresPerSecond[second] ?? 0) + 1
}

/**
 * One customer: cycles of product details, a cart add and an order (with an
 * Idempotency-Key), one request every `intervalMs`, until `state.ending`.
 */
async function customer (user: LoadUser, products: readonly number[], client: LoadClient, state: LoadState, intervalMs: number): Promise<void> {
  const authorization = `Bearer ${user.token}`
  const pick = () => products[Math.floor(Math.random() * products.length)]
  const json = { authorization, 'content-type': 'application/json' }
  const cycle: [Step, () => LoadRequest][] = [
    ...Array.from({ length: DETAILS_PER_CYCLE }, (): [Step, () => LoadRequest] => ['detail', () => ({ method: 'GET', path: `/api/v1/products/${pick()}`, headers: { authorization } })]),
    ['cart', () => ({ method: 'POST', path: '/api/v1/cart/add', headers: json, body: JSON.stringify({ product_id: pick(), quantity: 1 }) })],
    ['order', () => ({ method: 'POST', path: '/api/v1/orders', headers: { ...json, 'idempotency-key': randomUUID() }, body: ORDER_BODY })]
  ]
  let next = performance.now() + Math.random() * intervalMs
  for (;;) {
    for (const [step, build] of cycle) {
      const wait = next - performance.now()
      if (wait > 0) await sleep(wait)
      if (state.ending) return
      next = Math.max(next + intervalMs, performance.now())
      const started = performance.now()
      state.sent++
      const answer = await client.send(build())
      if ('error' in answer) {
        record(state, step, answer.error, 0)
        continue
      }
      record(state, step, answer.status, performance.now() - started)
      if (step === 'order' && answer.status === 201) state.acknowledged.push((JSON.parse(answer.body) as { id: number }).id)
    }
  }
}

function percentile (sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))])
}

/** Runs the load, restarts A then B under it, lets every customer finish its request, and reports. */
export async function runRollingRestart (opts: RollingRestartOptions): Promise<RollingRestartReport> {
  if (opts.users.length < opts.connections) throw new Error(`need ${opts.connections} users, got ${opts.users.length}`)
  const nginxLinesBefore = (await opts.topology.nginxErrors()).length
  const state: LoadState = { ending: false, sent: 0, statuses: {}, errors: {}, acknowledged: [], byStep: { detail: {}, cart: {}, order: {} }, latencies: [], perSecond: [], failuresPerSecond: [], started: Date.now() }
  const timeline: string[] = []
  const note = (line: string) => {
    const entry = `${((Date.now() - state.started) / 1000).toFixed(1).padStart(5)} s  ${line}`
    timeline.push(entry)
    opts.log?.(entry)
  }
  const client = createLoadClient(opts.topology.url, opts.connections, REQUEST_TIMEOUT_MS)
  const intervalMs = 1000 * opts.connections / opts.rate
  note(`load starts: ${opts.connections} customers, ${opts.rate} requests/s through nginx ${opts.topology.url}`)
  const customers = opts.users.slice(0, opts.connections).map((u) => customer(u, opts.productIds, client, state, intervalMs))
  try {
    await sleep(opts.leadS * 1000)
    // The same topology, with the script's step lines on the timeline.
    const restarter = createTopology({ ...opts.topology.options, onLine: note })
    for (const id of ['a', 'b'] as InstanceId[]) {
      note(`restart ${id} (${opts.drain === false ? 'SIGTERM and start, nginx unchanged' : 'drain from nginx, SIGTERM, start, ready, back'})`)
      await restarter.restart(id, { drain: opts.drain })
    }
    await sleep(opts.tailS * 1000)
  } finally {
    state.ending = true
    await Promise.all(customers)
    client.close()
  }
  note('load stopped: every customer finished its last request')
  const durationS = (Date.now() - state.started) / 1000
  const stored = await opts.ordersInDatabase(opts.users.map((u) => u.id))
  const acknowledged = new Set(state.acknowledged)
  const storedSet = new Set(stored)
  const sorted = state.latencies.sort((a, b) => a - b)
  return {
    durationS,
    connections: opts.connections,
    rate: opts.rate,
    sent: state.sent,
    retried: client.retries(),
    answered: sorted.length,
    statuses: state.statuses,
    errors: state.errors,
    byStep: state.byStep,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: Math.round(sorted.at(-1) ?? 0) },
    ordersAcknowledged: acknowledged.size,
    ordersInDatabase: storedSet.size,
    acknowledgedNotStored: [...acknowledged].filter((id) => !storedSet.has(id)),
    storedNotAcknowledged: stored.filter((id) => !acknowledged.has(id)),
    perSecond: Array.from(state.perSecond, (n) => n ?? 0),
    failuresPerSecond: Array.from({ length: state.perSecond.length }, (_, i) => state.failuresPerSecond[i] ?? 0),
    timeline,
    nginxErrors: (await opts.topology.nginxErrors()).slice(nginxLinesBefore)
  }
}

export const connectionErrors = (r: RollingRestartReport) => Object.values(r.errors).reduce((a, b) => a + b, 0)

/** Non-2xx answers that are not the expected 409 (stock ran out). */
export function unexpectedFailures (r: RollingRestartReport): number {
  return Object.entries(r.statuses).filter(([s]) => !s.startsWith('2') && s !== '409').reduce((n, [, c]) => n + c, 0)
}

/** Nothing lost: no failed request, no connection error, every acknowledged order stored and no other. */
export function rollingRestartPassed (r: RollingRestartReport): boolean {
  return unexpectedFailures(r) === 0 && connectionErrors(r) === 0 && r.ordersAcknowledged === r.ordersInDatabase &&
    r.acknowledgedNotStored.length === 0 && r.storedNotAcknowledged.length === 0
}

/** The report as printed by the demo and committed to docs/scale-out/rolling-restart.txt. */
export function formatReport (r: RollingRestartReport): string[] {
  const counts = (c: Record<string, number>) => Object.entries(c).sort().map(([s, n]) => `${s}: ${n}`).join(', ') || '-'
  const failures = unexpectedFailures(r)
  return [
    'timeline:',
    ...r.timeline.map((l) => `  ${l}`),
    '',
    `load: ${r.connections} customers (one keep-alive connection each) at ${r.rate} requests/s for ${r.durationS.toFixed(1)} s through nginx`,
    `requests sent: ${r.sent}; answered: ${r.answered} (${counts(r.statuses)})`,
    `  retried once after nginx closed an idle keep-alive connection at a reload: ${r.retried}`,
    `  product detail: ${counts(r.byStep.detail)}`,
    `  cart add:       ${counts(r.byStep.cart)}`,
    `  order:          ${counts(r.byStep.order)}`,
    `non-2xx other than 409 (stock): ${failures}`,
    `requests without an answer (connection errors, timeouts): ${connectionErrors(r)}${connectionErrors(r) ? ` (${counts(r.errors)})` : ''}`,
    `latency through nginx: p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    `answers per second: ${r.perSecond.join(' ')}`,
    `failures per second: ${r.failuresPerSecond.join(' ')}`,
    `orders acknowledged (201): ${r.ordersAcknowledged}; rows in the database for these customers: ${r.ordersInDatabase}` +
      `; acknowledged but not stored: ${r.acknowledgedNotStored.length}; stored but not acknowledged: ${r.storedNotAcknowledged.length}`,
    `nginx error log during the run: ${r.nginxErrors.length} lines${r.nginxErrors.length ? '' : ' (no upstream failure, no retry)'}`,
    ...r.nginxErrors.slice(0, 10).map((l) => `  ${l}`),
    `${rollingRestartPassed(r) ? 'PASS' : 'FAIL'}  rolling restart: no failed request, no connection error, every acknowledged order stored and no other`
  ]
}
