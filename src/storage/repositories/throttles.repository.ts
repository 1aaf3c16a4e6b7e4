// Applies the throttle schedule from src/core/policy/throttle.ts atomically, one statement per key.
import { sql } from 'kysely';
import type { Db } from '../database.ts';

export interface ThrottleClaim {
  key: string;
  now: Date;
  memoryMinutes: number;
  /** Seconds to wait after the n-th consecutive failure, index n-1; the last entry holds for every higher n. */
  schedule: number[];
}

/**
 * Counts an attempt unless the key is waiting: the check and the increment are one statement, so parallel
 * attempts serialise on the row and each sees the wait set by the one before. Returns the seconds still to
 * wait (0 = the attempt may go ahead and has been counted).
 */
export async function claimAttempt(db: Db, claim: ThrottleClaim): Promise<number> {
  const staleBefore = new Date(claim.now.getTime() - claim.memoryMinutes * 60_000);
  const result = await sql<{ failures: number }>`
    INSERT INTO throttles AS t (key, failures, last_failure_at, blocked_until)
    VALUES (${claim.key}, 1, ${claim.now}, ${claim.now}::timestamptz + make_interval(secs => (${claim.schedule}::int[])[1]))
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.last_failure_at < ${staleBefore} THEN 1 ELSE t.failures + 1 END,
      last_failure_at = EXCLUDED.last_failure_at,
      blocked_until = EXCLUDED.last_failure_at + make_interval(secs => (${claim.schedule}::int[])[
        least(CASE WHEN t.last_failure_at < ${staleBefore} THEN 1 ELSE t.failures + 1 END, ${claim.schedule.length})])
    -- A zero delay leaves blocked_until = last_failure_at: concurrent requests whose clocks read a few
    -- milliseconds earlier must not take that as a wait.
    WHERE t.blocked_until <= greatest(${claim.now}::timestamptz, t.last_failure_at)
    RETURNING failures`.execute(db);
  if (result.rows.length > 0) return 0;
  const row = await db.selectFrom('throttles').select('blocked_until').where('key', '=', claim.key).executeTakeFirst();
  const waitMs = row ? new Date(row.blocked_until).getTime() - claim.now.getTime() : 1000;
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** Takes back the attempt a success counted, leaving earlier failures (and their wait) in place. */
export async function forgiveAttempt(db: Db, claim: ThrottleClaim): Promise<void> {
  await sql`
    UPDATE throttles SET
      failures = greatest(failures - 1, 0),
      blocked_until = last_failure_at + make_interval(secs => (${claim.schedule}::int[])[least(greatest(failures - 1, 1), ${claim.schedule.length})])
    WHERE key = ${claim.key}`.execute(db);
}

export async function clearThrottle(db: Db, key: string): Promise<void> {
  await db.deleteFrom('throttles').where('key', '=', key).execute();
}
