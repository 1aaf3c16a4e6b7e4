// What the OpenID Connect provider needs of an application registration, in one round trip: the registration
// and its unexpired client-secret verifiers.
import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { fromJson } from './json.ts';

export interface ClientRecord {
  appId: string;
  displayName: string;
  webRedirectUris: string[];
  spaRedirectUris: string[];
  publicClientRedirectUris: string[];
  isFallbackPublicClient: boolean;
  isFirstParty: boolean;
  idTokenSigningAlgorithm: string;
  secrets: { verifier: string; endsAt: number }[];
  /** App role (application permission) ids granted to it. */
  grantedAppRoleIds: string[];
}

export async function findClientRecord(db: Db, appId: string, now: Date): Promise<ClientRecord | null> {
  const row = await db
    .selectFrom('applications as a')
    .select([
      'a.app_id',
      'a.display_name',
      'a.web_redirect_uris',
      'a.spa_redirect_uris',
      'a.public_client_redirect_uris',
      'a.is_fallback_public_client',
      'a.is_first_party',
      'a.id_token_signing_algorithm',
      sql<unknown>`(SELECT coalesce(jsonb_agg(jsonb_build_object('verifier', c.secret_verifier,
        'endsAt', floor(extract(epoch FROM c.end_date_time)))), '[]'::jsonb)
        FROM application_password_credentials c
        WHERE c.application_id = a.id AND c.end_date_time > ${now} AND c.start_date_time <= ${now})`.as('secrets'),
      sql<unknown>`(SELECT coalesce(jsonb_agg(r.app_role_id), '[]'::jsonb) FROM app_role_assignments r
        WHERE r.app_id = a.app_id)`.as('granted'),
    ])
    .where('a.app_id', '=', appId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    appId: row.app_id,
    displayName: row.display_name,
    webRedirectUris: fromJson<string[]>(row.web_redirect_uris),
    spaRedirectUris: fromJson<string[]>(row.spa_redirect_uris),
    publicClientRedirectUris: fromJson<string[]>(row.public_client_redirect_uris),
    isFallbackPublicClient: row.is_fallback_public_client,
    isFirstParty: row.is_first_party,
    idTokenSigningAlgorithm: row.id_token_signing_algorithm,
    secrets: fromJson<{ verifier: string; endsAt: number | string }[]>(row.secrets as string).map((s) => ({
      verifier: s.verifier,
      endsAt: Number(s.endsAt),
    })),
    grantedAppRoleIds: fromJson<string[]>(row.granted as string),
  };
}
