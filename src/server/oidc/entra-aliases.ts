// Entra-style endpoint aliases (docs/oidc.md, "Endpoints"): an application written for Microsoft's endpoints
// works by changing only the host. `/{tenant}/oauth2/v2.0/…` and `/{tenant}/v2.0/.well-known/openid-configuration`
// are the provider's own endpoints under Entra's names; `{tenant}` is the deployment's tenant id, `organizations`
// or `common` (Passless has one directory, so all three name it; `consumers` and other tenants do not exist here).
//
// The issuer stays PASSLESS_PUBLIC_URL everywhere, in the alias discovery document too: it is what every token's
// `iss` says, and MSAL accepts it (its issuer check compares scheme, host and port with the authority's, not the
// path). What the alias document changes is where the endpoints are: MSAL derives the device code endpoint from
// the token endpoint (`token_endpoint.replace('/token', '/devicecode')`), so the token endpoint must be the alias.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { DEVICE_CODE_GRANT } from '../../core/oidc/protocol.ts';
import type { Deps } from '../../services/deps.ts';
import { getTenantId } from '../../services/tenant.service.ts';

/** Entra's endpoint names under `/{tenant}/oauth2/v2.0/`, and the provider's paths they stand for. */
const ENDPOINTS = {
  authorize: { path: '/auth', metadata: 'authorization_endpoint' },
  token: { path: '/token', metadata: 'token_endpoint' },
  devicecode: { path: '/device/auth', metadata: 'device_authorization_endpoint' },
  logout: { path: '/session/end', metadata: 'end_session_endpoint' },
} as const;

const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** Tenant names every Entra tenant answers to, besides its id. */
const TENANT_NAMES = new Set(['organizations', 'common']);

