/**
 * The OpenTelemetry side of plugins/tracing.ts, imported only when tracing is
 * on: the tracer provider and OTLP exporter, `@fastify/otel` for the request
 * spans, and the subscribers that turn the app's named queries and ioredis'
 * commands into child spans.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type { FastifyBaseLogger, FastifyPluginCallback, FastifyRequest } from 'fastify'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { context, propagation, trace, SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { defaultResource, detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import {
  ATTR_DB_NAMESPACE, ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION, ATTR_URL_PATH, DB_SYSTEM_NAME_VALUE_POSTGRESQL
} from '@opentelemetry/semantic-conventions'
import { dbQueryChannel } from './channels.js'
import type { DbQueryEvent } from './instrumentation.js'

/** `db.system`, the pre-1.33 name of `db.system.name` that many trace backends still key on. */
const ATTR_DB_SYSTEM_LEGACY = 'db.system'

export interface StartTracingOptions {
  tracesUrl: string
  serviceName: string
  serviceVersion: string
  log: FastifyBaseLogger
}

export interface Tracing {
  /** `@fastify/otel`'s plugin: register it before any route. */
  fastifyPlugin: FastifyPluginCallback
  tracer: Tracer
  flush: () => Promise<void>
  /** Unsubscribes, exports what is left and releases the process-wide context manager. */
  shutdown: () => Promise<void>
}

// The context manager and propagator are process-wide (the OpenTelemetry API
// keeps one of each). Apps built in one process (tests) share them; the last
// one closed takes them down. The tracer provider is not registered globally:
// each app passes its own to its instrumentation.
let globalUsers = 0
let ownsContextManager = false
let ownsPropagator = false

function acquireGlobals (): void {
  if (globalUsers++ > 0) return
  const manager = new AsyncLocalStorageContextManager().enable()
  ownsContextManager = context.setGlobalContextManager(manager)
  // Another SDK set up before the app (a --import preload) keeps its own.
  if (!ownsContextManager) manager.disable()
  ownsPropagator = propagation.setGlobalPropagator(new W3CTraceContextPropagator())
}

function releaseGlobals (): void {
  if (--globalUsers > 0) return
  if (ownsContextManager) context.disable()
  if (ownsPropagator) propagation.disable()
  ownsContextManager = ownsPropagator = false
}

/**
 * Logs the first failed export of an outage at warn and the recovery at info
 * (the exporter alone reports nothing; dropped spans would go unnoticed).
 */
class LoggedExporter implements SpanExporter {
  private failingSince: number | undefined
  private dropped = 0

  constructor (private readonly inner: SpanExporter, private readonly log: FastifyBaseLogger, private readonly url: string) {}

  export (spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failingSince !== undefined) {
          this.log.info({ url: this.url, downMs: Date.now() - this.failingSince, droppedSpans: this.dropped }, 'tracing: span export restored')
          this.failingSince = undefined
          this.dropped = 0
        }
      } else {
        this.dropped += spans.length
        if (this.failingSince === undefined) {
          this.failingSince = Date.now()
          this.log.warn({ url: this.url, err: { message: result.error?.message ?? 'export failed' }, spans: spans.length }, 'tracing: span export failed; spans are dropped until the collector answers')
        }
      }
      done(result)
    })
  }

  shutdown (): Promise<void> { return this.inner.shutdown() }
  forceFlush (): Promise<void> { return this.inner.forceFlush?.() ?? Promise.resolve() }
}

/** The path of a URL without its query string (it may carry personal search terms). */
function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** HTTP semantic conventions: a server span is named `METHOD /route/template`, or `METHOD` when no route matched. */
function nameRequestSpan (span: Span, request: FastifyRequest): void {
  const route = request.routeOptions.url
  span.updateName(route === undefined ? request.method : `${request.method} ${route}`)
  span.setAttribute(ATTR_URL_PATH, pathOf(request.url))
}

/**
 * A span for one named query, recorded after the fact from its duration: the
 * query runs exactly as without tracing, and the subscriber runs in the
 * caller's async context, so the active span (the request's) is the parent.
 * Only the query's name is recorded, never its SQL parameters.
 */
