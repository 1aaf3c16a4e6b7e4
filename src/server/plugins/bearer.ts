// OAuth bearer access tokens for the Graph-compatible /v1.0 API (docs/oidc.md, "The Passless API as a resource"):
// JWTs the provider signed for the API, checked here with the published keys, and the principal they stand for — an
// application acting with its granted application permissions (`roles`), or a person acting through an application
// with delegated permissions (`scp`), never with more power than that person's roles.
import { createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  applicationPermissionById,
  capabilitiesOf,
  type Permission,
  permissionByValue,
  permissionsGranting,
} from '../../core/applications/permissions.ts';
import { type Actor, appActor } from '../../core/audit/audit.ts';
import { type Capability, hasCapability, type RoleKey } from '../../core/directory/roles.ts';
import { PasslessError } from '../../core/errors.ts';
import { isUuid } from '../../core/ids.ts';
import type { PublicJwk } from '../../core/keys/signing-keys.ts';
import { CLI_CLIENT_ID } from '../../core/oidc/protocol.ts';
import { servicePrincipalIdOf } from '../../services/app-permissions.service.ts';
import type { Deps } from '../../services/deps.ts';
import { getPublishedJwks } from '../../services/signing-keys.service.ts';
import { getClientGrants } from '../../storage/repositories/app-role-assignments.repository.ts';
import { getApplicationByAppId } from '../../storage/repositories/applications.repository.ts';
import { listRoleKeysOfUser } from '../../storage/repositories/roles.repository.ts';
import type { ActiveSession } from '../../storage/repositories/sessions.repository.ts';
import { getUserById } from '../../storage/repositories/users.repository.ts';

/** The built-in CLI client (src/server/oidc/clients.ts): first-party, not an application registration. */
const LEEWAY_SECONDS = 30;
const KEYS_FRESH_MS = 60_000;
/** An unknown kid reloads the keys at most this often, so random kids cannot make every request read the table. */
const UNKNOWN_KID_RELOAD_MS = 1_000;
const MAX_TOKEN_LENGTH = 8192;
const ALGORITHMS = new Set(['ES256', 'RS256']);

export interface AppPrincipal {
  kind: 'app';
  appId: string;
  servicePrincipalId: string;
  displayName: string;
  /** Granted now and present in the token's `roles`: revoking a grant takes effect at once. */
  permissions: Permission[];
}

export interface DelegatedPrincipal {
  kind: 'delegated';
  clientId: string;
  user: { id: string; userPrincipalName: string; displayName: string };
  roles: RoleKey[];
  /** The delegated permissions in the token's `scp`. */
  permissions: Permission[];
}

export type BearerPrincipal = AppPrincipal | DelegatedPrincipal;

export interface BearerAuthorization {
  /** For routes written for sessions: userId is the person, or the application's service principal id. */
  session: ActiveSession;
  token: string;
  actor: Actor;
  /** The person's roles, or for an application the roles whose limits on targets it shares. */
  roles: RoleKey[];
  bearer: BearerPrincipal;
}

interface TokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  client_id: string;
  exp: number;
  iat: number;
  nbf?: number;
  jti?: string;
  idtyp?: string;
  roles?: unknown;
  scp?: unknown;
}

// --- the token on the request ---

/** The bearer token of the request; undefined when it has none (a cookie request). */
export function bearerTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  // Another scheme (Basic from a proxy in front, say) is not for Passless: the request goes on as a cookie request.
  const match = /^Bearer\s+(.*)$/i.exec(header.trim());
  return match ? match[1]!.trim() : undefined;
}

const challenged = new WeakMap<FastifyRequest, string>();

function invalidToken(request: FastifyRequest, detail: string): PasslessError {
  challenged.set(request, `Bearer error="invalid_token", error_description="${detail.replace(/["\\]/g, '')}"`);
  return new PasslessError('InvalidAuthenticationToken', { detail });
}

function insufficientScope(request: FastifyRequest, detail: string): PasslessError {
  challenged.set(request, `Bearer error="insufficient_scope", error_description="${detail.replace(/["\\]/g, '')}"`);
  return new PasslessError('accessDenied', { detail });
}

/** RFC 6750 §3: a refused bearer request says why in WWW-Authenticate. */
export function registerBearerChallenges(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const challenge = challenged.get(request);
    if (challenge && (reply.statusCode === 401 || reply.statusCode === 403))
      reply.header('www-authenticate', challenge);
    return payload;
  });
}

// --- signature and claims ---

interface KeyCache {
  keys: Map<string, { jwk: PublicJwk; key: KeyObject }>;
  loadedAt: number;
}
const keyCaches = new WeakMap<Deps['db'], KeyCache>();

