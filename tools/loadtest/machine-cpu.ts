import { readdir, readFile, readlink } from 'node:fs/promises'

/**
 * Who used the machine's CPU during the measured window, from /proc (Linux):
 * the server under test (the process listening on the base URL's port and
 * its cluster workers), PostgreSQL (its background processes and the
 * backends of the database under test), Redis, this load generator, and
 * everything else (other databases' backends included) — on a shared two-core machine the last one says how much
 * the neighbours disturbed the run. Figures are percent of one core; the
 * machine has `cores × 100`.
 */

export interface CpuSnapshot {
  at: number
  /** Busy and total jiffies of the whole machine (/proc/stat). */
  busy: number
  total: number
  /** utime + stime jiffies per process group. */
  groups: Record<CpuGroup, number>
}

export type CpuGroup = 'server' | 'postgres' | 'redis' | 'generator' | 'other'

export type CpuSplit = Record<CpuGroup | 'idle', number>

const TICKS_PER_S = 100 // USER_HZ on Linux

async function listeningInode (port: number): Promise<string | undefined> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '')
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      // cols[1] local address:port, cols[3] state (0A = LISTEN), cols[9] inode
      if (cols.length > 9 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A') return cols[9]
    }
  }
  return undefined
}

interface ProcStat { pid: number, ppid: number, comm: string, jiffies: number }

async function readProcs (): Promise<ProcStat[]> {
  const out: ProcStat[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const text = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
    const close = text.lastIndexOf(')')
    if (close < 0) continue
    const comm = text.slice(text.indexOf('(') + 1, close)
    const f = text.slice(close + 2).split(' ')
    // After the comm: state(0) ppid(1) ... utime(11) stime(12)
    out.push({ pid: Number(name), ppid: Number(f[1]), comm, jiffies: Number(f[11]) + Number(f[12]) })
  }
  return out
}

/** The pids of the server listening on `port` and of its descendants (cluster workers); empty when not found. */
export async function serverPids (port: number): Promise<Set<number>> {
  const pids = new Set<number>()
  const inode = await listeningInode(port)
  if (!inode) return pids
  const procs = await readProcs()
  for (const p of procs) {
    const fds = await readdir(`/proc/${p.pid}/fd`).catch(() => [] as string[])
    for (const fd of fds) {
      if ((await readlink(`/proc/${p.pid}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) {
        pids.add(p.pid)
        break
      }
    }
  }
  let grew = true
  while (grew) {
    grew = false
    for (const p of procs) if (pids.has(p.ppid) && !pids.has(p.pid)) { pids.add(p.pid); grew = true }
  }
  return pids
}

/** What a machine snapshot needs to know about the run: the server's pids and the database under test. */
export interface CpuScope {
  server: Set<number>
  database: string
  /** Process titles of PostgreSQL processes, read once per pid. */
  titles: Map<number, string>
}

async function postgresGroup (pid: number, scope: CpuScope): Promise<CpuGroup> {
  let title = scope.titles.get(pid)
  if (title === undefined) {
    title = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ')
    scope.titles.set(pid, title)
  }
  // A backend's title is `postgres: 15/main: <user> <database> <host>(<port>) <state>`, an autovacuum
  // worker's `postgres: 15/main: autovacuum worker <database>`. Other databases' processes serve the
  // neighbours; background processes (WAL writer, checkpointer) serve everyone and count here.
  const database = /^postgres: [^:]+: \S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(title)?.[1] ??
    /^postgres: [^:]+: autovacuum worker (\S+)/.exec(title)?.[1]
  return database === undefined || database === scope.database ? 'postgres' : 'other'
}

async function groupOf (p: ProcStat, scope: CpuScope): Promise<CpuGroup> {
  if (scope.server.has(p.pid)) return 'server'
  if (p.pid === process.pid) return 'generator'
  if (p.comm === 'postgres' || p.comm.startsWith('postgres:')) return postgresGroup(p.pid, scope)
  if (p.comm.startsWith('redis-server')) return 'redis'
  return 'other'
}

export async function snapshotCpu (scope: CpuScope): Promise<CpuSnapshot | undefined> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '')
  const cpu = stat.split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number)
  if (!cpu || cpu.length < 5) return undefined
  const total = cpu.reduce((a, b) => a + b, 0)
  const idle = cpu[3] + (cpu[4] ?? 0)
  const groups: Record<CpuGroup, number> = { server: 0, postgres: 0, redis: 0, generator: 0, other: 0 }
  for (const p of await readProcs()) groups[await groupOf(p, scope)] += p.jiffies
  return { at: performance.now(), busy: total - idle, total, groups }
}

const KNOWN: readonly CpuGroup[] = ['server', 'postgres', 'redis', 'generator']

/**
 * Percent of one core per group between two snapshots. `other` is the
 * machine's busy time minus the known groups, so neighbours' processes that
 * started and ended inside the window are counted too.
 */
export function cpuSplit (a: CpuSnapshot, b: CpuSnapshot, cores: number): CpuSplit {
  const seconds = (b.at - a.at) / 1000
  const pct = (jiffies: number): number => Math.round((jiffies / TICKS_PER_S / seconds) * 1000) / 10
  const busy = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * cores * 100
  const known = Object.fromEntries(KNOWN.map((g) => [g, Math.max(0, pct(b.groups[g] - a.groups[g]))])) as Record<CpuGroup, number>
  const knownSum = KNOWN.reduce((sum, g) => sum + known[g], 0)
  return { ...known, other: Math.round(Math.max(0, busy - knownSum) * 10) / 10, idle: Math.round((cores * 100 - busy) * 10) / 10 }
}
