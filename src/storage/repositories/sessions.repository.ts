import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { deleteExpiredOidcPayloads } from './oidc-payloads.repository.ts';

export interface NewSession {
  id: string;
  tokenHash: string;
  userId: string;
  kind: 'bootstrap' | 'full';
  amr: string[];
  tapId: string | null;
  authenticatedAt: Date;
  expiresAt: Date;
  ipAddress: string;
  userAgent: string;
}

export interface ActiveSession {
  id: string;
  userId: string;
  kind: 'bootstrap' | 'full';
  amr: string[];
  tapId: string | null;
  authenticatedAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  user: { id: string; userPrincipalName: string; displayName: string };
}

export async function createSession(db: Db, session: NewSession): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      token_hash: session.tokenHash,
      user_id: session.userId,
      kind: session.kind,
      amr: JSON.stringify(session.amr),
      tap_id: session.tapId,
      authenticated_at: session.authenticatedAt,
      created_at: session.authenticatedAt,
      expires_at: session.expiresAt,
      last_seen_at: session.authenticatedAt,
      ip_address: session.ipAddress,
      user_agent: session.userAgent,
    })
    .execute();
}

/**
 * The session for a cookie, if live: not expired, not idle too long, and its account enabled.
 * A disabled account's sessions are also deleted, but the join makes the check hold even mid-way.
 */
export async function getActiveSession(
  db: Db,
  tokenHash: string,
  now: Date,
  idleMinutes: number,
): Promise<ActiveSession | null> {
  const idleCutoff = new Date(now.getTime() - idleMinutes * 60_000);
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.id',
      's.user_id',
      's.kind',
      's.amr',
      's.tap_id',
      's.authenticated_at',
      's.expires_at',
      's.last_seen_at',
      'u.user_principal_name',
      'u.display_name',
    ])
    .where('s.token_hash', '=', tokenHash)
    .where('s.expires_at', '>', now)
    .where('s.last_seen_at', '>', idleCutoff)
    .where('u.account_enabled', '=', true)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    amr: row.amr,
    tapId: row.tap_id,
    authenticatedAt: new Date(row.authenticated_at),
    expiresAt: new Date(row.expires_at),
    lastSeenAt: new Date(row.last_seen_at),
    user: { id: row.user_id, userPrincipalName: row.user_principal_name, displayName: row.display_name },
  };
}

export async function touchSession(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function deleteSessionByTokenHash(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

export async function deleteSessionsOfUser(db: Db, userId: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteSessionsOfTap(db: Db, tapId: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('tap_id', '=', tapId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteExpired(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<', now).execute();
  await db
    .deleteFrom('flows')
    .where('expires_at', '<', new Date(now.getTime() - 60 * 60_000))
    .execute();
  await sql`DELETE FROM throttles WHERE last_failure_at < ${new Date(now.getTime() - 48 * 3600_000)}`.execute(db);
  await deleteExpiredOidcPayloads(db, now);
}
