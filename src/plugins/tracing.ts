import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import type {} from '@fastify/otel' // request.opentelemetry(), types only: the package is imported when tracing is on
import type { Config } from '../config.js'
import { withTimeout } from '../lib/timeout.js'
import { redactUrl } from '../lib/logging/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    tracing: {
      /** Spans are exported (an OTLP endpoint is set). */
      enabled: boolean
      /** Where spans go (password hidden); undefined when tracing is off. */
      exportUrl?: string
      /** Exports the spans ended so far and waits for the collector's answer. */
      flush: () => Promise<void>
    }
  }
  interface FastifyRequest {
    /** The request's trace id (32 hex digits) while tracing is on; undefined when it is off. */
    traceId?: string
  }
}

export interface TracingOptions {
  /** OTLP/HTTP traces URL; empty = tracing off, nothing of the OpenTelemetry SDK is loaded. */
  tracesUrl: string
  serviceName: string
  serviceVersion: string
}

/**
 * The OTLP/HTTP traces URL the configuration names, or '' for none: the
 * signal-specific variable as it is, else `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`
 * (the OTLP exporter specification's rule for the base URL).
 */
export function otlpTracesUrl (config: Pick<Config, 'otelExporterOtlpEndpoint' | 'otelExporterOtlpTracesEndpoint' | 'otelSdkDisabled'>): string {
  if (config.otelSdkDisabled) return ''
  if (config.otelExporterOtlpTracesEndpoint !== '') return config.otelExporterOtlpTracesEndpoint
  if (config.otelExporterOtlpEndpoint !== '') return `${config.otelExporterOtlpEndpoint.replace(/\/+$/, '')}/v1/traces`
  return ''
}

/** How long closing the app waits for the last spans to reach the collector. */
const FLUSH_ON_CLOSE_TIMEOUT_MS = 3000

/**
 * OpenTelemetry traces, exported over OTLP/HTTP (JSON) when an endpoint is
 * set. One span per request from `@fastify/otel`, named `METHOD /route`,
 * with a child span per named SQL query and per Redis command
 * (lib/observability/tracing-sdk.ts). An incoming W3C `traceparent` is continued; every
 * traced response carries `traceparent` with the request span's context, and
 * the access log line the trace id. Registered before every other plugin, so
 * its hooks run first and it sees every route.
 *
 * Off (no endpoint), nothing is registered and the SDK is never imported:
 * requests take exactly the path they take without this plugin.
 */
const tracingPlugin: FastifyPluginAsync<TracingOptions> = async (app, opts) => {
  if (opts.tracesUrl === '') {
    app.decorate('tracing', { enabled: false, flush: async () => {} })
    app.log.info('tracing off (set OTEL_EXPORTER_OTLP_ENDPOINT to export OpenTelemetry traces)')
    return
  }
  const exportUrl = redactUrl(opts.tracesUrl)
  const { startTracing } = await import('../lib/observability/tracing-sdk.js')
  const tracing = startTracing({ ...opts, log: app.log })

  // Health probes are polled every few seconds and would outnumber real traces.
  // Added before @fastify/otel's own onRoute hook, which reads `config.otel`.
  app.addHook('onRoute', (route) => {
    if (route.config?.criticality === 'health') route.config = { ...route.config, otel: false }
  })
  await app.register(tracing.fastifyPlugin)

  // @fastify/otel's onRequest hook ran just before this one and opened the request span.
  app.decorateRequest('traceId', undefined)
  app.addHook('onRequest', (request, reply, done) => {
    const span = request.opentelemetry().span
    if (span !== null) {
      const { traceId, spanId, traceFlags } = span.spanContext()
      request.traceId = traceId
      reply.header('traceparent', `00-${traceId}-${spanId}-${traceFlags & 1 ? '01' : '00'}`)
    }
    done()
  })

  app.decorate('tracing', { enabled: true, exportUrl, flush: tracing.flush })
  app.addHook('onClose', async () => {
    const outcome = await withTimeout(tracing.shutdown().then(() => 'done' as const), FLUSH_ON_CLOSE_TIMEOUT_MS, { resolve: 'timeout' as const })
    if (outcome === 'timeout') app.log.warn({ url: exportUrl, timeoutMs: FLUSH_ON_CLOSE_TIMEOUT_MS }, 'tracing: the last spans were not exported before shutdown')
  })
  app.log.info({ url: exportUrl, serviceName: opts.serviceName }, `tracing on: OTLP/HTTP export to ${exportUrl}`)
}

export default fp(tracingPlugin, { name: 'tracing', fastify: '5.x' })
