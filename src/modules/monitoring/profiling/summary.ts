import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { CpuProfile } from './capture.js'
import type { TopFunction } from './schemas.js'

/** Samples handled between yields to the event loop, so a long profile never stalls requests. */
const SAMPLES_PER_SLICE = 20_000
// V8's pseudo-frames that are not code: idle time is reported apart, the root never has samples of its own.
const IDLE = '(idle)'
const SKIPPED = new Set(['(root)', IDLE])

export interface ProfileSummary {
  topFunctions: TopFunction[]
  sampleCount: number
  /** Profile length, milliseconds. */
  totalMs: number
  /** Share of the time the process was idle, 0..100. */
  idlePct: number
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits

/** `file:///app/src/x.ts` → `src/x.ts` when under `root`; other URLs unchanged. */
function displayUrl (url: string, root: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url
  const prefix = root.endsWith('/') ? root : `${root}/`
  return path.startsWith(prefix) ? path.slice(prefix.length) : path
}

/** Self time per node id (µs): each sample lasts until the next one (the last until endTime). */
async function selfTimeByNode (profile: CpuProfile): Promise<Map<number, number>> {
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  const self = new Map<number, number>()
  let timestamp = profile.startTime + (deltas[0] ?? 0)
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? timestamp + (deltas[i + 1] ?? 0) : profile.endTime
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, next - timestamp))
    timestamp = next
    if (i > 0 && i % SAMPLES_PER_SLICE === 0) await yieldToLoop()
  }
  return self
}

/**
 * The hottest functions of a V8 CPU profile by self time (time in the
 * function's own code, not its callees), merged across call sites, with
 * their share of the non-idle time. Runs on the event loop in slices.
 */
export async function summariseProfile (profile: CpuProfile, opts: { top: number, root: string }): Promise<ProfileSummary> {
  const self = await selfTimeByNode(profile)
  const byFunction = new Map<string, TopFunction & { selfUs: number }>()
  let idleUs = 0
  let busyUs = 0
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0
    const name = node.callFrame.functionName || '(anonymous)'
    if (name === IDLE) idleUs += us
    if (us === 0 || SKIPPED.has(name)) continue
    busyUs += us
    const url = displayUrl(node.callFrame.url, opts.root)
    const line = node.callFrame.lineNumber + 1
    const key = `${name}\0${url}\0${line}`
    const entry = byFunction.get(key) ?? { function_name: name, url, line, self_ms: 0, self_pct: 0, selfUs: 0 }
    entry.selfUs += us
    byFunction.set(key, entry)
  }
  const topFunctions = [...byFunction.values()]
    .sort((a, b) => b.selfUs - a.selfUs)
    .slice(0, opts.top)
    .map(({ selfUs, ...f }) => ({ ...f, self_ms: round(selfUs / 1000, 2), self_pct: busyUs > 0 ? round((selfUs / busyUs) * 100, 2) : 0 }))
  const totalUs = Math.max(0, profile.endTime - profile.startTime)
  return {
    topFunctions,
    sampleCount: profile.samples?.length ?? 0,
    totalMs: round(totalUs / 1000, 1),
    idlePct: totalUs > 0 ? round((idleUs / totalUs) * 100, 2) : 0
  }
}
