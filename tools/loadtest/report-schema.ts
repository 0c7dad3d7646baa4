import { Type, type Static } from 'typebox'

/**
 * The JSON report's shape. One schema gives the TypeScript type and the check
 * the smoke test runs on a real report. Durations are milliseconds, ratios
 * 0..1, rates per second. `null` means "not measured" (shown as n/a).
 */

const Count = Type.Integer({ minimum: 0 })
const NullableNum = Type.Union([Type.Number(), Type.Null()])
const NullableRatio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])

export const LatencySchema = Type.Object({ p50: Type.Number(), p95: Type.Number(), p99: Type.Number(), max: Type.Number(), mean: Type.Number() })

export const TrafficSchema = Type.Object({
  requests: Count,
  /** All responses (any status) per second of the measured window. */
  rps: Type.Number(),
  /** Successful (2xx and expected) responses per second: the throughput target uses it. */
  okRps: Type.Number(),
  ok: Count,
  expected: Count,
  limited: Count,
  errors: Count,
  /** errors / requests; 429s and expected answers are not errors. */
  errorRate: Type.Number({ minimum: 0, maximum: 1 }),
  limitedRate: Type.Number({ minimum: 0, maximum: 1 }),
  latencyMs: LatencySchema,
  statuses: Type.Record(Type.String(), Count)
})

export const EndpointSchema = Type.Object({ endpoint: Type.String(), ...TrafficSchema.properties })

export const ServerFiguresSchema = Type.Object({
  /** Where the figures came from, or why there are none. */
  source: Type.String(),
  available: Type.Boolean(),
  cacheLookups: Type.Union([Count, Type.Null()]),
  cacheHitRate: NullableRatio,
  cacheByType: Type.Array(Type.Object({ type: Type.String(), lookups: Count, hitRate: NullableRatio })),
  dbQueries: Type.Union([Count, Type.Null()]),
  /** Total time in PostgreSQL over the window, and per HTTP request the server counted. */
  dbTimeMs: NullableNum,
  dbMsPerRequest: NullableNum,
  dbByQuery: Type.Array(Type.Object({ name: Type.String(), count: Count, totalMs: Type.Number(), avgMs: Type.Number() })),
  serverRequests: Type.Union([Count, Type.Null()])
})

/** What the server found during the run: automatic CPU profiles, phase timings per route, slow queries. */
export const FindingsSchema = Type.Object({
  profiles: Type.Array(Type.Object({
    route: Type.String(),
    status: Type.String(),
    p95Ms: NullableNum,
    budgetMs: NullableNum,
    startedAt: Type.String(),
    idlePct: NullableNum,
    top: Type.Array(Type.Object({ fn: Type.String(), selfPct: Type.Number() }))
  })),
  phases: Type.Array(Type.Object({
    route: Type.String(),
    count: Count,
    totalMs: Type.Number(),
    dbMs: Type.Number(),
    cacheMs: Type.Number(),
    serializeMs: Type.Number(),
    handlerMs: Type.Number()
  })),
  slowQueries: Type.Array(Type.Object({ name: Type.String(), durationMs: Type.Number(), occurrences: Count, totalCost: NullableNum, plan: Type.String() })),
  notes: Type.Array(Type.String())
})

/** One step of the capacity curve (`--curve`): the requests that were due while its rate was offered. */
export const CurveStepSchema = Type.Object({
  offeredRps: Type.Number(),
  durationS: Type.Number(),
  requests: Count,
  rps: Type.Number(),
  /** Successful (2xx and expected) answers per second. */
  okRps: Type.Number(),
  latencyMs: LatencySchema,
  /** 429 answers (rate limited). */
  limited: Count,
  /** 503 answers (shed, or the database unavailable): also counted in `errors`. */
  shed: Count,
  errors: Count,
  errorRate: Type.Number({ minimum: 0, maximum: 1 })
})

/** A flood of one path (`--flood`) sent beside the journeys by a separate autocannon process. */
export const FloodSchema = Type.Object({
  path: Type.String(),
  connections: Count,
  durationS: Type.Number(),
  requests: Count,
  rps: Type.Number(),
  /** Answers per status code, plus `errors` and `timeouts` of the flood's client. */
  statuses: Type.Record(Type.String(), Count),
  /** Why there are no figures (the flood's process failed), else null. */
  problem: Type.Union([Type.String(), Type.Null()])
})

