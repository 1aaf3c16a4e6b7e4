import type { TemporaryAccessPass } from '../../core/methods/tap/temporary-access-pass.ts';
import type { Db } from '../database.ts';

type Row = {
  id: string;
  user_id: string;
  verifier: string;
  created_at: Date | string;
  start_at: Date | string;
  lifetime_minutes: number;
  is_usable_once: boolean;
  used_at: Date | string | null;
};

export type StoredTap = TemporaryAccessPass & { verifier: string };

function toTap(row: Row): StoredTap {
  return {
    id: row.id,
    userId: row.user_id,
    verifier: row.verifier,
    createdAt: new Date(row.created_at),
    startAt: new Date(row.start_at),
    lifetimeMinutes: row.lifetime_minutes,
    isUsableOnce: row.is_usable_once,
    usedAt: row.used_at ? new Date(row.used_at) : null,
  };
}

/** A new pass replaces the user's existing one (Entra's current behaviour); returns the replaced pass's id. */
export async function replaceTap(db: Db, tap: StoredTap): Promise<string | null> {
  const previous = await db
    .deleteFrom('temporary_access_passes')
    .where('user_id', '=', tap.userId)
    .returning('id')
    .executeTakeFirst();
  await db
    .insertInto('temporary_access_passes')
    .values({
      id: tap.id,
      user_id: tap.userId,
      verifier: tap.verifier,
      created_at: tap.createdAt,
      start_at: tap.startAt,
      lifetime_minutes: tap.lifetimeMinutes,
      is_usable_once: tap.isUsableOnce,
      used_at: null,
    })
    .execute();
  return previous?.id ?? null;
}

export async function getTapOfUser(db: Db, userId: string): Promise<StoredTap | null> {
  const row = await db
    .selectFrom('temporary_access_passes')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? toTap(row) : null;
}

export async function deleteTap(db: Db, userId: string, tapId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('temporary_access_passes')
    .where('id', '=', tapId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Uses up a one-time pass atomically: of two concurrent sign-ins exactly one gets true. */
export async function consumeOneTimeTap(db: Db, tapId: string, now: Date): Promise<boolean> {
  const row = await db
    .updateTable('temporary_access_passes')
    .set({ used_at: now })
    .where('id', '=', tapId)
    .where('is_usable_once', '=', true)
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
