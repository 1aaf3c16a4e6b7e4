// Throttling of guessable secrets (Temporary Access Passes), per account and per source address.
// NIST SP 800-63B-4 §3.2.2 caps consecutive failures per account at 100 and suggests growing waits; we lock
// an account far earlier. Passkey sign-in never consults these counters, so nobody can lock a person out of
// their passkey by guessing passes.
//
// Every attempt is counted *before* the pass is checked, in the same atomic statement that checks the wait,
// so a burst of parallel guesses cannot slip past the growing delays; a right pass then takes its count back.
export interface ThrottleRule {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** At this many consecutive failures sign-in with a pass locks for `lockMinutes`. */
  lockAfter: number;
  lockMinutes: number;
  maxDelaySeconds: number;
}

export const THROTTLES = {
  account: { freeFailures: 3, lockAfter: 10, lockMinutes: 60, maxDelaySeconds: 300 },
  // One address may front many honest people (an office behind NAT on onboarding day, all typing passes at
  // once), so its budget is far larger: it exists to slow one source guessing across many accounts.
  address: { freeFailures: 30, lockAfter: 100, lockMinutes: 60, maxDelaySeconds: 300 },
} as const satisfies Record<string, ThrottleRule>;

/** Counters forget failures older than this. */
export const THROTTLE_MEMORY_MINUTES = 24 * 60;

/** Seconds to wait after the n-th consecutive failure: none at first, then 2, 4, 8 … capped; at the lock point a long lock. */
export function delayAfterFailures(rule: ThrottleRule, failures: number): number {
  if (failures >= rule.lockAfter) return rule.lockMinutes * 60;
  if (failures <= rule.freeFailures) return 0;
  return Math.min(2 ** (failures - rule.freeFailures), rule.maxDelaySeconds);
}

/** The rule as a table indexed by failure count (1-based; the last entry holds beyond): storage applies it atomically. */
export function delaySchedule(rule: ThrottleRule): number[] {
  return Array.from({ length: rule.lockAfter }, (_, i) => delayAfterFailures(rule, i + 1));
}
