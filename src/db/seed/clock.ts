export const DAY_MS = 86_400_000

/**
 * The instant the seed's timestamps are relative to. Only times move with
 * "now"; everything drawn from the PRNG (names, prices, contents, ages) is the
 * same for a given seed.
 */
export interface SeedClock {
  now: number
  /**
   * Start of "today": the later of UTC and local midnight, so rows placed in
   * [todayStart, now] count as today whichever time zone a report uses.
   */
  todayStart: number
}

export function createClock (now: Date): SeedClock {
  const ms = now.getTime()
  const utcMidnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const localMidnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime()
  return { now: ms, todayStart: Math.max(utcMidnight, localMidnight) }
}

/** 'YYYYMMDD' of a UTC instant, for order numbers. */
export function compactDate (ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')
}
