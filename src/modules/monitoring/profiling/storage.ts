import { createReadStream, type ReadStream } from 'node:fs'
import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'

const DAY_MS = 24 * 60 * 60 * 1000
const FILE_PATTERN = /^profile-\d+-[\w.-]+\.cpuprofile$/

export interface ProfileStorageOptions {
  /** Directory of the `.cpuprofile` files (created when missing). */
  dir: string
  /** Total bytes kept; the oldest files go first. A single profile larger than this is not written. */
  maxBytes: number
  maxFiles: number
  retentionDays: number
  now?: () => number
}

export type ProfileStorage = ReturnType<typeof createProfileStorage>

/**
 * The `.cpuprofile` files on local disk, bounded by count, total size and
 * age. Writes go to a temporary name first, so a crash never leaves a
 * truncated profile behind a valid name.
 */
export function createProfileStorage (opts: ProfileStorageOptions) {
  const dir = resolve(opts.dir)
  const now = opts.now ?? Date.now

  /** Writes one profile; undefined when it alone exceeds the size cap (the summary is still kept). */
  async function write (id: number, startedAt: Date, json: string): Promise<{ fileName: string, sizeBytes: number } | undefined> {
    const sizeBytes = Buffer.byteLength(json)
    if (sizeBytes > opts.maxBytes) return undefined
    await mkdir(dir, { recursive: true })
    const fileName = `profile-${id}-${startedAt.toISOString().replace(/[:.]/g, '-')}.cpuprofile`
    const tmp = join(dir, `.${fileName}.tmp`)
    await writeFile(tmp, json, { mode: 0o640 })
    await rename(tmp, join(dir, fileName))
    return { fileName, sizeBytes }
  }

  /** Deletes files beyond the count, size and age limits, oldest first; returns their names. */
  async function prune (): Promise<string[]> {
    let names: string[]
    try {
      names = (await readdir(dir)).filter((n) => FILE_PATTERN.test(n))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const files = await Promise.all(names.map(async (name) => ({ name, ...(await stat(join(dir, name)).then((s) => ({ size: s.size, mtimeMs: s.mtimeMs }))) })))
    files.sort((a, b) => b.mtimeMs - a.mtimeMs)
    const oldest = now() - opts.retentionDays * DAY_MS
    const doomed: string[] = []
    let kept = 0
    let bytes = 0
    for (const f of files) {
      if (kept < opts.maxFiles && bytes + f.size <= opts.maxBytes && f.mtimeMs >= oldest) {
        kept++
        bytes += f.size
      } else {
        doomed.push(f.name)
      }
    }
    await Promise.all(doomed.map((n) => unlink(join(dir, n)).catch(() => {})))
    return doomed
  }

  /** A read stream of a stored profile, or undefined when the file is not on this disk. */
  async function open (fileName: string): Promise<ReadStream | undefined> {
    const path = join(dir, basename(fileName)) // names come from our table; basename() still forbids escaping the directory
    try {
      await stat(path)
    } catch {
      return undefined
    }
    return createReadStream(path)
  }

  return { write, prune, open, dir }
}
