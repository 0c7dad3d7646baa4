import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import type { FastifyInstance } from 'fastify'
import { loadConfig, ConfigError, type Config } from '../../../src/config.js'
import { otlpTracesUrl } from '../../../src/plugins/tracing.js'
import { timedQuery } from '../../../src/lib/observability/instrumentation.js'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'
import { createCategory, createProduct, createUser } from '../../support/fixtures.js'

type AnyValue = { stringValue?: string, intValue?: number | string, boolValue?: boolean, doubleValue?: number }
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startTimeUnixNano: string | number
  endTimeUnixNano: string | number
  attributes: { key: string, value: AnyValue }[]
  status?: { code?: number }
  /** Added here: the resource attributes of the batch the span came in. */
  resource: Record<string, unknown>
}

/**
 * A real OTLP/HTTP receiver in the test process: accepts the JSON the
 * exporter posts to /v1/traces and keeps every span, as a collector would.
 */
async function startReceiver () {
  const spans: OtlpSpan[] = []
  const posts: { path: string, headers: IncomingHttpHeaders }[] = []
  /** While true, every export is answered 400 (not retried by the exporter) and its spans are lost. */
  const state = { refuse: false }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      posts.push({ path: req.url ?? '', headers: req.headers })
      if (state.refuse || req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
        res.writeHead(state.refuse ? 400 : 404).end()
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }, scopeSpans: { spans: Omit<OtlpSpan, 'resource'>[] }[] }[]
      }
      for (const rs of body.resourceSpans) {
        const resource = attrs(rs.resource.attributes)
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, resource })
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    spans,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

function attrs (list: OtlpSpan['attributes']): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { key, value } of list) out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue ?? value.doubleValue)
  return out
}

type LogLine = Record<string, unknown> & { level: number, msg: string }

async function tracedApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config>): Promise<{ app: FastifyInstance, lines: LogLine[] }> {
  const lines: LogLine[] = []
  const stream = { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } }
  const app = await buildTestApp(t, { rateLimitEnabled: false, ...overrides }, { logger: { level: 'info', stream } })
  await flushRedisPrefix(app)
  return { app, lines }
}

async function productOf (app: FastifyInstance): Promise<number> {
  const seller = await createUser(app, { role: 'seller' })
  const category = await createCategory(app)
  return (await createProduct(app, { sellerId: seller.id, categoryId: category.id })).id
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/
const loadedModules = () => Object.keys(createRequire(import.meta.url).cache)
const sdkLoaded = () => loadedModules().some((p) => /[\\/]@opentelemetry[\\/]sdk-trace|[\\/]@fastify[\\/]otel[\\/]/.test(p))
const accessLines = (lines: LogLine[]) => lines.filter((l) => 'duration_ms' in l)

// First in the file: it checks that nothing of the SDK has been loaded in this process yet.
test('tracing off: no SDK loaded, no traceparent header, no trace id in the access log, nothing sent even to a listening collector', async (t) => {
  const receiver = await startReceiver()
  t.after(() => receiver.close())
  const { app, lines } = await tracedApp(t, {})
  assert.equal(app.tracing.enabled, false)
  assert.ok(lines.some((l) => /^tracing off/.test(l.msg)), 'the start log says tracing is off')

  const id = await productOf(app)
  const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers.traceparent, undefined)
  const [line] = accessLines(lines)
  assert.equal(line.status, 200)
  assert.equal('trace_id' in line, false)
  assert.equal(app.hasPlugin('@fastify/otel'), false)
  assert.equal(sdkLoaded(), false, 'the OpenTelemetry SDK and @fastify/otel are not imported when tracing is off')

  // OTEL_SDK_DISABLED=true wins over a configured endpoint.
  const disabled = await tracedApp(t, { otelExporterOtlpEndpoint: receiver.url, otelSdkDisabled: true })
  const res2 = await disabled.app.inject({ method: 'GET', url: `/api/v1/products/${id}` })
  assert.equal(res2.statusCode, 200)
  assert.equal(res2.headers.traceparent, undefined)
  await disabled.app.close()
  assert.equal(receiver.posts.length, 0, 'nothing was sent')
  assert.equal(sdkLoaded(), false)
})

