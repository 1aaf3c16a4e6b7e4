// Browser sessions: the cookie, who is signed in, CSRF protection and role checks for every route.

import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/audit/audit.ts';
import type { PasslessConfig } from '../../core/config/config.ts';
import { type Capability, hasCapability, type RoleKey } from '../../core/directory/roles.ts';
import { PasslessError } from '../../core/errors.ts';
import type { Deps, RequestContext } from '../../services/deps.ts';
import { csrfTokenFor, hashSessionToken } from '../../services/session-tokens.ts';
import { listRoleKeysOfUser } from '../../storage/repositories/roles.repository.ts';
import { type ActiveSession, getActiveSession, touchSession } from '../../storage/repositories/sessions.repository.ts';
import { authenticateBearer, authorizeBearer, type BearerPrincipal, bearerTokenOf } from './bearer.ts';

export function sessionCookieName(config: PasslessConfig): string {
  // __Host- pins the cookie to this exact origin (Secure, Path=/, no Domain); it needs https.
  return config.secureCookies ? '__Host-passless_session' : 'passless_session';
}

export function setSessionCookie(reply: FastifyReply, config: PasslessConfig, token: string, expiresAt: Date): void {
  reply.setCookie(sessionCookieName(config), token, {
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: 'strict',
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookie(reply: FastifyReply, config: PasslessConfig): void {
  reply.clearCookie(sessionCookieName(config), {
    path: '/',
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: 'strict',
  });
}

export function sessionToken(request: FastifyRequest, config: PasslessConfig): string | undefined {
  const value = request.cookies[sessionCookieName(config)];
  return value && value.length <= 128 ? value : undefined;
}

export function requestContext(request: FastifyRequest): RequestContext {
  return {
    ipAddress: request.ip,
    userAgent: String(request.headers['user-agent'] ?? '').slice(0, 512),
    correlationId: request.correlationId,
  };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Before sign-in there is no session to bind a token to, so we refuse cross-site requests by their
 * Origin / Sec-Fetch-Site headers (login CSRF); non-browser clients send neither.
 */
export function assertSameOrigin(request: FastifyRequest, config: PasslessConfig): void {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  if ((origin && origin !== config.origin) || (site && site !== 'same-origin' && site !== 'none')) {
    throw new PasslessError('csrfTokenInvalid');
  }
}

export interface Authenticated {
  session: ActiveSession;
  token: string;
  actor: Actor;
  /** Set when the request authenticated with an OAuth bearer token instead of the session cookie. */
  bearer?: BearerPrincipal;
}

/**
 * The signed-in person, with CSRF checked for state-changing requests. A bootstrap (pass) session
 * is accepted only where `allowBootstrap` says so: it exists to register security info.
 */
export async function authenticate(
  request: FastifyRequest,
  deps: Deps,
  options: { allowBootstrap: boolean },
): Promise<Authenticated> {
  // --- bearer branch (src/server/plugins/bearer.ts) ---
  // A request with a bearer token is judged by the token alone: a session cookie riding along gives it nothing,
  // so dropping the CSRF check here cannot lend the cookie's authority to a forged request.
  const bearer = bearerTokenOf(request);
  if (bearer !== undefined) return authenticateBearer(request, deps, bearer);
  // --- end of bearer branch ---
  const token = sessionToken(request, deps.config);
  const now = deps.clock();
  const session = token
    ? await getActiveSession(deps.db, hashSessionToken(token), now, deps.config.sessionIdleMinutes)
    : null;
  if (!token || !session) throw new PasslessError('unauthenticated');
  if (UNSAFE.has(request.method)) {
    assertSameOrigin(request, deps.config);
    const header = request.headers['x-csrf-token'];
    if (typeof header !== 'string' || !sameToken(header, csrfTokenFor(token))) {
      throw new PasslessError('csrfTokenInvalid');
    }
  }
  if (session.kind === 'bootstrap' && !options.allowBootstrap) throw new PasslessError('bootstrapSessionOnly');
  // Idle timeout bookkeeping: write at most once a minute per session.
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) await touchSession(deps.db, session.id, now);
  return {
    session,
    token,
    actor: {
      kind: 'user',
      id: session.userId,
      userPrincipalName: session.user.userPrincipalName,
      displayName: session.user.displayName,
      ipAddress: request.ip,
    },
  };
}

export interface Admin extends Authenticated {
  roles: RoleKey[];
}

/** A full session whose person holds a role granting the capability (403 otherwise). */
export async function authorize(request: FastifyRequest, deps: Deps, capability: Capability): Promise<Admin> {
  // --- bearer branch: application or delegated permissions (src/server/plugins/bearer.ts) ---
  const bearer = bearerTokenOf(request);
  if (bearer !== undefined) return authorizeBearer(request, deps, bearer, capability);
  // --- end of bearer branch ---
  const auth = await authenticate(request, deps, { allowBootstrap: false });
  const roles = await listRoleKeysOfUser(deps.db, auth.session.userId);
  if (!hasCapability(roles, capability)) {
    request.log.info({ userId: auth.session.userId, capability }, 'authorization refused');
    throw new PasslessError('accessDenied', {
      detail: 'Insufficient privileges to complete the operation: your roles do not allow this.',
    });
  }
  return { ...auth, roles };
}
