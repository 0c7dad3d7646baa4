import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { ConfigError, loadConfig, type Config } from '../config.js'
import { BackendUnreachableError, resolveBackends, type BackendPlan } from './backends.js'
import { DataDirLockedError } from './data-lock.js'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './pglite-server.js'

type Env = Record<string, string | undefined>

/** How to run one step of `npm start` as its own process. */
export interface StartStep { command: string, args: string[] }

export interface LauncherOptions {
  /** Working directory of every step; a relative EMBEDDED_DATA_DIR is inside it. */
  root: string
  /** Environment of `npm start`; the steps get it plus what the backend choice adds. */
  env: Env
  /** Arguments for the server (after `npm start --`). */
  serverArgs: string[]
  steps: { migrate: StartStep, seed: StartStep, server: StartStep }
  /** Seed flags when the database is embedded. @default EMBEDDED_SEED_ARGS */
  embeddedSeedArgs?: string[]
  /** Progress lines. @default stdout */
  out?: (line: string) => void
  /** Receives the steps' stdout and stderr (tests); by default they share this process's. */
  stepOutput?: (chunk: string) => void
}

export interface Launch {
  /** Exit code of `npm start`: the server's, or the first failing step's. */
  exited: Promise<number>
  /** Passes a signal to the running step; no later step starts. */
  signal: (signal: NodeJS.Signals) => void
}

/**
 * The embedded demo set: PGlite is single-threaded WASM, so the default
 * seed (50,000 products, 100,000 orders) would take minutes there.
 */
export const EMBEDDED_SEED_ARGS = ['--products', '5000', '--users', '1000', '--orders', '5000', '--reviews', '10000', '--carts', '200']

const say = (opts: LauncherOptions, line: string) => (opts.out ?? ((l) => process.stdout.write(`${l}\n`)))(`[start] ${line}`)

/**
 * `npm start` after the build: decides between the configured servers and
 * the embedded fallback (resolveBackends), runs PGlite in this process when
 * PostgreSQL is embedded (it must outlive the migrate, seed and server
 * processes, which reach it over TCP), then runs migrate, seed-if-empty and
 * the server as separate processes, and stops PGlite when the server exits.
 */
export function launch (opts: LauncherOptions): Launch {
  const state: { child?: ChildProcess, stopping: boolean } = { stopping: false }
  const exited = run(opts, state).catch((err: Error) => {
    say(opts, `failed: ${err.message}`)
    return 1
  })
  return {
    exited,
    signal (signal) {
      state.stopping = true
      state.child?.kill(signal)
    }
  }
}

async function run (opts: LauncherOptions, state: { child?: ChildProcess, stopping: boolean }): Promise<number> {
  let config: Readonly<Config>
  let plan: BackendPlan
  try {
    config = loadConfig(opts.env)
    plan = await resolveBackends(opts.env, config)
  } catch (err) {
    if (err instanceof ConfigError || err instanceof BackendUnreachableError) {
      say(opts, err.message)
      return 2
    }
    throw err
  }
  const env = childEnv(opts, config, plan)
  const serverArgs = singleProcess(opts, config, plan, env)
  const pg = plan.database.mode === 'embedded' ? await openDatabase(opts, config, state, env) : undefined
  try {
    const sizes = pg ? opts.embeddedSeedArgs ?? EMBEDDED_SEED_ARGS : []
    const seedLabel = `seeding demo data if the database is empty${pg ? ` (embedded: a smaller set, ${sizes.join(' ')})` : ''}`
    const steps: [string, StartStep][] = [
      ['creating and migrating the database', opts.steps.migrate],
      [seedLabel, { ...opts.steps.seed, args: [...opts.steps.seed.args, '--if-empty', ...sizes] }],
      ['starting the server', { ...opts.steps.server, args: [...opts.steps.server.args, ...serverArgs] }]
    ]
    for (const [label, step] of steps) {
      if (state.stopping) return 0
      say(opts, label)
      const code = await runStep(opts, step, env, state)
      if (code !== 0 || label === 'starting the server') return stepResult(opts, label, code, state)
    }
    return 0
  } finally {
    await pg?.stop()
  }
}

function stepResult (opts: LauncherOptions, label: string, code: number, state: { stopping: boolean }): number {
  if (code !== 0 && !state.stopping) say(opts, `${label} failed (exit ${code})`)
  return state.stopping && code > 128 ? 0 : code
}