test('tracing on: one request makes a route span with its PostgreSQL and Redis child spans in one trace, exported over OTLP/HTTP', async (t) => {
  const receiver = await startReceiver()
  t.after(() => receiver.close())
  const { app, lines } = await tracedApp(t, { otelExporterOtlpEndpoint: `${receiver.url}/`, otelServiceName: 'techmart-test' })
  assert.equal(app.tracing.enabled, true)
  assert.equal(app.tracing.exportUrl, `${receiver.url}/v1/traces`)
  assert.ok(lines.some((l) => l.msg === `tracing on: OTLP/HTTP export to ${receiver.url}/v1/traces`), 'the start log says where spans go')
  assert.equal(sdkLoaded(), true)

  const id = await productOf(app)
  const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}?utm=private-term` })
  assert.equal(res.statusCode, 200)
  const match = TRACEPARENT.exec(String(res.headers.traceparent))
  assert.ok(match, `traceparent response header: ${res.headers.traceparent}`)
  const [, traceId, routeSpanId, flags] = match
  assert.equal(flags, '01', 'sampled')

  await app.tracing.flush()
  assert.ok(receiver.posts.every((p) => p.path === '/v1/traces' && p.headers['content-type'] === 'application/json'))
  const trace = receiver.spans.filter((s) => s.traceId === traceId)
  const route = trace.find((s) => s.spanId === routeSpanId)
  assert.ok(route, `route span among ${trace.map((s) => s.name).join(', ')}`)
  assert.equal(route.name, 'GET /api/v1/products/:id')
  assert.equal(route.kind, 2, 'SERVER')
  assert.equal(route.parentSpanId || undefined, undefined, 'a root span')
  const routeAttrs = attrs(route.attributes)
  assert.equal(routeAttrs['http.route'], '/api/v1/products/:id')
  assert.equal(routeAttrs['http.request.method'], 'GET')
  assert.equal(routeAttrs['http.response.status_code'], 200)
  assert.equal(routeAttrs['url.path'], `/api/v1/products/${id}`, 'no query string')
  assert.equal(route.resource['service.name'], 'techmart-test')
  assert.equal(typeof route.resource['service.version'], 'string')

  const db = trace.filter((s) => attrs(s.attributes)['db.system.name'] === 'postgresql')
  assert.ok(db.length >= 1, 'at least one database span')
  for (const span of db) {
    assert.equal(span.parentSpanId, routeSpanId, `${span.name} is a child of the route span`)
    assert.equal(span.kind, 3, 'CLIENT')
    assert.match(span.name, /^[a-z_]+\.[a-z_0-9]+$/, 'named after the query')
    assert.deepEqual(attrs(span.attributes), { 'db.system.name': 'postgresql', 'db.system': 'postgresql', 'db.operation.name': span.name }, 'no SQL text, no parameters')
    assert.ok(BigInt(span.startTimeUnixNano) >= BigInt(route.startTimeUnixNano) && BigInt(span.endTimeUnixNano) <= BigInt(route.endTimeUnixNano), `${span.name} lies within the request`)
  }
  assert.ok(db.some((s) => s.name.startsWith('catalog.')), `a catalog query among ${db.map((s) => s.name).join(', ')}`)

  const redis = trace.filter((s) => attrs(s.attributes)['db.system.name'] === 'redis')
  assert.ok(redis.length >= 1, 'the L2 cache lookup is a Redis span')
  for (const span of redis) {
    const a = attrs(span.attributes)
    assert.equal(span.parentSpanId, routeSpanId, `${span.name} is a child of the route span`)
    assert.equal(span.name, a['db.operation.name'])
    assert.match(span.name, /^[A-Z]+$/)
    assert.equal(a['server.address'], '127.0.0.1')
    assert.equal(a['server.port'], 6379)
    assert.ok(!JSON.stringify(span.attributes).includes(app.redis.prefix), 'keys are not recorded')
  }

  const [line] = accessLines(lines)
  assert.equal(line.trace_id, traceId, 'the access log line carries the trace id')
})

test('an incoming traceparent is continued, an unsampled one is not exported, a malformed one starts a new trace', async (t) => {
  const receiver = await startReceiver()
  t.after(() => receiver.close())
  const { app } = await tracedApp(t, { otelExporterOtlpTracesEndpoint: `${receiver.url}/v1/traces` })
  const id = await productOf(app)

  const parentTrace = '0af7651916cd43dd8448eb211c80319c'
  const parentSpan = 'b7ad6b7169203331'
  const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: { traceparent: `00-${parentTrace}-${parentSpan}-01` } })
  assert.equal(res.statusCode, 200)
  const [, traceId, spanId, flags] = TRACEPARENT.exec(String(res.headers.traceparent)) ?? []
  assert.equal(traceId, parentTrace, 'the response carries the caller\'s trace id')
  assert.notEqual(spanId, parentSpan, 'and the server span\'s own id')
  assert.equal(flags, '01')

  const unsampledTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
  const res2 = await app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: { traceparent: `00-${unsampledTrace}-00f067aa0ba902b7-00` } })
  assert.equal(res2.statusCode, 200)
  assert.match(String(res2.headers.traceparent), new RegExp(`^00-${unsampledTrace}-[0-9a-f]{16}-00$`))

  const res3 = await app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: { traceparent: '00-not-a-trace-01' } })
  assert.equal(res3.statusCode, 200)
  const [, newTrace] = TRACEPARENT.exec(String(res3.headers.traceparent)) ?? []
  assert.ok(newTrace && newTrace !== parentTrace)

  await app.tracing.flush()
  const route = receiver.spans.find((s) => s.spanId === spanId)
  assert.ok(route)
  assert.equal(route.traceId, parentTrace)
  assert.equal(route.parentSpanId, parentSpan, 'the caller\'s span is the parent')
  assert.equal(receiver.spans.filter((s) => s.traceId === unsampledTrace).length, 0, 'the caller decided not to sample')
  const fresh = receiver.spans.find((s) => s.traceId === newTrace && s.name === 'GET /api/v1/products/:id')
  assert.ok(fresh)
  assert.equal(fresh.parentSpanId || undefined, undefined)
})

test('health probes are not traced, and a URL matching no route is a span named after the method', async (t) => {
  const receiver = await startReceiver()
  t.after(() => receiver.close())
  const { app } = await tracedApp(t, { otelExporterOtlpEndpoint: receiver.url })
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  assert.equal(live.statusCode, 200)
  assert.equal(live.headers.traceparent, undefined)
  const missing = await app.inject({ method: 'GET', url: '/no/such/route' })
  assert.equal(missing.statusCode, 404)
  const [, traceId] = TRACEPARENT.exec(String(missing.headers.traceparent)) ?? []
  assert.ok(traceId)
  await app.tracing.flush()
  assert.equal(receiver.spans.some((s) => String(attrs(s.attributes)['url.path']).startsWith('/health')), false)
  const span = receiver.spans.find((s) => s.traceId === traceId)
  assert.ok(span)
  assert.equal(span.name, 'GET')
  assert.equal(attrs(span.attributes)['http.response.status_code'], 404)
})

test('a failed query and a failed Redis command are error spans under the request\'s error span', async (t) => {
  const receiver = await startReceiver()
  t.after(() => receiver.close())
  const lines: LogLine[] = []
  const app = await buildTestApp(t, { rateLimitEnabled: false, otelExporterOtlpEndpoint: receiver.url }, {
    logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } } },
    setup: (app) => {
      app.get('/api/v1/test/failing', async () => {
        const key = app.redis.key('tracing-test', 'text')
        await app.redis.client.set(key, 'not a number', 'EX', 60)
        await app.redis.client.incr(key).catch(() => {})
        await timedQuery('test.division', app.db.sql`SELECT 1 / ${0}::int AS x`)
      })
    }
  })
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/failing' })
  assert.equal(res.statusCode, 500)
  const [, traceId, routeSpanId] = TRACEPARENT.exec(String(res.headers.traceparent)) ?? []
  await app.tracing.flush()
  const trace = receiver.spans.filter((s) => s.traceId === traceId)
  const route = trace.find((s) => s.spanId === routeSpanId)
  assert.ok(route)
  assert.equal(route.status?.code, 2, 'the request span is an error')
  const query = trace.find((s) => s.name === 'test.division')
  assert.ok(query)
  assert.equal(query.parentSpanId, routeSpanId)
  assert.equal(query.status?.code, 2)
  const set = trace.find((s) => s.name === 'SET')
  const incr = trace.find((s) => s.name === 'INCR')
  assert.ok(set && incr, `Redis spans among ${trace.map((s) => s.name).join(', ')}`)
  assert.equal(set.status?.code ?? 0, 0)
  assert.equal(incr.status?.code, 2)
  assert.equal(incr.parentSpanId, routeSpanId)
  assert.equal(accessLines(lines)[0]?.trace_id, traceId, 'the 500 is logged with its trace id')
})

test('a collector that refuses spans: requests are unaffected, the outage is logged once at warn and the recovery at info', async (t) => {
  const receiver = await startReceiver()
  t.after(() => receiver.close())
  receiver.state.refuse = true
  const { app, lines } = await tracedApp(t, { otelExporterOtlpEndpoint: receiver.url })
  const id = await productOf(app)
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}` })
    assert.equal(res.statusCode, 200)
    await assert.rejects(app.tracing.flush())
  }
  const failures = lines.filter((l) => l.msg.startsWith('tracing: span export failed'))
  assert.equal(failures.length, 1, 'one warning per outage')
  assert.equal(failures[0].level, 40)
  assert.equal(failures[0].url, `${receiver.url}/v1/traces`)
  assert.equal(receiver.spans.length, 0)

  receiver.state.refuse = false
  await app.inject({ method: 'GET', url: `/api/v1/products/${id}` })
  await app.tracing.flush()
  const restored = lines.find((l) => l.msg === 'tracing: span export restored')
  assert.ok(restored)
  assert.ok(Number(restored.droppedSpans) >= 2, `dropped ${restored.droppedSpans}`)
  assert.ok(receiver.spans.length >= 1)
})

