import { readFile, unlink, writeFile } from 'node:fs/promises'

/** Another live process has the embedded database open. */
export class DataDirLockedError extends Error {
  constructor (readonly dataDir: string, readonly pid: number) {
    super(`The embedded database in ${dataDir} is in use by process ${pid} (another npm start?). ` +
      'Stop that process, or set EMBEDDED_DATA_DIR to another folder.')
    this.name = 'DataDirLockedError'
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// Locks this process holds: a lock file naming our own pid is ours only if it is in here.
const held = new Set<string>()

/**
 * Takes `<dataDir>.lock` for this process. PGlite opens a data folder that
 * another PGlite has open without complaint, and two writers corrupt it;
 * this lock refuses the second one. A lock left by a process that no
 * longer exists is taken over. Returns the release function.
 */
export async function lockDataDir (dataDir: string): Promise<() => Promise<void>> {
  const path = `${dataDir}.lock`
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' })
      held.add(path)
      return async () => {
        held.delete(path)
        await unlink(path).catch(() => {})
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim())
    const ours = holder === process.pid && held.has(path)
    if (ours || (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))) throw new DataDirLockedError(dataDir, holder)
    await unlink(path).catch(() => {})
  }
}
