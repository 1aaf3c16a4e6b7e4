// Consents people gave to applications, and the provider artefacts (grants, codes, tokens) issued under them.
import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { fromJson } from './json.ts';

export async function getConsentScopes(db: Db, userId: string, appId: string): Promise<string[] | null> {
  const row = await db
    .selectFrom('oidc_consents')
    .select('scopes')
    .where('user_id', '=', userId)
    .where('app_id', '=', appId)
    .executeTakeFirst();
  return row ? fromJson<string[]>(row.scopes) : null;
}

export async function putConsent(db: Db, userId: string, appId: string, scopes: string[], now: Date): Promise<void> {
  await db
    .insertInto('oidc_consents')
    .values({ user_id: userId, app_id: appId, scopes: JSON.stringify(scopes), granted_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['user_id', 'app_id']).doUpdateSet({ scopes: JSON.stringify(scopes), updated_at: now }),
    )
    .execute();
}

export interface ConsentRow {
  appId: string;
  displayName: string;
  scopes: string[];
  grantedAt: Date;
}

export async function listConsentsOfUser(db: Db, userId: string): Promise<ConsentRow[]> {
  const rows = await db
    .selectFrom('oidc_consents as c')
    .innerJoin('applications as a', 'a.app_id', 'c.app_id')
    .select(['c.app_id', 'a.display_name', 'c.scopes', 'c.updated_at'])
    .where('c.user_id', '=', userId)
    .orderBy('a.display_name')
    .execute();
  return rows.map((r) => ({
    appId: r.app_id,
    displayName: r.display_name,
    scopes: fromJson<string[]>(r.scopes),
    grantedAt: new Date(r.updated_at),
  }));
}

export async function deleteConsent(db: Db, userId: string, appId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('oidc_consents')
    .where('user_id', '=', userId)
    .where('app_id', '=', appId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Deletes every grant of a person for an application and every code and token issued under those grants. */
export async function revokeGrantsOfUserForClient(db: Db, userId: string, clientId: string): Promise<number> {
  const grants = await db
    .selectFrom('oidc_payloads')
    .select('id')
    .where('model', '=', 'Grant')
    .where(sql<string>`payload->>'accountId'`, '=', userId)
    .where(sql<string>`payload->>'clientId'`, '=', clientId)
    .execute();
  const ids = grants.map((g) => g.id);
  if (ids.length === 0) return 0;
  await db.deleteFrom('oidc_payloads').where('grant_id', 'in', ids).execute();
  await db.deleteFrom('oidc_payloads').where('model', '=', 'Grant').where('id', 'in', ids).execute();
  return ids.length;
}
