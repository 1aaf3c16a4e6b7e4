// Application registrations and their client-secret verifiers.
import { type Selectable, sql } from 'kysely';
import type { Application, PasswordCredential, RequiredResourceAccess } from '../../core/applications/applications.ts';
import type { ApplicationPasswordCredentialsTable, ApplicationsTable, Db } from '../database.ts';
import { fromJson } from './json.ts';

function toApplication(row: Selectable<ApplicationsTable>): Application {
  return {
    id: row.id,
    appId: row.app_id,
    displayName: row.display_name,
    signInAudience: row.sign_in_audience,
    webRedirectUris: fromJson<string[]>(row.web_redirect_uris),
    spaRedirectUris: fromJson<string[]>(row.spa_redirect_uris),
    publicClientRedirectUris: fromJson<string[]>(row.public_client_redirect_uris),
    isFallbackPublicClient: row.is_fallback_public_client,
    isFirstParty: row.is_first_party,
    idTokenSigningAlgorithm: row.id_token_signing_algorithm === 'RS256' ? 'RS256' : 'ES256',
    requiredResourceAccess: fromJson<RequiredResourceAccess[]>(
      row.required_resource_access as RequiredResourceAccess[],
    ),
    createdAt: new Date(row.created_at),
  };
}

function toCredential(row: Selectable<ApplicationPasswordCredentialsTable>): PasswordCredential {
  return {
    keyId: row.key_id,
    applicationId: row.application_id,
    displayName: row.display_name,
    hint: row.hint,
    startDateTime: new Date(row.start_date_time),
    endDateTime: new Date(row.end_date_time),
  };
}

function columns(app: Partial<Application>) {
  return {
    ...(app.displayName !== undefined && { display_name: app.displayName }),
    ...(app.signInAudience !== undefined && { sign_in_audience: app.signInAudience }),
    ...(app.webRedirectUris !== undefined && { web_redirect_uris: JSON.stringify(app.webRedirectUris) }),
    ...(app.spaRedirectUris !== undefined && { spa_redirect_uris: JSON.stringify(app.spaRedirectUris) }),
    ...(app.publicClientRedirectUris !== undefined && {
      public_client_redirect_uris: JSON.stringify(app.publicClientRedirectUris),
    }),
    ...(app.isFallbackPublicClient !== undefined && { is_fallback_public_client: app.isFallbackPublicClient }),
    ...(app.isFirstParty !== undefined && { is_first_party: app.isFirstParty }),
    ...(app.idTokenSigningAlgorithm !== undefined && { id_token_signing_algorithm: app.idTokenSigningAlgorithm }),
    ...(app.requiredResourceAccess !== undefined && {
      required_resource_access: JSON.stringify(app.requiredResourceAccess),
    }),
  };
}

export async function createApplication(db: Db, app: Application): Promise<Application> {
  const row = await db
    .insertInto('applications')
    .values({
      id: app.id,
      app_id: app.appId,
      display_name: app.displayName,
      sign_in_audience: app.signInAudience,
      web_redirect_uris: JSON.stringify(app.webRedirectUris),
      spa_redirect_uris: JSON.stringify(app.spaRedirectUris),
      public_client_redirect_uris: JSON.stringify(app.publicClientRedirectUris),
      is_fallback_public_client: app.isFallbackPublicClient,
      is_first_party: app.isFirstParty,
      id_token_signing_algorithm: app.idTokenSigningAlgorithm,
      required_resource_access: JSON.stringify(app.requiredResourceAccess),
      created_at: app.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toApplication(row);
}

export async function getApplication(db: Db, id: string): Promise<Application | null> {
  const row = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toApplication(row) : null;
}

export async function getApplicationByAppId(db: Db, appId: string): Promise<Application | null> {
  const row = await db.selectFrom('applications').selectAll().where('app_id', '=', appId).executeTakeFirst();
  return row ? toApplication(row) : null;
}

/**
 * Ordered by id, so `afterId` pages without gaps or repeats while applications are added. `search` is a
 * case-insensitive substring of the display name (Graph's `$search="displayName:…"`).
 */
export async function listApplications(db: Db, top: number, afterId?: string, search?: string): Promise<Application[]> {
  let q = db.selectFrom('applications').selectAll();
  if (afterId) q = q.where('id', '>', afterId);
  if (search) {
    const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql`lower(display_name)`, 'like', pattern);
  }
  return (await q.orderBy('id').limit(top).execute()).map(toApplication);
}

/** Locks the row (FOR UPDATE) so concurrent changes to one application serialise. */
export async function lockApplication(db: Db, id: string): Promise<Application | null> {
  const row = await db.selectFrom('applications').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? toApplication(row) : null;
}

export async function updateApplication(
  db: Db,
  id: string,
  changes: Partial<Application>,
): Promise<Application | null> {
  const values = columns(changes);
  if (Object.keys(values).length === 0) return getApplication(db, id);
  const row = await db.updateTable('applications').set(values).where('id', '=', id).returningAll().executeTakeFirst();
  return row ? toApplication(row) : null;
}

export async function deleteApplication(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('applications').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listPasswordCredentials(db: Db, applicationIds: string[]): Promise<PasswordCredential[]> {
  if (applicationIds.length === 0) return [];
  const rows = await db
    .selectFrom('application_password_credentials')
    .select(['key_id', 'application_id', 'display_name', 'hint', 'start_date_time', 'end_date_time', 'created_at'])
    .where('application_id', 'in', applicationIds)
    .orderBy('created_at')
    .orderBy('key_id')
    .execute();
  return rows.map((r) => toCredential({ ...r, secret_verifier: '' }));
}

export async function addPasswordCredential(
  db: Db,
  credential: PasswordCredential & { secretVerifier: string; createdAt: Date },
): Promise<void> {
  await db
    .insertInto('application_password_credentials')
    .values({
      key_id: credential.keyId,
      application_id: credential.applicationId,
      display_name: credential.displayName,
      hint: credential.hint,
      secret_verifier: credential.secretVerifier,
      start_date_time: credential.startDateTime,
      end_date_time: credential.endDateTime,
      created_at: credential.createdAt,
    })
    .execute();
}

export async function removePasswordCredential(
  db: Db,
  applicationId: string,
  keyId: string,
): Promise<PasswordCredential | null> {
  const row = await db
    .deleteFrom('application_password_credentials')
    .where('application_id', '=', applicationId)
    .where('key_id', '=', keyId)
    .returningAll()
    .executeTakeFirst();
  return row ? toCredential(row) : null;
}
