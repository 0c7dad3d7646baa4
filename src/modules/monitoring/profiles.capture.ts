import { Session } from 'node:inspector/promises'
import type { Profiler } from 'node:inspector'
import { setTimeout as sleep } from 'node:timers/promises'

/** V8 samples the stack every this many microseconds (Node's --cpu-prof default). */
const SAMPLING_INTERVAL_US = 1000

export type CpuProfile = Profiler.Profile

/**
 * Samples this process's CPU for `durationMs` through the in-process
 * inspector (no debugger port is opened) and returns the V8 profile, the
 * format of a `.cpuprofile` file. `signal` ends the capture early (shutdown)
 * and still returns what was sampled. Starting and stopping the sampler
 * cost microseconds; the sampling itself runs on V8's profiler thread.
 */
export async function captureCpuProfile (durationMs: number, signal?: AbortSignal): Promise<CpuProfile> {
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US })
    await session.post('Profiler.start')
    await sleep(durationMs, undefined, { signal }).catch(() => {}) // aborted: stop now, keep the samples
    const { profile } = await session.post('Profiler.stop')
    return profile
  } finally {
    await session.post('Profiler.disable').catch(() => {})
    session.disconnect()
  }
}