async function loadKeys(deps: Deps): Promise<KeyCache> {
  const { keys } = await getPublishedJwks(deps);
  const cache: KeyCache = {
    keys: new Map(keys.map((jwk) => [jwk.kid, { jwk, key: createPublicKey({ key: { ...jwk }, format: 'jwk' }) }])),
    loadedAt: Date.now(),
  };
  keyCaches.set(deps.db, cache);
  return cache;
}

/** The published key with this kid; the cache is brief, and an unknown kid (a rotation elsewhere) reloads it. */
async function keyFor(deps: Deps, kid: string): Promise<{ jwk: PublicJwk; key: KeyObject } | undefined> {
  let cache = keyCaches.get(deps.db);
  if (!cache || Date.now() - cache.loadedAt > KEYS_FRESH_MS) cache = await loadKeys(deps);
  const found = cache.keys.get(kid);
  if (found || Date.now() - cache.loadedAt < UNKNOWN_KID_RELOAD_MS) return found;
  return (await loadKeys(deps)).keys.get(kid);
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Verifies a JWT access token for the API: ES256 or RS256 with a published key, `typ` at+jwt, `iss` the issuer,
 * `aud` the API, inside its lifetime (30 s leeway). Throws InvalidAuthenticationToken.
 */
export async function verifyAccessToken(request: FastifyRequest, deps: Deps, token: string): Promise<TokenClaims> {
  const fail = (detail: string) => invalidToken(request, detail);
  const parts = token.split('.');
  if (token.length > MAX_TOKEN_LENGTH || parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw fail('The access token is not a JWT.');
  }
  const header = decodeJson(parts[0]!);
  const claims = decodeJson(parts[1]!);
  if (!header || !claims) throw fail('The access token is not a JWT.');
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') throw fail('The token is not an access token (typ at+jwt).');
  if (typeof header.alg !== 'string' || !ALGORITHMS.has(header.alg) || typeof header.kid !== 'string') {
    throw fail('The access token must be signed with ES256 or RS256 and name its key.');
  }
  if (header.crit !== undefined) throw fail('The access token has critical header parameters Passless does not know.');
  const key = await keyFor(deps, header.kid);
  if (!key || key.jwk.alg !== header.alg) throw fail('The access token was not signed by a published Passless key.');
  const signature = Buffer.from(parts[2]!, 'base64url');
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const valid =
    header.alg === 'ES256'
      ? verifySignature('sha256', signed, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)
      : verifySignature('sha256', signed, key.key, signature);
  if (!valid) throw fail('The access token signature is not valid.');

  const origin = deps.config.origin;
  const now = Math.floor(deps.clock().getTime() / 1000);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== origin) throw fail('The access token was not issued by this Passless.');
  if (!audiences.includes(origin)) throw fail(`The access token is not for this API (its audience must be ${origin}).`);
  if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_SECONDS <= now) throw fail('The access token has expired.');
  if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_SECONDS > now)
    throw fail('The access token is not valid yet.');
  if (typeof claims.iat === 'number' && claims.iat - LEEWAY_SECONDS > now)
    throw fail('The access token is not valid yet.');
  if (typeof claims.sub !== 'string' || typeof claims.client_id !== 'string') {
    throw fail('The access token names no subject or client.');
  }
  return claims as unknown as TokenClaims;
}

// --- the principal ---

function stringList(value: unknown, separator: 'array' | 'space'): string[] {
  if (separator === 'array') return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
}

/**
 * Who the token stands for, checked against the database on every request: the application must still exist (and
 * for an application token, only permissions still granted count); the person must still exist and be enabled.
 */
export async function resolvePrincipal(request: FastifyRequest, deps: Deps, token: string): Promise<BearerPrincipal> {
  const claims = await verifyAccessToken(request, deps, token);
  if (claims.idtyp === 'app') {
    if (claims.sub !== claims.client_id || !isUuid(claims.client_id)) {
      throw invalidToken(request, 'The application token names no application.');
    }
    const client = await getClientGrants(deps.db, claims.client_id);
    if (!client) throw invalidToken(request, 'The application of this token no longer exists.');
    const inToken = new Set(stringList(claims.roles, 'array'));
    const granted = client.appRoleIds
      .map((id) => applicationPermissionById(id))
      .filter((p): p is Permission => p !== undefined && inToken.has(p.value));
    return {
      kind: 'app',
      appId: client.appId,
      servicePrincipalId: servicePrincipalIdOf(client.id),
      displayName: client.displayName,
      permissions: granted,
    };
  }
  if (claims.idtyp === 'user') {
    if (!isUuid(claims.sub)) throw invalidToken(request, 'The access token names no user.');
    const user = await getUserById(deps.db, claims.sub);
    if (!user?.accountEnabled) throw invalidToken(request, 'The user of this token does not exist or is disabled.');
    if (claims.client_id !== CLI_CLIENT_ID) {
      if (!isUuid(claims.client_id) || !(await getApplicationByAppId(deps.db, claims.client_id))) {
        throw invalidToken(request, 'The application of this token no longer exists.');
      }
    }
    const permissions = stringList(claims.scp, 'space')
      .map((name) => permissionByValue(name))
      .filter((p): p is Permission => p?.scopeId != null);
    return {
      kind: 'delegated',
      clientId: claims.client_id,
      user: { id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName },
      roles: await listRoleKeysOfUser(deps.db, user.id),
      permissions,
    };
  }
  throw invalidToken(request, 'The access token is neither an application nor a user token (idtyp).');
}

