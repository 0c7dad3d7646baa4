import { and, desc, eq, gte, inArray, isNull, lt, lte } from 'drizzle-orm'
import type { Database } from '../../../db/client.js'
import { cpuProfiles } from '../../../db/schema/index.js'
import { timedQuery } from '../../../lib/observability/index.js'
import type { TimeSplit, TopFunction } from './schemas.js'

export type ProfileRow = typeof cpuProfiles.$inferSelect

export interface NewProfile {
  trigger: 'auto' | 'manual'
  route: string | null
  p95Ms: number | null
  budgetMs: number | null
  instance: string
  requestedBy: number | null
  durationMs: number
}

export interface CompletedProfile {
  sizeBytes: number | null
  sampleCount: number
  idlePct: number
  topFunctions: TopFunction[]
  timeSplit: TimeSplit | null
  fileName: string | null
  error: string | null
}

export type ProfilesRepository = ReturnType<typeof createProfilesRepository>

export function createProfilesRepository (db: Database) {
  return {
    async insert (p: NewProfile): Promise<ProfileRow> {
      const [row] = await timedQuery('profiles.insert', db.insert(cpuProfiles).values({ ...p, status: 'capturing' }).returning())
      return row
    },

    async complete (id: number, p: CompletedProfile): Promise<ProfileRow | undefined> {
      const [row] = await timedQuery('profiles.complete', db.update(cpuProfiles).set({ ...p, status: 'ready' }).where(eq(cpuProfiles.id, id)).returning())
      return row
    },

    async fail (id: number, error: string): Promise<ProfileRow | undefined> {
      const [row] = await timedQuery('profiles.fail', db.update(cpuProfiles).set({ status: 'failed', error: error.slice(0, 500) }).where(eq(cpuProfiles.id, id)).returning())
      return row
    },

    list (limit: number): Promise<ProfileRow[]> {
      return timedQuery('profiles.list', db.select().from(cpuProfiles).orderBy(desc(cpuProfiles.startedAt), desc(cpuProfiles.id)).limit(limit))
    },

    /** Profiles started in [from, to], newest first. */
    startedBetween (from: Date, to: Date, limit: number): Promise<ProfileRow[]> {
      return timedQuery('profiles.started_between', db.select().from(cpuProfiles)
        .where(and(gte(cpuProfiles.startedAt, from), lte(cpuProfiles.startedAt, to)))
        .orderBy(desc(cpuProfiles.startedAt), desc(cpuProfiles.id)).limit(limit))
    },

    async find (id: number): Promise<ProfileRow | undefined> {
      const [row] = await timedQuery('profiles.find', db.select().from(cpuProfiles).where(eq(cpuProfiles.id, id)))
      return row
    },

    /** Records that retention deleted these files of this instance. */
    async markFilesDeleted (instance: string, fileNames: string[], at: Date): Promise<void> {
      if (fileNames.length === 0) return
      await timedQuery('profiles.mark_files_deleted', db.update(cpuProfiles).set({ fileDeletedAt: at })
        .where(and(eq(cpuProfiles.instance, instance), inArray(cpuProfiles.fileName, fileNames), isNull(cpuProfiles.fileDeletedAt))))
    },

    /** A capture interrupted by a crash stays `capturing` forever; this closes such rows started before `before`. */
    async failStale (before: Date, error: string): Promise<void> {
      await timedQuery('profiles.fail_stale', db.update(cpuProfiles).set({ status: 'failed', error })
        .where(and(eq(cpuProfiles.status, 'capturing'), lt(cpuProfiles.startedAt, before))))
    },

    async pruneOlderThan (before: Date): Promise<void> {
      await timedQuery('profiles.prune', db.delete(cpuProfiles).where(lt(cpuProfiles.startedAt, before)))
    }
  }
}