/** The environment of the steps: the chosen URLs, and the embedded flags the server reads. */
function childEnv (opts: LauncherOptions, config: Readonly<Config>, plan: BackendPlan): Env {
  const env: Env = { ...opts.env }
  for (const [name, choice] of [['DATABASE', plan.database], ['REDIS', plan.redis]] as const) {
    say(opts, `${name === 'DATABASE' ? 'PostgreSQL' : 'Redis'}: ${choice.reason} → ${choice.mode === 'external' ? choice.url : 'embedded'}`)
    if (choice.url) env[`${name}_URL`] = choice.url
  }
  if (plan.redis.mode === 'embedded') env.REDIS_EMBEDDED = 'true'
  if (plan.database.mode === 'embedded') {
    env.DATABASE_EMBEDDED = 'true'
    // PGlite is one session: a second pooled connection would share its transactions.
    env.DATABASE_POOL_MAX = '1'
    env.EMBEDDED_DATA_DIR = dataDirOf(opts, config)
  }
  return env
}

/** Embedded backends live in one process: `--workers N` / WEB_CONCURRENCY > 1 become 1, said once. */
function singleProcess (opts: LauncherOptions, config: Readonly<Config>, plan: BackendPlan, env: Env): string[] {
  if (plan.database.mode === 'external' && plan.redis.mode === 'external') return opts.serverArgs
  const args: string[] = []
  let requested = config.webConcurrency
  for (let i = 0; i < opts.serverArgs.length; i++) {
    const arg = opts.serverArgs[i]
    if (arg === '--workers') requested = Number(opts.serverArgs[++i])
    else if (arg.startsWith('--workers=')) requested = Number(arg.slice('--workers='.length))
    else args.push(arg)
  }
  if (requested > 1) say(opts, `embedded backends serve a single process: starting 1 server process, not ${requested} (set DATABASE_URL and REDIS_URL to run workers)`)
  env.WEB_CONCURRENCY = '1'
  return args
}

function dataDirOf (opts: LauncherOptions, config: Readonly<Config>): string {
  return isAbsolute(config.embeddedDataDir) ? config.embeddedDataDir : join(opts.root, config.embeddedDataDir)
}

async function openDatabase (opts: LauncherOptions, config: Readonly<Config>, state: { child?: ChildProcess }, env: Env): Promise<EmbeddedPostgres> {
  const dataDir = dataDirOf(opts, config)
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'))
  say(opts, `${fresh ? 'creating' : 'opening'} the embedded PostgreSQL (PGlite) in ${dataDir}${fresh ? ' (first start: this takes a few seconds)' : ''}`)
  let pg: EmbeddedPostgres
  try {
    pg = await startEmbeddedPostgres({
      dataDir,
      port: config.embeddedPgPort,
      onFatal: (err) => {
        say(opts, `embedded PostgreSQL failed and cannot continue: ${err.message}`)
        state.child?.kill('SIGTERM')
      }
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${config.embeddedPgPort} for the embedded PostgreSQL is in use; set EMBEDDED_PG_PORT to a free port (0 picks one)`)
    }
    if (err instanceof DataDirLockedError) throw new Error(err.message)
    throw err
  }
  say(opts, `embedded PostgreSQL listening on 127.0.0.1:${pg.port} (opened in ${(pg.openMs / 1000).toFixed(1)} s)`)
  env.DATABASE_URL = pg.url
  return pg
}

/** Runs one step; never spawnSync: PGlite serves the step's queries on this process's event loop. */
function runStep (opts: LauncherOptions, step: StartStep, env: Env, state: { child?: ChildProcess }): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, { cwd: opts.root, stdio: opts.stepOutput ? ['ignore', 'pipe', 'pipe'] : 'inherit', env })
    if (opts.stepOutput) {
      const forward = opts.stepOutput
      child.stdout?.setEncoding('utf8').on('data', forward)
      child.stderr?.setEncoding('utf8').on('data', forward)
    }
    state.child = child
    child.once('error', (err) => {
      say(opts, `could not run ${step.command}: ${err.message}`)
      resolve(1)
    })
    child.once('exit', (code, signal) => {
      state.child = undefined
      resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1))
    })
  })
}

function signalNumber (signal: NodeJS.Signals): number | undefined {
  return ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 } as Partial<Record<NodeJS.Signals, number>>)[signal]
}
