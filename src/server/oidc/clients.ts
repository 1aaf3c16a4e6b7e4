// Application registrations as node-oidc-provider clients (docs/oidc.md, "Clients are application registrations").
import { timingSafeEqual } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import { CLI_CLIENT_ID, DEVICE_CODE_GRANT } from '../../core/oidc/protocol.ts';
import { secretVerifier } from '../../services/applications.service.ts';
import type { ClientRecord } from '../../storage/repositories/oidc-clients.repository.ts';

export const CLI_CLIENT: ClientMetadata = {
  client_id: CLI_CLIENT_ID,
  client_name: 'Passless CLI',
  token_endpoint_auth_method: 'none',
  application_type: 'native',
  grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
  response_types: [],
  redirect_uris: [],
  passless_first_party: true,
  passless_secret_verifiers: [],
  passless_cors_origins: [],
  passless_granted_app_role_ids: [],
};

/** Extra client metadata Passless keeps on each client; never published (registration is disabled). */
export const EXTRA_CLIENT_METADATA = [
  'passless_first_party',
  'passless_secret_verifiers',
  'passless_cors_origins',
  'passless_granted_app_role_ids',
];

// The provider insists on a client_secret for secret-based authentication; Passless never has the secret,
// only its verifiers, and checks presented secrets itself (compareClientSecret below). The HMAC algorithms that
// would use this value as a key are not enabled.
const NO_SECRET_HERE = 'passless:client-secrets-are-stored-as-verifiers-only';

export function toClientMetadata(record: ClientRecord): ClientMetadata {
  const redirectUris = [
    ...new Set([...record.webRedirectUris, ...record.spaRedirectUris, ...record.publicClientRedirectUris]),
  ];
  const confidential = record.secrets.length > 0 && !record.isFallbackPublicClient;
  const grants: string[] = [];
  if (redirectUris.length > 0) grants.push('authorization_code', 'refresh_token');
  if (confidential) grants.push('client_credentials');
  else grants.push(DEVICE_CODE_GRANT, 'refresh_token');
  // Mobile and desktop redirect URIs (custom schemes, loopback) need the provider's native-client rules, which
  // also take https: an Entra registration may mix both platforms, and a "web" client would refuse all of them.
  const native = record.publicClientRedirectUris.length > 0;
  return {
    client_id: record.appId,
    client_name: record.displayName,
    ...(confidential
      ? { client_secret: NO_SECRET_HERE, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    application_type: native ? 'native' : 'web',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: redirectUris.filter((uri) => /^https?:/.test(uri)),
    response_types: redirectUris.length > 0 ? ['code'] : [],
    grant_types: [...new Set(grants)],
    id_token_signed_response_alg: record.idTokenSigningAlgorithm === 'RS256' ? 'RS256' : 'ES256',
    passless_first_party: record.isFirstParty,
    passless_secret_verifiers: record.secrets,
    // Browsers may call the token endpoint cross-origin only from single-page applications, as in Entra.
    passless_cors_origins: [...new Set(record.spaRedirectUris.map((uri) => new URL(uri).origin))],
    // For client-credentials tokens' `roles`; the API checks the grants again on every request.
    passless_granted_app_role_ids: record.grantedAppRoleIds,
  };
}

/** Checks a presented client secret against the client's unexpired verifiers, in constant time per verifier. */
export function secretMatches(
  verifiers: readonly { verifier: string; endsAt: number }[],
  presented: string,
  nowSeconds: number,
): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return false;
  const candidate = Buffer.from(secretVerifier(presented));
  let ok = false;
  for (const { verifier, endsAt } of verifiers) {
    const stored = Buffer.from(verifier);
    if (stored.length === candidate.length && timingSafeEqual(stored, candidate) && endsAt > nowSeconds) ok = true;
  }
  return ok;
}
