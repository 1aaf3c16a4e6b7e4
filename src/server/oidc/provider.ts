// node-oidc-provider mounted at the root of the Fastify server (through @fastify/middie): discovery, JWKS and
// the protocol endpoints are the provider's own, and so are their errors. Clients are the application
// registrations (clients.ts); login and consent are Passless's (interaction.routes.ts). See docs/oidc.md.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import middie from '@fastify/middie';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import Provider, {
  type Configuration,
  type FindAccount,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { isUuid } from '../../core/ids.ts';
import { tapEndsAt } from '../../core/methods/tap/temporary-access-pass.ts';
import { ACR_VALUES } from '../../core/oidc/authentication-strength.ts';
import type { Deps } from '../../services/deps.ts';
import { hashSessionToken } from '../../services/session-tokens.ts';
import { ensureSigningKeys, loadPrivateJwks } from '../../services/signing-keys.service.ts';
import { deleteSessionByTokenHash } from '../../storage/repositories/sessions.repository.ts';
import { ensureSetting } from '../../storage/repositories/settings.repository.ts';
import { getTapOfUser } from '../../storage/repositories/temporary-access-passes.repository.ts';
import { getUserById } from '../../storage/repositories/users.repository.ts';
import { baseSecurityHeaders, PROVIDER_CSP } from '../plugins/security-headers.ts';
import { sessionCookieName } from '../plugins/session.ts';
import { createOidcAdapter } from './adapter.ts';
import { apiResourceConfiguration } from './api-resource.ts';
import { CLI_CLIENT, EXTRA_CLIENT_METADATA, secretMatches } from './clients.ts';
import { applyEntraAlias, entraAliasResponses } from './entra-aliases.ts';
import { currentPayloadUnit, inPayloadUnit } from './payload-unit.ts';
import { devicePages, logoutPages, renderError } from './provider-pages.ts';
import { registerTokenEvents } from './token-events.ts';

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

/**
 * OpenID Connect Core §11 drops `offline_access` unless the request also says `prompt=consent`, and so does the
 * provider; Entra issues the refresh token anyway, and applications written for it never send prompt=consent.
 * Passless follows Entra: the request is read as if it carried prompt=consent. Passless's own consent rules
 * (interaction.ts) decide whether a page is shown, so this adds no prompt a person would see.
 */
