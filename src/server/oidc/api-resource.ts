// The Passless API (/v1.0) as an OAuth resource server inside the provider: resource indicators, the JWT access
// tokens it gets, and Entra's permission claims (roles / scp). See docs/oidc.md, "The Passless API as a resource";
// the tokens are checked by src/server/plugins/bearer.ts.
import { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import {
  applicationPermissionById,
  DELEGATED_PERMISSIONS,
  delegatedPermissionsOfScopes,
  GRAPH_RESOURCE_URI,
  isDefaultScope,
  isResourceIdentifier,
  type Permission,
  permissionOfScope,
  requestedDelegatedPermissions,
  scopesOfResource,
} from '../../core/applications/permissions.ts';
import { CLI_CLIENT_ID } from '../../core/oidc/protocol.ts';
import type { Deps } from '../../services/deps.ts';
import { getApplicationByAppId } from '../../storage/repositories/applications.repository.ts';

export interface ApiResourceConfiguration {
  /** Spread into `features.resourceIndicators`. */
  resourceIndicators: NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;
  /** Used as the provider's `extraTokenClaims`. */
  extraTokenClaims?: Configuration['extraTokenClaims'];
  /** Scopes the provider accepts besides openid, profile, email and offline_access. */
  scopes: string[];
  /** Used as the provider's `dynamicScopes`. */
  dynamicScopes: RegExp[];
}

/** Access tokens for the API live an hour, as Entra's do. */
export const API_ACCESS_TOKEN_TTL_SECONDS = 3600;

type ScopedToken = {
  kind: string;
  clientId?: string;
  accountId?: string;
  scope?: string;
  resourceServer?: { audience?: string };
};

export function apiResourceConfiguration(deps: Deps): ApiResourceConfiguration {
  const origin = deps.config.origin;
  // Graph's identifier is an alias so Graph-written clients only change the host; `aud` is always the origin.
  const identifiers = [origin, GRAPH_RESOURCE_URI];
  const scope = [...new Set([...scopesOfResource(origin), ...scopesOfResource(GRAPH_RESOURCE_URI)])].join(' ');

  /** The API identifier a requested scope addresses, if it addresses the API at all. */
  function resourceOfScope(requested: string): string | undefined {
    if (!isDefaultScope(requested, identifiers) && !permissionOfScope(requested, identifiers)) return undefined;
    return requested.startsWith(GRAPH_RESOURCE_URI) ? GRAPH_RESOURCE_URI : origin;
  }

  /** The permissions `.default` stands for in a person's token: what the registration requests (all, for the CLI). */
  async function defaultDelegated(clientId: string | undefined): Promise<readonly Permission[]> {
    if (clientId === CLI_CLIENT_ID) return DELEGATED_PERMISSIONS;
    if (!clientId || !/^[0-9a-f-]{36}$/i.test(clientId)) return [];
    const application = await getApplicationByAppId(deps.db, clientId.toLowerCase());
    return application ? requestedDelegatedPermissions(application.requiredResourceAccess) : [];
  }

  return {
    resourceIndicators: {
      enabled: true,
      // MSAL sends `scope={resource}/.default` and no `resource` parameter: the scope names the resource.
      async defaultResource(ctx: KoaContextWithOIDC, _client: unknown, oneOf?: string[]) {
        if (oneOf) return oneOf.find((r) => isResourceIdentifier(r, identifiers)) ?? oneOf[0]!;
        const requested = String(ctx.oidc.params?.scope ?? '').split(' ');
        for (const s of requested) {
          const resource = resourceOfScope(s);
          if (resource) return resource;
        }
        return undefined as unknown as string;
      },
      // Tokens from a code, a device code or a refresh token are for the API when the grant was.
      useGrantedResource: async () => true,
      async getResourceServerInfo(_ctx: KoaContextWithOIDC, resourceIndicator: string) {
        if (!isResourceIdentifier(resourceIndicator, identifiers)) {
          throw new errors.InvalidTarget(`unknown resource: the Passless API is ${origin}`);
        }
        return {
          scope,
          audience: origin,
          accessTokenTTL: API_ACCESS_TOKEN_TTL_SECONDS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    } as ApiResourceConfiguration['resourceIndicators'],

    // Entra's claims: `idtyp` says whose token it is, `roles` the granted application permissions, `scp` the
    // delegated ones. src/server/plugins/bearer.ts re-checks all of it against the database on every request.
    async extraTokenClaims(ctx: KoaContextWithOIDC, token: unknown) {
      const t = token as ScopedToken;
      if (t.resourceServer?.audience !== origin) return undefined;
      const scopes = (t.scope ?? '').split(' ').filter(Boolean);
      if (t.kind === 'ClientCredentials') {
        // Read with the client (src/services/oidc-client-cache.ts): no query of its own per token.
        const roleIds = ((ctx.oidc.client as unknown as Record<string, unknown> | undefined)
          ?.passless_granted_app_role_ids ?? []) as string[];
        const granted = roleIds.map((id) => applicationPermissionById(id)).filter((p): p is Permission => !!p);
        // `.default` (or no scope) asks for everything granted; naming permissions asks for those of them only.
        const everything = scopes.length === 0 || scopes.some((s) => isDefaultScope(s, identifiers));
        const asked = new Set(scopes.map((s) => permissionOfScope(s, identifiers)?.value));
        const roles = granted.filter((p) => everything || asked.has(p.value)).map((p) => p.value);
        // An application with nothing granted still gets a token, without `roles`: every call then answers 403
        // naming the permission to grant, which says more than an invalid_scope at the token endpoint.
        return roles.length > 0 ? { idtyp: 'app', roles } : { idtyp: 'app' };
      }
      if (t.kind === 'AccessToken' && t.accountId) {
        const defaults = scopes.some((s) => isDefaultScope(s, identifiers)) ? await defaultDelegated(t.clientId) : [];
        const scp = delegatedPermissionsOfScopes(scopes, identifiers, defaults).map((p) => p.value);
        return scp.length > 0 ? { idtyp: 'user', scp: scp.join(' ') } : { idtyp: 'user' };
      }
      return undefined;
    },

    // Resource scopes are the resource server's (getResourceServerInfo), not OpenID Connect scopes.
    scopes: [],
    // oidc-provider 9 has no dynamicScopes option: the resource server's scope list above replaces it.
    dynamicScopes: [],
  };
}
