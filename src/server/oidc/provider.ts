// node-oidc-provider mounted at the root of the Fastify server (through @fastify/middie): discovery, JWKS and
// the protocol endpoints are the provider's own, and so are their errors. Issue 3, step 2: no clients are
// registered yet, so no authorization request can reach an interaction; see docs/architecture.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import middie from '@fastify/middie';
import type { FastifyInstance } from 'fastify';
import Provider, { type Configuration, type FindAccount, type KoaContextWithOIDC } from 'oidc-provider';
import type { Deps } from '../../services/deps.ts';
import { loadPrivateJwks } from '../../services/signing-keys.service.ts';
import { getUserById } from '../../storage/repositories/users.repository.ts';
import { createOidcAdapter } from './adapter.ts';

/** Where the provider sends a browser for login and consent (served by Passless, not by the provider). */
export const INTERACTION_PATH = '/oidc/interaction';

const ROUTES = {
  authorization: '/auth',
  backchannel_authentication: '/backchannel',
  code_verification: '/device',
  challenge: '/challenge',
  device_authorization: '/device/auth',
  end_session: '/session/end',
  introspection: '/token/introspection',
  jwks: '/jwks',
  pushed_authorization_request: '/request',
  registration: '/reg',
  revocation: '/token/revocation',
  token: '/token',
  userinfo: '/me',
  credential: '/credential',
} as const;

const PROVIDER_PATHS = ['/.well-known/openid-configuration', ...Object.values(ROUTES)];

/** True for the paths the provider answers (each route and what lies under it, e.g. /auth/:uid, /token/revocation). */
export function isProviderPath(url: string): boolean {
  const path = url.split('?', 1)[0]!;
  return PROVIDER_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export async function buildOidcConfiguration(deps: Deps): Promise<Configuration> {
  const keys = await loadPrivateJwks(deps);
  if (keys.length === 0) throw new Error('no published signing keys: ensureSigningKeys() must run before the provider');
  const findAccount: FindAccount = async (_ctx, id) => {
    if (!UUID.test(id)) return undefined;
    const user = await getUserById(deps.db, id);
    if (!user?.accountEnabled) return undefined;
    return {
      accountId: user.id,
      claims: async () => ({
        sub: user.id,
        name: user.displayName,
        preferred_username: user.userPrincipalName,
        ...(user.mail ? { email: user.mail } : {}),
      }),
    };
  };
  return {
    adapter: createOidcAdapter(deps),
    // ES256 first: the provider signs with the first key of the algorithm a client asks for, ES256 by default.
    jwks: { keys: keys as unknown as NonNullable<Configuration['jwks']>['keys'] },
    clients: [],
    findAccount,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      authorizationSigningAlgValues: ['ES256', 'RS256'],
    },
    features: {
      // The provider's built-in pages would let anyone sign in as any account id.
      devInteractions: { enabled: false },
      registration: { enabled: false },
    },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    routes: ROUTES,
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>Sign-in error</h1><p><code>${escapeHtml(out.error)}</code></p><p>${escapeHtml(out.error_description ?? '')}</p></body></html>`;
    },
  };
}

export async function createOidcProvider(deps: Deps): Promise<Provider> {
  const provider = new Provider(deps.config.origin, await buildOidcConfiguration(deps));
  provider.proxy = deps.config.trustProxy;
  return provider;
}

export interface OidcMount {
  /** The provider, built on first use (signing keys must exist by then). */
  provider(): Promise<Provider>;
  /** Builds a new provider on the next request, e.g. after `passless keys rotate` changed the keys. */
  reload(): void;
}

export async function mountOidcProvider(app: FastifyInstance, deps: Deps): Promise<OidcMount> {
  let current: Promise<{ provider: Provider; callback: ReturnType<Provider['callback']> }> | null = null;
  const load = () => {
    if (!current) {
      current = createOidcProvider(deps).then((provider) => {
        provider.on('server_error', (_ctx, error) => app.log.error(error, 'OIDC provider error'));
        return { provider, callback: provider.callback() };
      });
      current.catch(() => {
        current = null;
      });
    }
    return current;
  };
  await app.register(middie);
  app.use((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    if (!req.url || !isProviderPath(req.url)) return next();
    // The provider's own responses bypass Fastify's onSend hook: the headers that cannot break it.
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    if (deps.config.secureCookies) res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
    load().then(({ callback }) => callback(req, res), next);
  });
  return {
    provider: async () => (await load()).provider,
    reload: () => {
      current = null;
    },
  };
}
