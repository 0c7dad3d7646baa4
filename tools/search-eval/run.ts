/**
 * Runs the judgment set through the real search: the app built in-process,
 * every query asked once with `GET /api/v1/products/search` through
 * `app.inject`, the answers scored (metrics.ts).
 */
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { buildApp, loadConfig, type Config, deleteKeysUnder } from '../../src/public.js'
import { EXTRA_WORD_CANDIDATES, buildJudgmentSet, type CatalogProduct, type JudgedQuery } from './judgments.js'
import { score, summarizeAll, type EvalSummary, type QueryOutcome, type ScoredQuery } from './metrics.js'

export const PAGE_SIZE = 10
/** The spelling vocabulary the search corrects typos from (rebuilt by the app in the background). */
export const VOCABULARY_TABLE = 'catalog_search_words'
/** Every table of that background rebuild (words and term statistics): on its own catalog the evaluation waits for all of them. */
export const VOCABULARY_TABLES = [VOCABULARY_TABLE, 'catalog_search_terms']

/** Active products in id order: the catalog the judgments are derived from (search finds only active ones). */
export async function loadCatalog (sql: postgres.Sql): Promise<CatalogProduct[]> {
  return sql<CatalogProduct[]>`SELECT id, name, brand FROM products WHERE is_active ORDER BY id`
}

/** The candidate extra words that occur in no product's name, brand or text (any case), in one scan. */
export async function absentWords (sql: postgres.Sql, candidates: readonly string[] = EXTRA_WORD_CANDIDATES): Promise<string[]> {
  // OFFSET 0 keeps the subquery whole, so each product's text is lowercased once, not once per word.
  const present = await sql<{ word: string }[]>`
    SELECT DISTINCT w.word
    FROM (SELECT lower(concat_ws(' ', p.name, p.brand, p.short_description, p.description)) AS text FROM products p OFFSET 0) p
    CROSS JOIN unnest(${candidates.map((c) => c.toLowerCase())}::text[]) AS w(word)
    WHERE strpos(p.text, w.word) > 0`
  const found = new Set(present.map((r) => r.word))
  return candidates.filter((c) => !found.has(c.toLowerCase()))
}

/** The judgment set of the catalog in `sql`. */
export async function judgmentSet (sql: postgres.Sql): Promise<JudgedQuery[]> {
  const [products, extra] = await Promise.all([loadCatalog(sql), absentWords(sql)])
  return buildJudgmentSet(products, extra)
}

