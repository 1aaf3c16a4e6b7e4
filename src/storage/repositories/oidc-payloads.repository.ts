// Rows of node-oidc-provider's models. Expired rows are never returned; `consumed_at` is reported back to the
// provider as the payload's `consumed` member, which is how it recognises a replayed code or refresh token.
import { sql } from 'kysely';
import type { Db } from '../database.ts';

export type OidcPayload = Record<string, unknown>;

export async function upsertOidcPayload(
  db: Db,
  row: { model: string; id: string; payload: OidcPayload; expiresAt: Date | null },
): Promise<void> {
  const text = (key: string) => (typeof row.payload[key] === 'string' ? (row.payload[key] as string) : null);
  const values = {
    payload: JSON.stringify(row.payload),
    grant_id: text('grantId'),
    user_code: text('userCode'),
    uid: text('uid'),
    expires_at: row.expiresAt,
  };
  await db
    .insertInto('oidc_payloads')
    .values({ model: row.model, id: row.id, consumed_at: null, ...values })
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(values))
    .execute();
}

type Lookup = { column: 'id' | 'uid' | 'user_code'; value: string };

async function findBy(db: Db, model: string, lookup: Lookup, now: Date): Promise<OidcPayload | undefined> {
  const row = await db
    .selectFrom('oidc_payloads')
    .select(['payload', 'consumed_at'])
    .where('model', '=', model)
    .where(lookup.column, '=', lookup.value)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as OidcPayload;
  if (row.consumed_at !== null) payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
  return payload;
}

export function findOidcPayload(db: Db, model: string, id: string, now: Date) {
  return findBy(db, model, { column: 'id', value: id }, now);
}

export function findOidcPayloadByUid(db: Db, model: string, uid: string, now: Date) {
  return findBy(db, model, { column: 'uid', value: uid }, now);
}

export function findOidcPayloadByUserCode(db: Db, model: string, userCode: string, now: Date) {
  return findBy(db, model, { column: 'user_code', value: userCode }, now);
}

/** Marks the row consumed once; a second call keeps the first time. */
export async function consumeOidcPayload(db: Db, model: string, id: string, now: Date): Promise<void> {
  await db
    .updateTable('oidc_payloads')
    .set({ consumed_at: now })
    .where('model', '=', model)
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .execute();
}

export async function destroyOidcPayload(db: Db, model: string, id: string): Promise<void> {
  await db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
}

export async function revokeOidcPayloadsByGrantId(db: Db, model: string, grantId: string): Promise<void> {
  await db.deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();
}

/** Housekeeping: rows that expired before `before`. */
export async function deleteExpiredOidcPayloads(db: Db, before: Date): Promise<void> {
  await sql`DELETE FROM oidc_payloads WHERE expires_at < ${before}`.execute(db);
}
