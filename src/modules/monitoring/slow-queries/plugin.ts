import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { hostname } from 'node:os'
import postgres from 'postgres'
import { dbQueryChannel, type DbQueryEvent } from '../../../lib/observability/index.js'
import { withStoreTimeout } from '../shared/index.js'
import { QueryBaselines, type QueryBaselinesOptions } from './query-baselines.js'
import { createSlowQueriesRepository } from './repository.js'
import { createSlowQueriesService, type Explain, type SlowQueriesService } from './service.js'

/** Relative capture: a named query whose window p95 reaches `factor` × its own baseline. */
export type RelativeSlowQueryOptions = QueryBaselinesOptions

export interface SlowQueriesPluginOptions {
  /** The primary database; EXPLAIN runs on its own one-connection pool to it. */
  databaseUrl: string
  /** Queries at least this slow are captured; 0 turns the absolute threshold off. */
  thresholdMs: number
  explainTimeoutMs: number
  cooldownMs: number
  maxRows: number
  /** Capture relative to each query's own baseline; absent or `factor: 0` turns it off. */
  relative?: RelativeSlowQueryOptions
  instanceId?: string
}

declare module 'fastify' {
  interface FastifyInstance { slowQueries: SlowQueriesService }
}

/**
 * Slow-query capture: subscribes to 'techmart:db:query' and, off the
 * request path, EXPLAINs SELECTs slower than SLOW_QUERY_MS, or whose p95
 * rose well above their own baseline, on a separate single connection
 * (read-only transaction, statement timeout), so diagnosing a slow
 * database never takes a connection from the requests. With neither
 * capture on, nothing subscribes.
 */
const slowQueriesPlugin: FastifyPluginAsync<SlowQueriesPluginOptions> = async (app, opts) => {
  const log = app.log.child({ module: 'slow-queries' })
  let explainSql: postgres.Sql | undefined
  let statement = 0
  // Without parameters: a generic plan (built without parameter values), so values never reach the
  // explain connection; NULL arguments only satisfy EXECUTE's arity. With parameters (relative
  // captures): the plan for those values; the service strips every constant before storing it.
  const explain: Explain = async (text, paramCount, params) => {
    explainSql ??= postgres(opts.databaseUrl, {
      max: 1,
      prepare: false,
      idle_timeout: 30,
      connect_timeout: 5,
      onnotice: () => {},
      connection: { application_name: 'techmart-explain', statement_timeout: opts.explainTimeoutMs }
    })
    const sql = explainSql
    let run: Promise<{ 'QUERY PLAN': unknown[] }[]>
    if (params !== undefined) {
      run = sql.begin('read only', async (tx) => {
        await tx.unsafe('SET LOCAL plan_cache_mode = force_custom_plan')
        return tx.unsafe<{ 'QUERY PLAN': unknown[] }[]>(`EXPLAIN (FORMAT JSON) ${text}`, params as postgres.ParameterOrJSON<never>[])
      })
    } else {
      const name = `techmart_explain_${++statement}`
      const args = paramCount > 0 ? `(${Array.from({ length: paramCount }, () => 'NULL').join(', ')})` : ''
      run = sql.begin('read only', async (tx) => {
        await tx.unsafe('SET LOCAL plan_cache_mode = force_generic_plan')
        await tx.unsafe(`PREPARE ${name} AS ${text}`)
        return tx.unsafe<{ 'QUERY PLAN': unknown[] }[]>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`)
      }).finally(() => sql.unsafe('DEALLOCATE ALL').catch(() => {})) // prepared statements outlive a rolled-back transaction
    }
    const rows = await withStoreTimeout(run, opts.explainTimeoutMs + 1000, 'EXPLAIN')
    return rows[0]['QUERY PLAN']
  }
  const relative = opts.relative && opts.relative.factor > 0 ? opts.relative : undefined
  // Built here, so bad settings stop the boot with a message naming them.
  const baselines = relative ? new QueryBaselines(relative) : undefined
  const service = createSlowQueriesService({
    repo: createSlowQueriesRepository(app.db.db),
    explain,
    log,
    instance: opts.instanceId || `${hostname()}:${process.pid}`,
    thresholdMs: opts.thresholdMs,
    cooldownMs: opts.cooldownMs,
    maxRows: opts.maxRows,
    relative: baselines && relative ? { baselines, settings: relative } : undefined
  })
  app.decorate('slowQueries', service)
  if (opts.thresholdMs <= 0 && !baselines) return

  const onQuery = (msg: unknown) => service.onQuery(msg as DbQueryEvent)
  dbQueryChannel.subscribe(onQuery)
  const timer = relative ? setInterval(service.evaluate, relative.intervalMs).unref() : undefined
  app.addHook('onClose', async () => {
    clearInterval(timer)
    dbQueryChannel.unsubscribe(onQuery)
    await withStoreTimeout(service.settled(), opts.explainTimeoutMs + 2000, 'pending slow-query captures').catch(() => {})
    await explainSql?.end({ timeout: 2 })
  })
}

export default fp(slowQueriesPlugin, { name: 'slow-queries', fastify: '5.x', dependencies: ['db'] })