function pseudoSession(principal: BearerPrincipal, deps: Deps): ActiveSession {
  const now = deps.clock();
  const subject =
    principal.kind === 'app'
      ? { id: principal.servicePrincipalId, userPrincipalName: '', displayName: principal.displayName }
      : principal.user;
  return {
    id: `bearer:${subject.id}`,
    userId: subject.id,
    kind: 'full',
    amr: [],
    tapId: null,
    authenticatedAt: now,
    expiresAt: now,
    lastSeenAt: now,
    user: subject,
  };
}

function actorOf(principal: BearerPrincipal, request: FastifyRequest): Actor {
  if (principal.kind === 'app') return appActor(principal, request.ip);
  return {
    kind: 'user',
    id: principal.user.id,
    userPrincipalName: principal.user.userPrincipalName,
    displayName: principal.user.displayName,
    ipAddress: request.ip,
  };
}

/**
 * `authorize()` for a bearer request. An application needs a granted application permission giving the
 * capability; a person needs both a delegated permission in the token and a role giving it.
 */
export async function authorizeBearer(
  request: FastifyRequest,
  deps: Deps,
  token: string,
  capability: Capability,
): Promise<BearerAuthorization> {
  const principal = await resolvePrincipal(request, deps, token);
  if (principal.kind === 'app') {
    if (!capabilitiesOf(principal.permissions).has(capability)) {
      request.log.info({ appId: principal.appId, capability }, 'authorization refused');
      throw insufficientScope(
        request,
        `Insufficient privileges to complete the operation: the application needs one of the application permissions ${permissionsGranting(capability, 'application').join(', ')}, granted by an administrator.`,
      );
    }
    const roles = [...new Set(principal.permissions.flatMap((p) => p.actsAs))];
    return {
      session: pseudoSession(principal, deps),
      token: '',
      actor: actorOf(principal, request),
      roles,
      bearer: principal,
    };
  }
  if (!capabilitiesOf(principal.permissions).has(capability)) {
    request.log.info({ userId: principal.user.id, capability }, 'authorization refused');
    throw insufficientScope(
      request,
      `Insufficient privileges to complete the operation: the token needs one of the delegated permissions ${permissionsGranting(capability, 'delegated').join(', ')}.`,
    );
  }
  if (!hasCapability(principal.roles, capability)) {
    request.log.info({ userId: principal.user.id, capability }, 'authorization refused');
    throw new PasslessError('accessDenied', {
      detail: 'Insufficient privileges to complete the operation: your roles do not allow this.',
    });
  }
  return {
    session: pseudoSession(principal, deps),
    token: '',
    actor: actorOf(principal, request),
    roles: principal.roles,
    bearer: principal,
  };
}

/** Read-only routes about the signed-in person that a delegated token may call (the CLI's `whoami`). */
const PERSON_ROUTES = new Set(['/v1.0/me', '/v1.0/me/memberOf']);
/** Any of these lets a delegated token read its own person, as Graph's User.Read does. */
const READ_SELF = new Set(['User.Read', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All']);

/**
 * `authenticate()` for a bearer request: only a person's token, only on the read-only routes about that person.
 * Security info, passkey registration and the browser's own endpoints need the browser session.
 */
export async function authenticateBearer(
  request: FastifyRequest,
  deps: Deps,
  token: string,
): Promise<BearerAuthorization> {
  const route = request.routeOptions.url ?? '';
  if (!PERSON_ROUTES.has(route) || (request.method !== 'GET' && request.method !== 'HEAD')) {
    throw new PasslessError('accessDenied', {
      detail: 'This endpoint needs a browser session: it does not accept bearer tokens.',
    });
  }
  const principal = await resolvePrincipal(request, deps, token);
  if (principal.kind === 'app') {
    throw new PasslessError('badRequest', { detail: '/me request is only valid with delegated authentication flow.' });
  }
  if (!principal.permissions.some((p) => READ_SELF.has(p.value))) {
    throw insufficientScope(
      request,
      'Insufficient privileges to complete the operation: the token needs the delegated permission User.Read.',
    );
  }
  return {
    session: pseudoSession(principal, deps),
    token: '',
    actor: actorOf(principal, request),
    roles: principal.roles,
    bearer: principal,
  };
}
