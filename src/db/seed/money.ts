/**
 * Money in the seed is integer cents in JS and a decimal string for
 * PostgreSQL `numeric`: sums and products stay exact, never float arithmetic.
 */
export function formatCents (cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`amount must be a non-negative whole number of cents, got ${cents}`)
  const whole = Math.floor(cents / 100)
  const rest = cents % 100
  return `${whole}.${rest < 10 ? '0' : ''}${rest}`
}
