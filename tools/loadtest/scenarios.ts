import type { JourneyName } from './journeys.js'

/**
 * The scenarios `--scenario` selects: a journey mix (relative weights of the
 * journey picked at the start of each visit) and, for two of them, a shape.
 */

export const SCENARIO_NAMES = ['mixed', 'browse', 'search', 'checkout', 'spike', 'flash-sale'] as const
export type ScenarioName = typeof SCENARIO_NAMES[number]

export type JourneyMix = Partial<Record<JourneyName, number>>

/**
 * The realistic default: category pages 30%, product pages 30%, search 20%,
 * cart changes 12%, checkout 5%, profile and orders 3% (of visits).
 */
export const DEFAULT_MIX: Readonly<JourneyMix> = Object.freeze({ browse: 30, detail: 30, search: 20, cart: 12, checkout: 5, account: 3 })

export interface Scenario {
  name: ScenarioName
  description: string
  mix: Readonly<JourneyMix>
  /** Promotion peak: the online population ramps to this multiple of --users and back. */
  spikeFactor?: number
  /** Each user makes one visit, arriving at a random moment of the race window (flash sale). */
  oneVisit?: boolean
  /** Whether the RPS target applies (a short race has no throughput goal). */
  rpsTarget: boolean
  /** Whether the cache target applies (the write path reads little through the cache). */
  cacheTarget: boolean
}

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  mixed: { name: 'mixed', description: 'realistic mix of browsing, search, cart, checkout and account visits', mix: DEFAULT_MIX, rpsTarget: true, cacheTarget: true },
  browse: { name: 'browse', description: 'catalogue reading: category pages and product pages', mix: { browse: 50, detail: 50 }, rpsTarget: true, cacheTarget: true },
  search: { name: 'search', description: 'full-text search (GET and POST), typos included, then a result page', mix: { search: 100 }, rpsTarget: true, cacheTarget: true },
  checkout: { name: 'checkout', description: 'write path: cart changes and orders with idempotency keys', mix: { cart: 40, checkout: 60 }, rpsTarget: true, cacheTarget: false },
  spike: { name: 'spike', description: 'the mixed visits with a promotion peak: users ramp to 5x and back', mix: DEFAULT_MIX, spikeFactor: 5, rpsTarget: true, cacheTarget: true },
  'flash-sale': { name: 'flash-sale', description: 'every user races to buy one unit of one product with little stock', mix: { flash: 100 }, oneVisit: true, rpsTarget: false, cacheTarget: false }
}

/** Parses `browse=30,detail=30,...` into a mix; unknown journeys or bad weights throw. */
export function parseMix (value: string, known: readonly string[]): JourneyMix {
  const mix: Record<string, number> = {}
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, weight] = part.split('=')
    const w = Number(weight)
    if (!known.includes(name)) throw new Error(`--mix: unknown journey '${name}' (known: ${known.join(', ')})`)
    if (!Number.isFinite(w) || w < 0) throw new Error(`--mix: weight of '${name}' must be a number >= 0`)
    mix[name] = w
  }
  if (!Object.values(mix).some((w) => w > 0)) throw new Error('--mix needs at least one positive weight')
  return mix as JourneyMix
}
