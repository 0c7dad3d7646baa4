import { Session } from 'node:inspector/promises'
import type { Profiler } from 'node:inspector'
import { setTimeout as sleep } from 'node:timers/promises'

/** V8 samples the stack every this many microseconds (Node's --cpu-prof default). */
const SAMPLING_INTERVAL_US = 1000

export type CpuProfile = Profiler.Profile

/**
 * One inspector session per process, connected on first use and never
 * disabled: V8's `Profiler.disable` (also run when a session disconnects)
 * switches the isolate's code coverage to best-effort, which would wipe
 * the block coverage of a process started with NODE_V8_COVERAGE (c8). An
 * idle, enabled profiler agent costs nothing; sampling only runs between
 * `Profiler.start` and `Profiler.stop`.
 */
let session: Promise<Session> | undefined
let capturing = false

function profilerSession (): Promise<Session> {
  session ??= (async () => {
    const s = new Session()
    s.connect()
    await s.post('Profiler.enable')
    return s
  })()
  return session
}

/** Called at the edges of the sampled interval, so other measurements can cover exactly the same time. */
export interface CaptureHooks {
  /** Sampling has started. */
  started?: () => void
  /** Sampling is about to stop. */
  stopping?: () => void
}

/**
 * Samples this process's CPU for `durationMs` through the in-process
 * inspector (no debugger port is opened) and returns the V8 profile, the
 * format of a `.cpuprofile` file. `signal` ends the capture early (shutdown)
 * and still returns what was sampled. One capture at a time per process.
 */
export async function captureCpuProfile (durationMs: number, signal?: AbortSignal, hooks: CaptureHooks = {}): Promise<CpuProfile> {
  if (capturing) throw new Error('a CPU profile is already being captured in this process')
  capturing = true
  try {
    const s = await profilerSession()
    await s.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US })
    await s.post('Profiler.start')
    hooks.started?.()
    await sleep(durationMs, undefined, { signal }).catch(() => {}) // aborted: stop now, keep the samples
    hooks.stopping?.()
    const { profile } = await s.post('Profiler.stop')
    return profile
  } finally {
    capturing = false
  }
}
