import { sql } from 'kysely';
import type { ThrottleState } from '../../core/policy/throttle.ts';
import type { Db } from '../database.ts';

export async function getThrottles(db: Db, keys: string[]): Promise<Map<string, ThrottleState>> {
  const rows = await db.selectFrom('throttles').selectAll().where('key', 'in', keys).execute();
  return new Map(
    rows.map((r) => [
      r.key,
      { failures: r.failures, lastFailureAt: new Date(r.last_failure_at), blockedUntil: new Date(r.blocked_until) },
    ]),
  );
}

/**
 * Counts a failure atomically (concurrent guesses cannot lose increments) and stores the wait the
 * domain rule gives for the new count. Failures older than `memoryMinutes` are forgotten.
 */
export async function recordThrottleFailure(
  db: Db,
  input: { key: string; now: Date; memoryMinutes: number; delaySeconds: (failures: number) => number },
): Promise<ThrottleState> {
  const staleBefore = new Date(input.now.getTime() - input.memoryMinutes * 60_000);
  const row = await sql<{ failures: number }>`
    INSERT INTO throttles (key, failures, last_failure_at, blocked_until)
    VALUES (${input.key}, 1, ${input.now}, ${input.now})
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN throttles.last_failure_at < ${staleBefore} THEN 1 ELSE throttles.failures + 1 END,
      last_failure_at = EXCLUDED.last_failure_at
    RETURNING failures`.execute(db);
  const failures = Number(row.rows[0]!.failures);
  const blockedUntil = new Date(input.now.getTime() + input.delaySeconds(failures) * 1000);
  await db.updateTable('throttles').set({ blocked_until: blockedUntil }).where('key', '=', input.key).execute();
  return { failures, lastFailureAt: input.now, blockedUntil };
}

export async function clearThrottle(db: Db, key: string): Promise<void> {
  await db.deleteFrom('throttles').where('key', '=', key).execute();
}
