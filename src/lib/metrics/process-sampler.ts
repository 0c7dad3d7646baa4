import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'

/**
 * Once-a-second readings of the process itself: event-loop delay (libuv
 * timer drift, native histogram, reset every read), event-loop utilisation,
 * CPU time and garbage-collection pauses. Everything here is sampled in the
 * background, never inside a request.
 */

export interface ProcessReadings {
  eventLoopP50Ms: number
  eventLoopP99Ms: number
  eventLoopMaxMs: number
  /** Share of wall time the event loop was busy, 0..1. */
  elu: number
  /** Process CPU time (user + system) over wall time, as a share of one core. */
  cpuRatio: number
}

export interface ProcessSampler {
  /** Readings since the previous call. */
  read: () => ProcessReadings
  stop: () => void
}

const NS_PER_MS = 1e6
// 10 ms is libuv's practical timer granularity; finer costs CPU for no insight.
const EVENT_LOOP_RESOLUTION_MS = 10

export function createProcessSampler (onGc: (pauseMs: number) => void): ProcessSampler {
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS })
  delay.enable()
  let elu = performance.eventLoopUtilization()
  let cpu = process.cpuUsage()
  let at = performance.now()

  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) onGc(entry.duration)
  })
  gc.observe({ entryTypes: ['gc'] })

  return {
    read: () => {
      const now = performance.now()
      const eluDelta = performance.eventLoopUtilization(elu)
      const cpuDelta = process.cpuUsage(cpu)
      const elapsedUs = Math.max(1, (now - at) * 1000)
      const hasDelay = delay.count > 0
      const readings = {
        eventLoopP50Ms: hasDelay ? delay.percentile(50) / NS_PER_MS : 0,
        eventLoopP99Ms: hasDelay ? delay.percentile(99) / NS_PER_MS : 0,
        eventLoopMaxMs: hasDelay ? delay.max / NS_PER_MS : 0,
        elu: eluDelta.utilization,
        cpuRatio: (cpuDelta.user + cpuDelta.system) / elapsedUs
      }
      delay.reset()
      elu = performance.eventLoopUtilization()
      cpu = process.cpuUsage()
      at = now
      return readings
    },
    stop: () => {
      delay.disable()
      gc.disconnect()
    }
  }
}