export function honourOfflineAccess(url: string): string {
  const q = url.indexOf('?');
  if (q < 0 || url.slice(0, q) !== ROUTES.authorization) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const scopes = (params.get('scope') ?? '').split(' ');
  if (!scopes.includes('offline_access') || params.has('request') || params.has('request_uri')) return url;
  const prompts = (params.get('prompt') ?? '').split(' ').filter(Boolean);
  if (prompts.includes('consent') || prompts.includes('none')) return url;
  params.set('prompt', [...prompts, 'consent'].join(' '));
  return `${ROUTES.authorization}?${params}`;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Keys for the provider's signed cookies, shared by every instance through the settings table. */
async function cookieKeys(deps: Deps): Promise<string[]> {
  return ensureSetting(deps.db, 'oidcCookieKeys', [randomBytes(32).toString('base64url')], deps.clock());
}

/**
 * The provider's own session never decides who is signed in: every authorization request goes to the Passless
 * interaction, which reads the Passless session (so signing out of Passless signs out of applications too).
 * A request resumed with the login result the interaction just produced passes.
 */
function interactionsPolicy() {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy
    .get('login')!
    .checks.add(
      new Check('passless_session', 'the Passless session decides who is signed in', (ctx: KoaContextWithOIDC) =>
        ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
      ),
    );
  return policy;
}

/** A lifetime, cut short at the end of the Temporary Access Pass the person signed in with (see findAccount). */
function untilPassEnds(ctx: KoaContextWithOIDC, seconds: number): number {
  const ends = (ctx.oidc.account as { tapEndsAtSeconds?: number } | undefined)?.tapEndsAtSeconds;
  if (!ends) return seconds;
  return Math.max(1, Math.min(seconds, ends - Math.floor(Date.now() / 1000)));
}

export async function buildOidcConfiguration(deps: Deps): Promise<Configuration> {
  // `serve` creates the keys at start; a deployment started another way gets them here rather than a 500.
  await ensureSigningKeys(deps);
  const keys = await loadPrivateJwks(deps);
  const api = apiResourceConfiguration(deps);
  const findAccount: FindAccount = async (_ctx, id, token) => {
    if (!isUuid(id)) return undefined;
    // The token endpoint and a resumed authorization read the account along with the code or the interaction.
    const user = currentPayloadUnit()?.account(id) ?? (await getUserById(deps.db, id));
    if (!user?.accountEnabled) return undefined;
    // Tokens from a Temporary Access Pass sign-in (amr otp; only when the pass policy lets such sessions reach
    // applications) never outlive the pass: no pass any more, no token; otherwise `ttl` caps at its end.
    let tapEndsAtSeconds: number | undefined;
    if ((token as { amr?: string[] } | undefined)?.amr?.includes('otp')) {
      const tap = await getTapOfUser(deps.db, user.id);
      const ends = tap ? Math.floor(tapEndsAt(tap).getTime() / 1000) : 0;
      if (ends <= Math.floor(deps.clock().getTime() / 1000)) return undefined;
      tapEndsAtSeconds = ends;
    }
    return {
      accountId: user.id,
      ...(tapEndsAtSeconds ? { tapEndsAtSeconds } : {}),
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
    clients: [CLI_CLIENT],
    // OpenID Connect's default is RS256; Passless signs with ES256 unless a client is registered otherwise.
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'ES256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA },
    findAccount,
    cookies: {
      keys: await cookieKeys(deps),
      long: { httpOnly: true, sameSite: 'lax', secure: deps.config.secureCookies },
      short: { httpOnly: true, sameSite: 'lax', secure: deps.config.secureCookies },
    },
    claims: {
      // acr, amr and auth_time in every ID token, as Entra does: applications check how the person signed in.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
    },
    // Entra puts name and preferred_username in the ID token; applications read them there.
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', 'profile', 'email', ...api.scopes],
    acrValues: [...ACR_VALUES],
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
      claimsParameter: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', ...devicePages },
      rpInitiatedLogout: { enabled: true, ...logoutPages },
      resourceIndicators: api.resourceIndicators,
    },
    ...(api.extraTokenClaims ? { extraTokenClaims: api.extraTokenClaims } : {}),
    // Every refresh rotates the token; presenting a used one revokes the whole grant (the provider's reuse rule).
    rotateRefreshToken: () => true,
    // A pass sign-in gets no refresh token: its tokens end with the pass (findAccount, ttl).
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') &&
      code.scopes.has('offline_access') &&
      !(code as { amr?: string[] }).amr?.includes('otp'),
    ttl: {
      AccessToken: (ctx, token) => untilPassEnds(ctx, token.resourceServer?.accessTokenTTL ?? HOUR),
      AuthorizationCode: 60,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? HOUR,
      DeviceCode: deps.config.deviceCodeSeconds,
      Grant: 14 * DAY,
      IdToken: (ctx) => untilPassEnds(ctx, HOUR),
      Interaction: HOUR,
      RefreshToken: 14 * DAY,
      // The provider's session only remembers which applications were signed in (for logout); it need not
      // outlive the Passless session it stands for.
      Session: deps.config.sessionLifetimeMinutes * 60,
    },
    interactions: {
      policy: interactionsPolicy(),
      url: (_ctx: KoaContextWithOIDC, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
    },
    routes: ROUTES,
    renderError,
    // Cross-origin calls (token, revocation, userinfo) only from the origins of a client's SPA redirect URIs.
    clientBasedCORS: (_ctx, origin, client) =>
      ((client as unknown as Record<string, unknown>).passless_cors_origins as string[] | undefined)?.includes(
        origin,
      ) === true,
  };
}

export async function createOidcProvider(deps: Deps, log?: FastifyBaseLogger): Promise<Provider> {
  const provider = new Provider(deps.config.origin, await buildOidcConfiguration(deps));
  provider.proxy = deps.config.trustProxy;
  // First, so it wraps everything else: each request's work on the provider's rows is one unit (payload-unit.ts),
  // its writes sent together before the response.
  provider.use((_ctx, next) => inPayloadUnit(deps.db, next));
  // Client secrets are stored as SHA-256 verifiers only (applications.service.ts): presented ones are checked
  // against those, never against a stored secret.
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(
    this: Record<string, unknown>,
    actual: string,
  ) {
    const verifiers = (this.passless_secret_verifiers ?? []) as { verifier: string; endsAt: number }[];
    return secretMatches(verifiers, actual, Math.floor(deps.clock().getTime() / 1000));
  };
  // The user-code form posts back with the provider's session cookie, made when the form was shown. Without it
  // (expired, or a form posted from elsewhere) the provider fails with a 500 while answering; show a fresh form.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === ROUTES.code_verification && !ctx.cookies.get('_session')) {
      ctx.status = 303;
      ctx.redirect(ROUTES.code_verification);
      return;
    }
    await next();
  });
  registerTokenEvents(provider, deps, log);
  // The Entra-style aliases' discovery document and Entra's device code fields (entra-aliases.ts).
  provider.use(entraAliasResponses);
  // RP-initiated logout ends the Passless session too: the provider's own session holds nobody (every sign-in
  // is decided by the Passless session), so without this the next authorization would sign the person in again.
  provider.use(async (ctx, next) => {
    await next();
    const oidcCtx = (ctx as KoaContextWithOIDC).oidc;
    if (oidcCtx?.route !== 'end_session_confirm' || ctx.status !== 303 || !oidcCtx.params?.logout) return;
    const name = sessionCookieName(deps.config);
    const token = ctx.cookies.get(name, { signed: false });
    if (token && token.length <= 128) await deleteSessionByTokenHash(deps.db, hashSessionToken(token));
    ctx.append(
      'Set-Cookie',
      `${name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict${deps.config.secureCookies ? '; Secure' : ''}`,
    );
  });
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
      current = createOidcProvider(deps, app.log).then((provider) => {
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
  const serve = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    if (!req.url || !isProviderPath(req.url)) return next();
    // The provider's own responses bypass Fastify's onSend hook: the headers that cannot break it.
    for (const [name, value] of baseSecurityHeaders(deps.config)) res.setHeader(name, value);
    res.setHeader('content-security-policy', PROVIDER_CSP);
    req.url = honourOfflineAccess(req.url);
    load().then(({ callback }) => callback(req, res), next);
  };
  // Entra-style aliases (/{tenant}/oauth2/v2.0/…) become the provider's own paths first (entra-aliases.ts).
  app.use((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    applyEntraAlias(req, deps).then((request) => serve(request, res, next), next);
  });
  return {
    provider: async () => (await load()).provider,
    reload: () => {
      current = null;
    },
  };
}