export const TargetSchema = Type.Object({
  name: Type.String(),
  goal: Type.String(),
  actual: NullableNum,
  /** Shown as text: `143.2 ms`, `0.00%`, `n/a`. */
  shown: Type.String(),
  /** null: does not apply to this scenario. */
  pass: Type.Union([Type.Boolean(), Type.Null()])
})

export const ReportSchema = Type.Object({
  tool: Type.Literal('techmart-loadtest'),
  version: Type.Literal(1),
  scenario: Type.String(),
  description: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  settings: Type.Object({
    baseUrl: Type.String(),
    /** Server processes behind the base URL (node:cluster workers), as told with --workers. */
    workers: Count,
    model: Type.String(),
    arrival: Type.String(),
    users: Count,
    /** Distinct accounts used (users x spike factor in a spike). */
    accounts: Count,
    /** Requests per second the schedule asks for at 1x (open model). */
    targetRps: NullableNum,
    durationS: Type.Number(),
    warmupS: Type.Number(),
    seed: Type.Integer(),
    zipf: Type.Number(),
    connections: Count,
    timeoutMs: Count,
    auth: Type.String(),
    acceptEncoding: Type.String(),
    mix: Type.Record(Type.String(), Type.Number()),
    spikeFactor: NullableNum
  }),
  machine: Type.Object({
    cpus: Count,
    cpuModel: Type.String(),
    memoryMb: Count,
    node: Type.String(),
    platform: Type.String(),
    loadAverageBefore: Type.Array(Type.Number()),
    loadAverageAfter: Type.Array(Type.Number()),
    /** The database under test before the run (pg_stat_user_tables); absent in reports made before it was recorded. */
    database: Type.Optional(Type.Union([Type.Null(), Type.Object({
      autovacuum: Type.Boolean(),
      deadRows: Count,
      liveRows: Count
    })])),
    /** CPU over the measured window, percent of one core (the machine has cpus x 100), from /proc; null elsewhere. */
    cpuSplit: Type.Union([Type.Null(), Type.Object({
      server: Type.Number(),
      postgres: Type.Number(),
      redis: Type.Number(),
      generator: Type.Number(),
      /** Everything else: other processes on the machine and their databases' backends, the kernel. */
      other: Type.Number(),
      idle: Type.Number(),
      /** False when no process listening on the base URL's port was found (a remote server): its CPU is in `other`. */
      serverFound: Type.Boolean()
    })])
  }),
  generator: Type.Object({
    /** CPU the load generator itself used, percent of one core, over the measured window. */
    cpuPercent: Type.Number(),
    eventLoopDelayP99Ms: Type.Number(),
    peakInFlight: Count
  }),
  overall: TrafficSchema,
  endpoints: Type.Array(EndpointSchema),
  visits: Type.Object({
    started: Type.Record(Type.String(), Count),
    completed: Type.Record(Type.String(), Count),
    aborted: Count,
    ordersPlaced: Count,
    orderConflicts: Count
  }),
  server: ServerFiguresSchema,
  findings: FindingsSchema,
  flashSale: Type.Union([Type.Null(), Type.Object({
    productId: Type.Integer(),
    stock: Count,
    wins: Count,
    losses: Count,
    soldInDb: Count,
    stockAfter: Type.Integer(),
    exact: Type.Boolean()
  })]),
  timeline: Type.Array(Type.Object({ t: Count, responses: Count, errors: Count, limited: Count, p95Ms: Type.Number(), p99Ms: Type.Number(), online: Count })),
  /** The capacity curve's steps (`--curve`); absent or null in other runs. */
  curve: Type.Optional(Type.Union([Type.Null(), Type.Object({ stepS: Type.Number(), steps: Type.Array(CurveStepSchema) })])),
  /** The flood sent beside the journeys (`--flood`); absent or null in other runs. */
  flood: Type.Optional(Type.Union([Type.Null(), FloodSchema])),
  targets: Type.Array(TargetSchema),
  verdict: Type.Union([Type.Literal('PASS'), Type.Literal('FAIL')])
})

export type Report = Static<typeof ReportSchema>
export type Traffic = Static<typeof TrafficSchema>
export type ServerFigures = Static<typeof ServerFiguresSchema>
export type Target = Static<typeof TargetSchema>
export type Findings = Static<typeof FindingsSchema>
export type CurveStep = Static<typeof CurveStepSchema>
export type Flood = Static<typeof FloodSchema>