test('closing while the collector is unreachable waits a bounded time for the last spans', async (t) => {
  // A port that was just free: nothing listens there, and the exporter retries refused connections for up to 10 s.
  const gone = await startReceiver()
  await gone.close()
  const { app, lines } = await tracedApp(t, { otelExporterOtlpEndpoint: gone.url })
  const res = await app.inject({ method: 'GET', url: '/no/such/route' })
  assert.equal(res.statusCode, 404)
  const started = Date.now()
  await app.close()
  const ms = Date.now() - started
  assert.ok(ms < 6000, `closed in ${ms} ms`)
  assert.ok(lines.some((l) => l.msg === 'tracing: the last spans were not exported before shutdown' && l.level === 40))
})

test('OTLP endpoint settings: the traces URL wins, the base URL gets /v1/traces, OTEL_SDK_DISABLED turns it off, a URL without a scheme is refused', () => {
  const base = { otelExporterOtlpEndpoint: '', otelExporterOtlpTracesEndpoint: '', otelSdkDisabled: false }
  assert.equal(otlpTracesUrl(base), '')
  assert.equal(otlpTracesUrl({ ...base, otelExporterOtlpEndpoint: 'http://collector:4318' }), 'http://collector:4318/v1/traces')
  assert.equal(otlpTracesUrl({ ...base, otelExporterOtlpEndpoint: 'https://collector:4318/otlp/' }), 'https://collector:4318/otlp/v1/traces')
  assert.equal(otlpTracesUrl({ ...base, otelExporterOtlpEndpoint: 'http://a:4318', otelExporterOtlpTracesEndpoint: 'http://b:4318/custom' }), 'http://b:4318/custom')
  assert.equal(otlpTracesUrl({ ...base, otelExporterOtlpEndpoint: 'http://a:4318', otelSdkDisabled: true }), '')

  const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'shop-api' })
  assert.equal(otlpTracesUrl(config), 'http://collector:4318/v1/traces')
  assert.equal(config.otelServiceName, 'shop-api')
  assert.equal(loadConfig({}).otelServiceName, 'techmart')
  assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), (err: unknown) => err instanceof ConfigError && /OTEL_EXPORTER_OTLP_ENDPOINT/.test(err.message))
})