async function rowsIn (sql: postgres.Sql, table: string): Promise<number | null> {
  const [{ exists }] = await sql<{ exists: boolean }[]>`SELECT to_regclass(${table}) IS NOT NULL AS exists`
  if (!exists) return null
  const [{ n }] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM ${sql(table)}`
  return Number(n)
}

/** Words in the spelling vocabulary, or null when the database has no such table. */
export function vocabularySize (sql: postgres.Sql): Promise<number | null> {
  return rowsIn(sql, VOCABULARY_TABLE)
}

/** Waits until every vocabulary table has rows (the app builds them a few seconds after start); false on timeout. */
export async function waitForVocabulary (sql: postgres.Sql, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const counts = await Promise.all(VOCABULARY_TABLES.map((t) => rowsIn(sql, t)))
    if (counts.every((n) => n === null || n > 0)) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** `url` with every connection read-only (`default_transaction_read_only`): an evaluation of a database it did not seed never writes to it. */
export function readOnlyUrl (url: string): string {
  const u = new URL(url)
  u.searchParams.set('default_transaction_read_only', 'on')
  return u.toString()
}

/**
 * The app as the evaluation runs it. Rate limiting and load shedding are off:
 * an evaluation is one client asking many questions in a row, not traffic to
 * protect the service from. The cache stays on (every query is asked once,
 * so each answer is a miss); its Redis keys live under a prefix of this
 * process and are deleted at close. No profiling, no access log.
 */
export function evalConfig (databaseUrl: string, overrides: Partial<Config> = {}): Readonly<Config> {
  return loadConfig(process.env, {
    databaseUrl,
    logLevel: 'silent',
    rateLimitEnabled: false,
    loadSheddingEnabled: false,
    loadSampleIntervalMs: 0,
    profilingEnabled: false,
    accessLogEnabled: false,
    catalogWordsRefreshS: 0,
    redisKeyPrefix: `techmart-search-eval-${process.pid}`,
    ...overrides
  })
}

export async function buildEvalApp (config: Readonly<Config>): Promise<FastifyInstance> {
  const app = await buildApp(config, { logger: false })
  app.addHook('onClose', async () => { await deleteKeysUnder(app.redis.client, app.redis.prefix).catch(() => 0) })
  try {
    await app.ready()
    await app.catalogSearch.loaded()
  } catch (err) {
    await app.close().catch(() => {})
    throw err
  }
  return app
}

interface SearchAnswer {
  products?: { id: number, name: string }[]
  pagination?: { total_count?: number }
  matching?: string
  dropped?: string[]
  corrected_query?: string
}

/** Asks one query; reads the answer defensively (fields may be absent). */
export async function ask (app: FastifyInstance, query: JudgedQuery): Promise<QueryOutcome> {
  const started = performance.now()
  const res = await app.inject({ method: 'GET', url: '/api/v1/products/search', query: { q: query.q, page_size: String(PAGE_SIZE) } })
  const latencyMs = performance.now() - started
  const body = (res.statusCode === 200 ? res.json() : {}) as SearchAnswer
  const products = Array.isArray(body.products) ? body.products : []
  return {
    query,
    ids: products.map((p) => p.id),
    names: products.map((p) => p.name),
    statusCode: res.statusCode,
    totalCount: typeof body.pagination?.total_count === 'number' ? body.pagination.total_count : null,
    ...(typeof body.matching === 'string' && { matching: body.matching }),
    ...(Array.isArray(body.dropped) && { dropped: body.dropped }),
    ...(typeof body.corrected_query === 'string' && { correctedQuery: body.corrected_query }),
    latencyMs
  }
}

export interface EvalResult {
  scored: ScoredQuery[]
  summary: EvalSummary
}

/**
 * Asks every query once, one at a time, after one warm-up request (the
 * first request pays for lazy initialisation, not for search).
 */
export async function runEval (app: FastifyInstance, queries: readonly JudgedQuery[]): Promise<EvalResult> {
  await app.inject({ method: 'GET', url: '/api/v1/products', query: { page_size: '1' } })
  const scored: ScoredQuery[] = []
  for (const q of queries) scored.push(score(await ask(app, q)))
  return { scored, summary: summarizeAll(scored) }
}

export interface EvaluateOptions {
  /**
   * The database is the evaluation's own (seeded for it): the app may write,
   * and its startup refresh builds the spelling vocabulary, which is awaited.
   * Otherwise every connection is read-only and the vocabulary is used as found.
   */
  ownDatabase?: boolean
  /** Config on top of evalConfig's (tests: their Redis URL). */
  config?: Partial<Config>
}

export interface Evaluation extends EvalResult {
  products: number
  /** Words in the spelling vocabulary when the queries ran (null: the schema has no vocabulary table). */
  vocabulary: number | null
}

/** The whole evaluation of the catalog at `url`: judgments, app, every query, scores. */
export async function evaluate (url: string, opts: EvaluateOptions = {}): Promise<Evaluation> {
  const dbUrl = opts.ownDatabase === true ? url : readOnlyUrl(url)
  const app = await buildEvalApp(evalConfig(dbUrl, { ...(opts.ownDatabase === true && { catalogWordsRefreshS: 3600 }), ...opts.config }))
  // The evaluation's own reads (catalog, judgments) go through a pool without the app's request-sized statement timeout.
  const sql = postgres(dbUrl, { max: 2, onnotice: () => {}, connection: { application_name: 'techmart-search-eval' } })
  try {
    if (opts.ownDatabase === true && !(await waitForVocabulary(sql))) throw new Error('the spelling vocabulary was not built within 30 s')
    const [products, extra, vocabulary] = await Promise.all([loadCatalog(sql), absentWords(sql), vocabularySize(sql)])
    const result = await runEval(app, buildJudgmentSet(products, extra))
    return { ...result, products: products.length, vocabulary }
  } finally {
    await sql.end({ timeout: 5 })
    await app.close()
  }
}
