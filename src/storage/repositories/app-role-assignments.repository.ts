// Application permissions granted to applications (appRoleAssignments), and the application behind a service
// principal id (derived from the application's object id; see migration 006).
import { sql } from 'kysely';
import type { Application } from '../../core/applications/applications.ts';
import type { Db } from '../database.ts';
import { getApplication } from './applications.repository.ts';

export interface AppRoleAssignmentRow {
  id: string;
  appId: string;
  appRoleId: string;
  createdAt: Date;
}

function toRow(r: {
  id: string;
  app_id: string;
  app_role_id: string;
  created_at: Date | string;
}): AppRoleAssignmentRow {
  return { id: r.id, appId: r.app_id, appRoleId: r.app_role_id, createdAt: new Date(r.created_at) };
}

/** The application whose service principal has this id (the id must be a lowercase uuid). */
export async function getApplicationByServicePrincipalId(
  db: Db,
  servicePrincipalId: string,
): Promise<Application | null> {
  const row = await db
    .selectFrom('applications')
    .select('id')
    .where(sql`md5('passless-sp:' || id::text)::uuid`, '=', servicePrincipalId)
    .executeTakeFirst();
  return row ? getApplication(db, row.id) : null;
}

export async function listAppRoleAssignments(db: Db, appId: string): Promise<AppRoleAssignmentRow[]> {
  const rows = await db
    .selectFrom('app_role_assignments')
    .selectAll()
    .where('app_id', '=', appId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toRow);
}

/** Inserts unless the application already holds the permission; null then. */
export async function addAppRoleAssignment(db: Db, row: AppRoleAssignmentRow): Promise<AppRoleAssignmentRow | null> {
  const inserted = await db
    .insertInto('app_role_assignments')
    .values({ id: row.id, app_id: row.appId, app_role_id: row.appRoleId, created_at: row.createdAt })
    .onConflict((oc) => oc.columns(['app_id', 'app_role_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ? toRow(inserted) : null;
}

export async function removeAppRoleAssignment(db: Db, appId: string, id: string): Promise<AppRoleAssignmentRow | null> {
  const row = await db
    .deleteFrom('app_role_assignments')
    .where('app_id', '=', appId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toRow(row) : null;
}

/**
 * What a token request or a bearer request needs about a client in one round trip: whether the application still
 * exists, its display name and object id, and the application permissions granted to it.
 */
export async function getClientGrants(
  db: Db,
  appId: string,
): Promise<{ id: string; appId: string; displayName: string; appRoleIds: string[] } | null> {
  const rows = await db
    .selectFrom('applications as a')
    .leftJoin('app_role_assignments as r', 'r.app_id', 'a.app_id')
    .select(['a.id', 'a.app_id', 'a.display_name', 'r.app_role_id'])
    .where('a.app_id', '=', appId)
    .execute();
  const first = rows[0];
  if (!first) return null;
  return {
    id: first.id,
    appId: first.app_id,
    displayName: first.display_name,
    appRoleIds: rows.map((r) => r.app_role_id).filter((id): id is string => id !== null),
  };
}
