// Throttling of guessable secrets (Temporary Access Passes), per account and per source address.
// NIST SP 800-63B-4 §3.2.2 caps consecutive failures at 100 and suggests growing waits; we lock far earlier.
// Passkey sign-in never consults these counters, so nobody can lock a person out of their passkey.
//
// Every attempt is counted *before* the pass is checked, in the same atomic statement that checks the wait,
// so a burst of parallel guesses cannot slip past the growing delays; a success then takes its count back.
export interface ThrottleState {
  failures: number;
  lastFailureAt: Date;
  blockedUntil: Date;
}

export const THROTTLE = {
  /** Failures allowed before any wait. */
  freeFailures: 3,
  /** At this many consecutive failures TAP sign-in is locked for `lockMinutes`. */
  lockAfter: 10,
  lockMinutes: 60,
  /** Counters forget failures older than this. */
  memoryMinutes: 24 * 60,
} as const;

/** Seconds to wait after the n-th consecutive failure: 0,0,0, then 2,4,8,…, capped; at the lock point a long lock. */
export function delayAfterFailures(failures: number): number {
  if (failures >= THROTTLE.lockAfter) return THROTTLE.lockMinutes * 60;
  if (failures <= THROTTLE.freeFailures) return 0;
  return Math.min(2 ** (failures - THROTTLE.freeFailures), 300);
}

/** The schedule as a table indexed by failure count (1-based, last entry for every count beyond): storage applies it atomically. */
export function delaySchedule(): number[] {
  return Array.from({ length: THROTTLE.lockAfter }, (_, i) => delayAfterFailures(i + 1));
}

export function recordFailure(state: ThrottleState | null, now: Date): ThrottleState {
  const stale = !state || now.getTime() - state.lastFailureAt.getTime() > THROTTLE.memoryMinutes * 60_000;
  const failures = stale ? 1 : state.failures + 1;
  return { failures, lastFailureAt: now, blockedUntil: new Date(now.getTime() + delayAfterFailures(failures) * 1000) };
}

/** Seconds until another attempt is allowed, or 0. */
export function secondsUntilAllowed(state: ThrottleState | null, now: Date): number {
  if (!state) return 0;
  return Math.max(0, Math.ceil((state.blockedUntil.getTime() - now.getTime()) / 1000));
}
