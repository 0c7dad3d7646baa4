import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import type { Flood } from './report-schema.js'

/**
 * `--flood PATH`: while the journeys run, a separate autocannon process keeps
 * `--flood-connections` connections busy on one path as fast as the server
 * answers (closed loop, no token: an anonymous client hammering a cheap or
 * unauthenticated route such as /openapi.json, /health/ready or a 404). It runs
 * in its own process so it does not slow the journeys' generator; its CPU shows
 * in the report's "other processes". The report keeps its status counts next to
 * the journeys' own 503s and 429s: a fair server sheds or limits the flood, not
 * the ordinary traffic.
 */

export interface FloodOptions {
  path: string
  connections: number
}

export const DEFAULT_FLOOD_CONNECTIONS = 64

interface AutocannonJson {
  requests?: { total?: number, average?: number }
  statusCodeStats?: Record<string, { count: number }>
  errors?: number
  timeouts?: number
}

export interface RunningFlood {
  /**
   * Waits for the flood to end (it lasts the run's warm-up and window) and resolves with its
   * figures; `abort` ends it at once instead (autocannon then prints nothing: no figures).
   */
  finish: (abort: boolean) => Promise<Flood>
}

/** How long after its planned end a flood may take to print its result before it is killed. */
const FINISH_GRACE_MS = 15_000

/** Starts the flood for `durationS` seconds against `baseUrl`. */
export function startFlood (baseUrl: string, opts: FloodOptions, durationS: number): RunningFlood {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js')
  const url = new URL(opts.path, baseUrl).href
  const child = spawn(process.execPath, [bin, '--json', '-c', String(opts.connections), '-d', String(Math.max(1, Math.ceil(durationS))),
    '-H', 'accept-encoding=gzip, deflate, br', url], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code))
    child.on('error', (err) => {
      stderr += err.message
      resolve(null)
    })
  })
  const base = { path: opts.path, connections: opts.connections, durationS }
  return {
    finish: async (abort) => {
      if (abort && child.exitCode === null) child.kill('SIGKILL')
      const timer = setTimeout(() => child.kill('SIGKILL'), abort ? 0 : durationS * 1000 + FINISH_GRACE_MS)
      const code = await exited
      clearTimeout(timer)
      try {
        const json = JSON.parse(stdout) as AutocannonJson
        const statuses: Record<string, number> = {}
        for (const [status, { count }] of Object.entries(json.statusCodeStats ?? {})) statuses[status] = count
        if (json.errors) statuses.errors = json.errors
        if (json.timeouts) statuses.timeouts = json.timeouts
        return { ...base, requests: json.requests?.total ?? 0, rps: Math.round((json.requests?.average ?? 0) * 10) / 10, statuses, problem: null }
      } catch {
        return { ...base, requests: 0, rps: 0, statuses: {}, problem: `the flood's autocannon exited ${code ?? 'on an error'}: ${stderr.trim().slice(0, 300) || 'no output'}` }
      }
    }
  }
}
