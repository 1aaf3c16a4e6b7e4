// Helpers the API tests share: a suite's app and admin, people with roles and passkeys, Graph error checks, paging,
// log reads.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { ROLES, type RoleKey } from '../../src/core/directory/roles.ts';
import {
  createSoftwareAuthenticator,
  newUserWithTap,
  ORIGIN,
  type Response,
  registerPasskey,
  signedInAdmin,
  signInWithPasskey,
  signInWithTap,
  startTestApp,
  type TestApp,
  type TestClient,
} from './app.ts';
import type { SoftwareAuthenticator, SoftwareAuthenticatorOptions } from './software-authenticator.ts';

export { ROLES };

/** A parsed JSON body, as loose as the kit's Response.json. */
export type Json = Response['json'];

/** What adminSuite() gives a describe block: its app and bootstrap admin, readable once `before` has run. */
export interface AdminSuite {
  /** The app under test, on its own fresh database. */
  readonly t: TestApp;
  /** The bootstrap Global Administrator, signed in with a passkey (a new client after freshAdmin()). */
  readonly admin: TestClient;
  /** The admin's passkey. */
  readonly adminKey: SoftwareAuthenticator;
  /** A new user principal name for this suite: `${name}${count}@contoso.test`. */
  upn(name: string): string;
  /** How many names upn() has handed out: the number in the latest one. */
  readonly upnCount: number;
  /** Time travel beyond the idle timeout ends the admin's session too: sign in again with the passkey. */
  freshAdmin(): Promise<void>;
}

/**
 * Registers `before` (a fresh app and a bootstrap admin signed in with a passkey) and `after` (closing the app)
 * on the enclosing describe block. Call it first, so that the block's own `before` hooks run after it.
 */
export function adminSuite(options: { adminUpn?: string } = {}): AdminSuite {
  let app: TestApp | undefined;
  let admin: TestClient | undefined;
  let adminKey: SoftwareAuthenticator | undefined;
  let count = 0;
  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`adminSuite().${name} is not set before the suite's before hook has run`);
    return value;
  };

  before(async () => {
    app = await startTestApp();
    ({ client: admin, authenticator: adminKey } = await signedInAdmin(app, options.adminUpn));
  });
  after(async () => {
    await app?.close();
  });

  return {
    get t() {
      return ready(app, 't');
    },
    get admin() {
      return ready(admin, 'admin');
    },
    get adminKey() {
      return ready(adminKey, 'adminKey');
    },
    upn: (name) => `${name}${++count}@contoso.test`,
    get upnCount() {
      return count;
    },
    async freshAdmin() {
      const client = ready(app, 't').client();
      assert.equal((await signInWithPasskey(client, ready(adminKey, 'adminKey'))).status, 200);
      admin = client;
    },
  };
}

export const TAP_POLICY =
  '/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';

export const tapsOf = (userId: string) => `/v1.0/users/${userId}/authentication/temporaryAccessPassMethods`;

let ipCounter = 0;
/** A source address no other test in this process uses, so per-address throttles never leak between tests. */
export function freshIp(): string {
  ipCounter += 1;
  return `10.${Math.floor(ipCounter / 250) % 250}.${ipCounter % 250}.${1 + (process.pid % 250)}`;
}

/** Asserts a Graph-shaped error with this status and code (and, if given, a message matching `message`). */
export function assertGraphError(res: Response, status: number, code: string, message?: RegExp): void {
  const detail = JSON.stringify(res.json);
  assert.equal(res.status, status, detail);
  assert.equal(res.json?.error?.code, code, detail);
  assert.equal(typeof res.json.error.message, 'string', detail);
  assert.ok(res.json.error.message.length > 0, detail);
  assert.match(String(res.json.error.innerError?.['request-id']), /^[0-9a-f-]{36}$/, detail);
  if (message) assert.match(res.json.error.message, message, detail);
}