function traceQueries (tracer: Tracer): () => void {
  const onQuery = (message: unknown): void => {
    const parent = context.active()
    if (trace.getSpan(parent) === undefined) return // outside a traced request (background jobs)
    const event = message as DbQueryEvent
    const end = performance.now() // published the moment the query ended
    const span = tracer.startSpan(event.name, {
      kind: SpanKind.CLIENT,
      startTime: end - event.durationMs,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_SYSTEM_LEGACY]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: event.name
      }
    }, parent)
    if (!event.ok) span.setStatus({ code: SpanStatusCode.ERROR })
    span.end(end)
  }
  dbQueryChannel.subscribe(onQuery)
  return () => dbQueryChannel.unsubscribe(onQuery)
}

/** What ioredis publishes on `ioredis:command` (its CommandTraceContext). */
interface RedisCommandMessage {
  command: string
  database: number
  serverAddress: string
  serverPort: number | undefined
  error?: unknown
}

const kSpan = Symbol('tracing span')

/**
 * A span per Redis command from ioredis' own TracingChannel (ioredis ≥ 5.10):
 * `start` is published synchronously where the command is sent, so the
 * active span is the parent. While nobody subscribes ioredis skips the
 * channel entirely. The arguments (keys and values) are not recorded.
 */
function traceRedisCommands (tracer: Tracer): () => void {
  const channel = diagnosticsChannel.tracingChannel('ioredis:command')
  const handlers = {
    start (message: unknown): void {
      const parent = context.active()
      if (trace.getSpan(parent) === undefined) return
      const m = message as RedisCommandMessage & { [kSpan]?: Span }
      const operation = m.command.toUpperCase()
      const attributes: Attributes = {
        [ATTR_DB_SYSTEM_NAME]: 'redis',
        [ATTR_DB_SYSTEM_LEGACY]: 'redis',
        [ATTR_DB_OPERATION_NAME]: operation,
        [ATTR_DB_NAMESPACE]: String(m.database),
        [ATTR_SERVER_ADDRESS]: m.serverAddress
      }
      if (m.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = m.serverPort
      m[kSpan] = tracer.startSpan(operation, { kind: SpanKind.CLIENT, attributes }, parent)
    },
    error (message: unknown): void {
      const m = message as RedisCommandMessage & { [kSpan]?: Span }
      m[kSpan]?.setStatus({ code: SpanStatusCode.ERROR, message: m.error instanceof Error ? m.error.message : undefined })
    },
    asyncEnd (message: unknown): void {
      const m = message as { [kSpan]?: Span }
      m[kSpan]?.end()
    }
  }
  // Node's subscribe() skips the events a subscriber has no handler for; @types/node wants all five.
  const subscribers = handlers as unknown as diagnosticsChannel.TracingChannelSubscribers<object>
  channel.subscribe(subscribers)
  return () => channel.unsubscribe(subscribers)
}

export function startTracing (opts: StartTracingOptions): Tracing {
  acquireGlobals()
  // OTEL_RESOURCE_ATTRIBUTES and the host and process are detected; the service name is the configured one.
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector, hostDetector, processDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName, [ATTR_SERVICE_VERSION]: opts.serviceVersion }))
  // OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT / _COMPRESSION and OTEL_BSP_* are read by the exporter and processor.
  const exporter = new LoggedExporter(new OTLPTraceExporter({ url: opts.tracesUrl }), opts.log, opts.tracesUrl)
  // The sampler comes from OTEL_TRACES_SAMPLER(_ARG); by default parent-based, always on.
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] })
  const tracer = provider.getTracer('techmart', opts.serviceVersion)

  // Hook and handler spans are off: a trace is the request span and its queries and commands.
  const instrumentation = new FastifyOtelInstrumentation({ instrumentHooks: false, instrumentHandler: false, requestHook: nameRequestSpan })
  instrumentation.setTracerProvider(provider)

  const stops = [traceQueries(tracer), traceRedisCommands(tracer)]
  let shut: Promise<void> | undefined
  return {
    fastifyPlugin: instrumentation.plugin(),
    tracer,
    flush: () => provider.forceFlush(),
    shutdown: () => {
      shut ??= (async () => {
        for (const stop of stops) stop()
        instrumentation.disable()
        try {
          await provider.shutdown()
        } finally {
          releaseGlobals()
        }
      })()
      return shut
    }
  }
}
