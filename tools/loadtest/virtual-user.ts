import { setTimeout as sleep } from 'node:timers/promises'
import type { StepRecorders } from './curve.js'
import type { CatalogSampler } from './data.js'
import type { HttpClient, HttpResult } from './http.js'
import { JOURNEYS, type JourneyContext, type JourneyName, type JourneyStats, type Step } from './journeys.js'
import type { LoadModel, Pacer } from './open-model.js'
import type { Rng } from './prng.js'
import type { Outcome, Recorder } from './recorder.js'
import type { VirtualUser } from './users.js'

/** Thrown inside a journey when the user's time is up (or the run was stopped), ending the visit. */
export class JourneyStop extends Error {
  constructor (readonly reason: 'ended' | 'dropped') {
    super(reason)
  }
}

export interface RunState {
  http: HttpClient
  recorder: Recorder
  /** Capacity curve: each measured request is also recorded in the step it was due in. */
  steps?: StepRecorders
  model: LoadModel
  /** Open model: a request this far behind its schedule is dropped (an error), not sent. */
  maxLagMs: number
  /** Requests in flight beyond this are dropped (an error) rather than queued without bound. */
  maxInFlight: number
  /** performance.now() bounds of the measured window: only requests due inside it are recorded. */
  measureStart: number
  measureEnd: number
  inFlight: number
  peakInFlight: number
  /** Set on Ctrl-C: no new request is sent. */
  stopped: boolean
  stats: JourneyStats
  journeys: { started: Record<string, number>, completed: Record<string, number>, aborted: number }
}

export function classify (status: number, expect: readonly number[] | undefined): Outcome {
  if (status >= 200 && status < 300) return 'ok'
  if (status === 429) return 'limited'
  if (status !== 0 && expect?.includes(status)) return 'expected'
  return 'error'
}

export interface VirtualUserSetup {
  user: VirtualUser
  pacer: Pacer
  /** Content stream (journey choice, ids, words); timing has its own stream in the pacer. */
  rng: Rng
  pickJourney: (rng: Rng) => JourneyName
  catalog: CatalogSampler
  runId: string
  flashProductId?: number
  /** Stop after this many visits (1 in a flash sale). */
  maxVisits: number
}

function createSend (setup: VirtualUserSetup, run: RunState): (step: Step) => Promise<HttpResult> {
  const { pacer, user } = setup
  return async (step) => {
    const due = pacer.nextDue()
    if (due === undefined || run.stopped) throw new JourneyStop('ended')
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    if (run.stopped) throw new JourneyStop('ended')
    const sent = performance.now()
    const measured = due >= run.measureStart && due < run.measureEnd
    if ((run.model === 'open' && sent - due > run.maxLagMs) || run.inFlight >= run.maxInFlight) {
      if (measured) {
        run.recorder.record(step.endpoint, 0, 'DROPPED', 'error')
        run.steps?.at(due - run.measureStart).record(step.endpoint, 0, 'DROPPED', 'error')
      }
      pacer.completed(sent)
      throw new JourneyStop('dropped')
    }
    run.inFlight++
    if (run.inFlight > run.peakInFlight) run.peakInFlight = run.inFlight
    const res = await run.http.request({ ...step, token: user.token })
    run.inFlight--
    const done = performance.now()
    pacer.completed(done)
    if (measured) {
      const latency = done - (run.model === 'open' ? due : sent)
      const status = res.status ? String(res.status) : (res.error ?? 'ERROR')
      const outcome = classify(res.status, step.expect)
      run.recorder.record(step.endpoint, latency, status, outcome)
      run.steps?.at(due - run.measureStart).record(step.endpoint, latency, status, outcome)
    }
    return res
  }
}

/** Runs one user's visits until its window closes. */
export async function runVirtualUser (setup: VirtualUserSetup, run: RunState): Promise<void> {
  const ctx: JourneyContext = {
    user: setup.user,
    rng: setup.rng,
    catalog: setup.catalog,
    runId: setup.runId,
    stats: run.stats,
    flashProductId: setup.flashProductId,
    send: createSend(setup, run)
  }
  for (let visit = 0; visit < setup.maxVisits; visit++) {
    const name = setup.pickJourney(setup.rng)
    run.journeys.started[name] = (run.journeys.started[name] ?? 0) + 1
    try {
      await JOURNEYS[name](ctx)
      run.journeys.completed[name] = (run.journeys.completed[name] ?? 0) + 1
    } catch (err) {
      if (!(err instanceof JourneyStop)) throw err
      if (err.reason === 'ended') return
      run.journeys.aborted++
    }
  }
}