export async function assignRole(admin: TestClient, role: RoleKey, userId: string): Promise<void> {
  const res = await admin.request('POST', `/v1.0/directoryRoles/${ROLES[role].id}/members/$ref`, {
    '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${userId}`,
  });
  assert.equal(res.status, 204, JSON.stringify(res.json));
}

export interface Person {
  user: { id: string; userPrincipalName: string; displayName: string };
  /** Signed in with a passkey: a full session. */
  client: TestClient;
  authenticator: SoftwareAuthenticator;
}

/** Creates an account (with roles, if given), onboards it with a one-time pass and a passkey, and signs in. */
export async function onboardPerson(
  t: TestApp,
  admin: TestClient,
  upn: string,
  options: { roles?: RoleKey[]; authenticator?: SoftwareAuthenticatorOptions } = {},
): Promise<Person> {
  const { user, pass, passStatus } = await newUserWithTap(admin, upn, { isUsableOnce: true });
  assert.equal(passStatus, 201, JSON.stringify(pass));
  for (const role of options.roles ?? []) await assignRole(admin, role, user.id);
  const ip = freshIp();
  const setup = t.client({ ip });
  const tap = await signInWithTap(setup, upn, pass.temporaryAccessPass);
  assert.equal(tap.status, 200, JSON.stringify(tap.json));
  const authenticator = createSoftwareAuthenticator(options.authenticator);
  const registered = await registerPasskey(setup, authenticator, `${upn} key`);
  assert.equal(registered.status, 201, JSON.stringify(registered.json));
  const client = t.client({ ip });
  const signIn = await signInWithPasskey(client, authenticator);
  assert.equal(signIn.status, 200, JSON.stringify(signIn.json));
  return { user, client, authenticator };
}

/** Issues a pass as `admin` and returns the create response. */
export function issueTap(admin: TestClient, userId: string, body: Record<string, unknown> = {}): Promise<Response> {
  return admin.request('POST', tapsOf(userId), body);
}

/** The path and query of an absolute @odata.nextLink, so a test client can follow it. */
export function relativeLink(link: string): string {
  const url = new URL(link);
  assert.equal(url.origin, ORIGIN, `nextLink on another origin: ${link}`);
  return url.pathname + url.search;
}

/** Follows @odata.nextLink from `first` until it is absent; returns every page's value. */
export async function allPages(
  client: TestClient,
  first: string,
  headers: Record<string, string> = {},
): Promise<{ pages: unknown[][]; items: Json[] }> {
  const pages: unknown[][] = [];
  let url: string | null = first;
  while (url) {
    const res = await client.request('GET', url, undefined, headers);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    pages.push(res.json.value);
    url = res.json['@odata.nextLink'] ? relativeLink(res.json['@odata.nextLink']) : null;
    assert.ok(pages.length < 200, 'paging does not end');
  }
  return { pages, items: pages.flat() as Json[] };
}

/** A request id the server records as the correlation id of what it writes (Graph's client-request-id). */
export function correlated(): { id: string; headers: Record<string, string> } {
  const id = randomUUID();
  return { id, headers: { 'client-request-id': id } };
}

/** Audit rows written for one request (by its client-request-id). */
export async function auditRowsFor(reader: TestClient, correlationId: string): Promise<Json[]> {
  const res = await reader.request('GET', '/v1.0/auditLogs/directoryAudits?$top=200');
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.value.filter((e: { correlationId: string }) => e.correlationId === correlationId);
}

/** The newest sign-in log rows (newest first). */
export async function latestSignIns(reader: TestClient, top = 5): Promise<Json[]> {
  const res = await reader.request('GET', `/v1.0/auditLogs/signIns?$top=${top}`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.value;
}

/** The app clock's time plus `minutes`, as ISO 8601. */
export function inMinutes(t: TestApp, minutes: number): string {
  return new Date(t.deps.clock().getTime() + minutes * 60_000).toISOString();
}