const ALIAS =
  /^\/([^/?#]+)\/(?:oauth2\/v2\.0\/(authorize|token|devicecode|logout)|v2\.0\/\.well-known\/openid-configuration)$/;

interface ParsedAlias {
  /** The provider's own URL, query string kept. */
  url: string;
  /** The tenant segment as the request spelled it (the alias discovery document names its endpoints under it). */
  tenant: string;
  /** Entra's endpoint name, or null for the discovery document. */
  endpoint: keyof typeof ENDPOINTS | null;
}

function parse(url: string, tenantId: string): ParsedAlias | null {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const match = ALIAS.exec(path);
  if (!match) return null;
  const tenant = match[1]!;
  const name = tenant.toLowerCase();
  if (name !== tenantId.toLowerCase() && !TENANT_NAMES.has(name)) return null;
  const endpoint = (match[2] as keyof typeof ENDPOINTS | undefined) ?? null;
  return { url: (endpoint ? ENDPOINTS[endpoint].path : DISCOVERY_PATH) + query, tenant, endpoint };
}

/**
 * The provider's own URL for an Entra-style one (`/{tenant}/oauth2/v2.0/token?x=1` → `/token?x=1`), or null when
 * `url` is not one of the aliases or names another tenant, so that it gets the 404 of any unknown path.
 */
export function entraAlias(url: string, tenantId: string): string | null {
  return parse(url, tenantId)?.url ?? null;
}

/** Cheap test, before the tenant id is read: could `url` be an alias at all? */
export function mayBeEntraAlias(url: string): boolean {
  const q = url.indexOf('?');
  return ALIAS.test(q < 0 ? url : url.slice(0, q));
}

/** Requests that came in under an alias discovery path, with the tenant segment they used. */
const aliasDiscoveries = new WeakMap<IncomingMessage, string>();

/**
 * The request the provider should answer: `req` with its URL rewritten to the provider's own path when it is an
 * alias of this deployment's endpoints, or untouched otherwise (an unknown tenant then falls through to the 404
 * of an unknown path). A form-encoded POST to the alias token endpoint comes back as a copy whose body was read
 * (see withStandardDeviceCodeGrant).
 */
export async function applyEntraAlias(
  req: IncomingMessage,
  deps: Pick<Deps, 'db' | 'clock'>,
): Promise<IncomingMessage> {
  if (!req.url || !mayBeEntraAlias(req.url)) return req;
  const alias = parse(req.url, await getTenantId(deps));
  if (!alias) return req;
  if (!alias.endpoint) aliasDiscoveries.set(req, alias.tenant);
  req.url = alias.url;
  // The provider takes what precedes req.url in req.originalUrl (set by middie) for an Express-style mount path
  // and puts it in front of every URL it makes: /{tenant}/v2.0 before /jwks in the discovery document, say.
  // It is mounted at the root, so the original URL is the rewritten one.
  (req as IncomingMessage & { originalUrl?: string }).originalUrl = alias.url;
  if (alias.endpoint === 'token' && req.method === 'POST') return withStandardDeviceCodeGrant(req);
  return req;
}

/** The provider's limit on a request body; a larger one is left for it to refuse. */
const BODY_LIMIT = 56 * 1024;

/**
 * Entra's token endpoint takes `grant_type=device_code` as well as RFC 8628's URN, and MSAL sends the short one;
 * the provider knows only the URN. The body is read here (before the provider reads it) and handed on in a copy
 * of the request, with the URN in place of the short name; any other body goes on unchanged in the copy.
 */
async function withStandardDeviceCodeGrant(req: IncomingMessage): Promise<IncomingMessage> {
  const length = Number(req.headers['content-length']);
  const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
  if (!form || !Number.isSafeInteger(length) || length <= 0 || length > BODY_LIMIT) return req;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    // The client went away mid-body: the provider answers the empty request it is left with (400), not a 500.
    return replay(req, Buffer.alloc(0));
  }
  let body = Buffer.concat(chunks);
  const params = new URLSearchParams(body.toString('utf8'));
  if (params.getAll('grant_type').length === 1 && params.get('grant_type') === 'device_code') {
    params.set('grant_type', DEVICE_CODE_GRANT);
    body = Buffer.from(params.toString());
  }
  return replay(req, body);
}

/**
 * A stand-in for a request whose body was read: the same method, URL, headers and socket (so the client address
 * and https are still seen), and `body` to read. A plain stream rather than an IncomingMessage, whose destroy
 * would take the shared socket down with it.
 */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new Readable({ read() {} });
  copy.push(body);
  copy.push(null);
  return Object.assign(copy, {
    method: req.method,
    url: req.url,
    originalUrl: req.url,
    headers: { ...req.headers, 'content-length': String(body.length) },
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
  }) as unknown as IncomingMessage;
}

/** RFC 8628's default, stated, as Entra states it. */
export const DEVICE_POLLING_INTERVAL_SECONDS = 5;

/**
 * Provider middleware (`provider.use`) for what the aliases answer differently from the provider's own paths:
 *
 * - The alias discovery document names the alias endpoints under the tenant segment it was fetched with, as
 *   Entra's does; everything else in it (issuer, JWKS, UserInfo, revocation) is the provider's own.
 * - Device authorization responses carry Entra's `interval` and `message`. RFC 8628 lets `interval` default to 5
 *   seconds, but MSAL multiplies the field it was sent (undefined × 1000 is NaN, a zero delay) and so would poll
 *   the token endpoint without pause; MSAL applications commonly print `message` to the person.
 */
export async function entraAliasResponses(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  const body = ctx.body as Record<string, unknown> | undefined;
  if (ctx.status !== 200 || !body || typeof body !== 'object') return;
  const route = ctx.oidc?.route;
  if (route === 'discovery') {
    const tenant = aliasDiscoveries.get(ctx.req);
    if (tenant === undefined) return;
    const base = `${new URL(ctx.oidc.issuer).origin}/${tenant}/oauth2/v2.0`;
    for (const [name, { metadata }] of Object.entries(ENDPOINTS)) {
      if (typeof body[metadata] === 'string') body[metadata] = `${base}/${name}`;
    }
  } else if (route === 'device_authorization' && typeof body.user_code === 'string') {
    body.interval ??= DEVICE_POLLING_INTERVAL_SECONDS;
    body.message ??= `To sign in, use a web browser to open the page ${body.verification_uri} and enter the code ${body.user_code} to authenticate.`;
  }
}
