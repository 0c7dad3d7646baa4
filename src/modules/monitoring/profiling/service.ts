import type { ReadStream } from 'node:fs'
import type { FastifyBaseLogger } from 'fastify'
import { captureCpuProfile } from './capture.js'
import { ProfilesErrors } from './errors.js'
import { PHASES_WINDOW_S, type PhaseRecorder } from './phases.js'
import type { ProfileRow, ProfilesRepository } from './repository.js'
import type { Profile, ProfilesOverview, TimeSplit, TopFunction } from './schemas.js'
import type { SplitWindow } from './split.js'
import type { ProfileStorage } from './storage.js'
import { summariseProfile } from './summary.js'

const TOP_FUNCTIONS = 15
const DAY_MS = 24 * 60 * 60 * 1000
/** Longer than any capture (30 s at most) plus summarising and writing. */
const STALE_CAPTURE_MS = 10 * 60 * 1000

export interface CaptureRequest {
  trigger: 'auto' | 'manual'
  durationMs?: number
  route?: string
  p95Ms?: number
  budgetMs?: number
  requestedBy?: number
}

export interface ProfilesServiceOptions {
  repo: ProfilesRepository
  storage: ProfileStorage
  phases: PhaseRecorder
  /** Time split of each capture window; absent when request timings are not recorded (PROFILING_ENABLED=false). */
  split?: SplitWindow
  /** The p95 budget of a route template, when it has one. */
  budgetOf: (route: string) => number | undefined
  /** Announces a capture starting and finishing (live stream, other instances). */
  publish: (profile: Profile) => void
  log: FastifyBaseLogger
  instance: string
  /** When this process started (epoch ms). */
  startedAt: number
  /** Automatic capture and phase timings are on (PROFILING_ENABLED). */
  enabled: boolean
  defaultDurationMs: number
  cooldownMs: number
  /** Where automatic capture stands on this instance: the warm-up's end (undefined when off) and the routes in cooldown → until (epoch ms). */
  automatic: () => { warmupEndsAt: number | undefined, cooldowns: ReadonlyMap<string, number> }
  retentionDays: number
  /** Directory that function URLs are shown relative to. */
  root: string
}

export type ProfilesService = ReturnType<typeof createProfilesService>

function toProfile (row: ProfileRow): Profile {
  return {
    id: row.id,
    trigger: row.trigger as Profile['trigger'],
    status: row.status as Profile['status'],
    route: row.route,
    p95_ms: row.p95Ms,
    budget_ms: row.budgetMs,
    instance: row.instance,
    started_at: row.startedAt.toISOString(),
    duration_ms: row.durationMs,
    size_bytes: row.sizeBytes,
    sample_count: row.sampleCount,
    idle_pct: row.idlePct,
    top_functions: row.topFunctions as TopFunction[],
    time_split: (row.timeSplit as TimeSplit | null) ?? null,
    file_available: row.status === 'ready' && row.fileName !== null && row.fileDeletedAt === null,
    download_url: `/api/v1/monitoring/profiles/${row.id}`,
    error: row.error
  }
}

/**
 * CPU profiles: one capture at a time per process, stored as metadata and
 * top functions in PostgreSQL and the `.cpuprofile` on disk. `start`
 * returns as soon as sampling begins; summarising and writing follow in
 * the background and end with a `ready` (or `failed`) announcement.
 */
export function createProfilesService (opts: ProfilesServiceOptions) {
  const { repo, storage, log } = opts
  let current: { id: number, job: Promise<void> } | undefined
  const shutdown = new AbortController()

  async function finish (row: ProfileRow): Promise<void> {
    try {
      let timeSplit: TimeSplit | undefined
      const cpu = await captureCpuProfile(row.durationMs, shutdown.signal, {
        started: () => opts.split?.begin(),
        stopping: () => { timeSplit = opts.split?.end(row.route) }
      }).finally(() => { if (opts.split?.isOpen()) opts.split.end(null) })
      const summary = await summariseProfile(cpu, { top: TOP_FUNCTIONS, root: opts.root })
      const file = await storage.write(row.id, row.startedAt, JSON.stringify(cpu))
      if (!file) log.warn({ profileId: row.id }, 'profile larger than PROFILE_MAX_BYTES: summary kept, file not written')
      const done = await repo.complete(row.id, {
        sizeBytes: file?.sizeBytes ?? null,
        sampleCount: summary.sampleCount,
        idlePct: summary.idlePct,
        topFunctions: summary.topFunctions,
        timeSplit: timeSplit ?? null,
        fileName: file?.fileName ?? null,
        error: file ? null : 'profile larger than PROFILE_MAX_BYTES; file not kept'
      })
      log.info({ profileId: row.id, route: row.route, samples: summary.sampleCount, top: summary.topFunctions[0]?.function_name, verdict: timeSplit?.verdict, split: timeSplit?.summary }, 'cpu profile captured')
      if (done) opts.publish(toProfile(done))
      await prune()
    } catch (err) {
      log.error({ err, profileId: row.id }, 'cpu profile capture failed')
      const failed = await repo.fail(row.id, (err as Error).message).catch(() => undefined)
      if (failed) opts.publish(toProfile(failed))
    }
  }

  async function prune (): Promise<void> {
    const deleted = await storage.prune()
    await repo.markFilesDeleted(opts.instance, deleted, new Date())
    await repo.pruneOlderThan(new Date(Date.now() - opts.retentionDays * DAY_MS))
    await repo.failStale(new Date(Date.now() - STALE_CAPTURE_MS), 'the process stopped during the capture')
  }

  /** Starts a capture; 409 when one is already running in this process. */
  async function start (req: CaptureRequest): Promise<Profile> {
    if (current) throw new ProfilesErrors.CAPTURE_IN_PROGRESS(current.id)
    const claim = { id: 0, job: Promise.resolve() }
    current = claim // claimed before the insert, so two concurrent requests cannot both start
    try {
      const row = await repo.insert({
        trigger: req.trigger,
        route: req.route ?? null,
        p95Ms: req.p95Ms ?? null,
        budgetMs: req.budgetMs ?? null,
        instance: opts.instance,
        requestedBy: req.requestedBy ?? null,
        durationMs: req.durationMs ?? opts.defaultDurationMs
      })
      claim.id = row.id
      claim.job = finish(row).finally(() => { current = undefined })
      const profile = toProfile(row)
      opts.publish(profile)
      return profile
    } catch (err) {
      current = undefined
      throw err
    }
  }

  async function overview (limit: number): Promise<ProfilesOverview> {
    const rows = await repo.list(limit)
    const auto = opts.automatic()
    return {
      profiles: rows.map(toProfile),
      phases: opts.phases.snapshot(opts.budgetOf),
      phases_window_s: PHASES_WINDOW_S,
      enabled: opts.enabled,
      capturing: current !== undefined,
      cooldown_ms: opts.cooldownMs,
      warmup_ends_at: auto.warmupEndsAt === undefined ? null : new Date(auto.warmupEndsAt).toISOString(),
      cooldowns: [...auto.cooldowns].map(([route, until]) => ({ route, until: new Date(until).toISOString() })),
      instance: opts.instance,
      instance_started_at: new Date(opts.startedAt).toISOString()
    }
  }

  /** The stored `.cpuprofile` of profile `id`, as a stream with its download name. */
  async function download (id: number): Promise<{ stream: ReadStream, fileName: string }> {
    const row = await repo.find(id)
    if (!row) throw new ProfilesErrors.NOT_FOUND(id)
    if (row.status === 'capturing') throw new ProfilesErrors.NOT_READY(id)
    if (row.status === 'failed' || row.fileName === null) throw new ProfilesErrors.FILE_UNAVAILABLE(id, row.error ?? 'no file was written')
    if (row.fileDeletedAt !== null) throw new ProfilesErrors.FILE_UNAVAILABLE(id, 'deleted by retention')
    const stream = await storage.open(row.fileName)
    if (!stream) throw new ProfilesErrors.FILE_UNAVAILABLE(id, `it is stored on instance ${row.instance}`)
    return { stream, fileName: `techmart-profile-${row.id}-${row.startedAt.toISOString().slice(0, 19).replace(/:/g, '')}.cpuprofile` }
  }

  return {
    start,
    overview,
    /** Profiles started in [from, to] (any instance), newest first. */
    startedBetween: async (from: Date, to: Date, limit = 10): Promise<Profile[]> => (await repo.startedBetween(from, to, limit)).map(toProfile),
    download,
    isCapturing: () => current !== undefined,
    /** Resolves when the running capture (if any) is stored. */
    settled: async () => { await current?.job },
    /** Marks captures left unfinished by a crashed process as failed. */
    recover: () => repo.failStale(new Date(Date.now() - STALE_CAPTURE_MS), 'the process stopped during the capture'),
    /** Stops a running capture early; what was sampled is still stored. */
    close: async () => {
      shutdown.abort()
      await current?.job
    }
  }
}
