// A real Passless app on a fresh database, driven over app.inject() by clients that keep cookies and the
// CSRF token like a browser, with the software authenticator for real WebAuthn ceremonies.
import type { FastifyInstance } from 'fastify';
import { loadConfig, type PasslessConfig } from '../../src/core/config/config.ts';
import { buildApp } from '../../src/server/app.ts';
import { bootstrapAdmin } from '../../src/services/bootstrap.service.ts';
import type { Deps } from '../../src/services/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connection.ts';
import { createTestDatabase } from './database.ts';
import {
  createAuthenticationResponse,
  createRegistrationResponse,
  createSoftwareAuthenticator,
  type SoftwareAuthenticator,
} from './software-authenticator.ts';

export const ORIGIN = 'http://localhost:8080';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies differ per endpoint; each test asserts the shape it reads
  json: any;
}

export interface TestApp {
  app: FastifyInstance;
  deps: Deps;
  handle: DatabaseHandle;
  config: PasslessConfig;
  /** Moves the app's clock forward (the clock starts at real time). */
  advance(minutes: number): void;
  client(options?: { ip?: string }): TestClient;
  close(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const handle = await createTestDatabase();
  const config = loadConfig({
    PASSLESS_PUBLIC_URL: ORIGIN,
    PASSLESS_LOG_LEVEL: 'silent',
    // Most tests sign in many times a second from one address; test/api/rate-limit.test.ts covers the guard.
    PASSLESS_SIGN_IN_STARTS_PER_MINUTE: '1000000',
    ...env,
  });
  let offsetMs = 0;
  const deps: Deps = { db: handle.db, config, clock: () => new Date(Date.now() + offsetMs) };
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    handle,
    config,
    advance(minutes) {
      offsetMs += minutes * 60_000;
    },
    client: (options) => createClient(app, options?.ip ?? '127.0.0.1'),
    async close() {
      await app.close();
      await handle.close();
    },
  };
}

export interface TestClient {
  cookie: string | null;
  csrf: string | null;
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  refreshCsrf(): Promise<void>;
}

function createClient(app: FastifyInstance, ip: string): TestClient {
  const client: TestClient = {
    cookie: null,
    csrf: null,
    async request(method, url, body, headers = {}) {
      const unsafe = method !== 'GET' && method !== 'HEAD';
      const res = await app.inject({
        method: method as 'GET',
        url,
        remoteAddress: ip,
        headers: {
          host: new URL(ORIGIN).host,
          origin: ORIGIN,
          'user-agent': 'passless-tests',
          ...(client.cookie ? { cookie: client.cookie } : {}),
          ...(unsafe && client.csrf ? { 'x-csrf-token': client.csrf } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const setCookie = res.headers['set-cookie'];
      for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
        const [pair] = line.split(';');
        const [, value] = pair!.split('=');
        client.cookie = value && !/Expires=Thu, 01 Jan 1970/i.test(line) ? pair! : null;
        client.csrf = null;
      }
      let json: unknown = null;
      try {
        json = res.body ? JSON.parse(res.body) : null;
      } catch {
        json = res.body;
      }
      return { status: res.statusCode, headers: res.headers, json };
    },
    async refreshCsrf() {
      const res = await client.request('GET', '/api/session');
      client.csrf = res.status === 200 ? res.json.csrfToken : null;
    },
  };
  return client;
}

/** Creates the first Global Administrator as a fresh start does, returning the printed pass. */
export async function bootstrap(t: TestApp, upn = 'admin@contoso.test') {
  const result = await bootstrapAdmin(t.deps, { userPrincipalName: upn, onlyIfEmpty: false, source: 'test' });
  return result!;
}

export async function signInWithTap(client: TestClient, upn: string, code: string): Promise<Response> {
  const flow = await client.request('POST', '/api/signin/identify', { identifier: upn });
  const res = await client.request('POST', '/api/signin/tap', { flowId: flow.json.flowId, temporaryAccessPass: code });
  if (res.status === 200) await client.refreshCsrf();
  return res;
}

export async function registerPasskey(
  client: TestClient,
  authenticator: SoftwareAuthenticator,
  name = 'Test key',
): Promise<Response> {
  if (!client.csrf) await client.refreshCsrf();
  const options = await client.request('POST', '/api/security-info/passkeys/options', { displayName: name });
  if (options.status !== 200) return options;
  const credential = createRegistrationResponse(authenticator, { optionsJSON: options.json.options, origin: ORIGIN });
  return client.request('POST', '/api/security-info/passkeys/verify', { flowId: options.json.flowId, credential });
}

export async function signInWithPasskey(
  client: TestClient,
  authenticator: SoftwareAuthenticator,
  options: { identifier?: string; credentialId?: string } = {},
): Promise<Response> {
  let flowId: string | undefined;
  if (options.identifier) {
    flowId = (await client.request('POST', '/api/signin/identify', { identifier: options.identifier })).json.flowId;
  }
  const started = await client.request('POST', '/api/signin/passkey/options', flowId ? { flowId } : {});
  const credential = createAuthenticationResponse(authenticator, {
    optionsJSON: started.json.options,
    origin: ORIGIN,
    credentialId: options.credentialId,
  });
  const res = await client.request('POST', '/api/signin/passkey/verify', { flowId: started.json.flowId, credential });
  if (res.status === 200) await client.refreshCsrf();
  return res;
}

/** The whole onboarding for the bootstrap admin: pass → passkey → passkey sign-in; returns a full admin client. */
export async function signedInAdmin(t: TestApp, upn = 'admin@contoso.test') {
  const boot = await bootstrap(t, upn);
  const client = t.client();
  await signInWithTap(client, upn, boot.temporaryAccessPass);
  const authenticator = createSoftwareAuthenticator();
  await registerPasskey(client, authenticator, 'Admin key');
  const admin = t.client();
  const res = await signInWithPasskey(admin, authenticator);
  if (res.status !== 200) throw new Error(`admin passkey sign-in failed: ${JSON.stringify(res.json)}`);
  return { client: admin, authenticator, upn };
}

/** Creates a user through the API and issues a pass; returns both. */
export async function newUserWithTap(
  admin: TestClient,
  upn: string,
  tap: { lifetimeInMinutes?: number; isUsableOnce?: boolean; startDateTime?: string } = { isUsableOnce: true },
) {
  const user = await admin.request('POST', '/v1.0/users', { displayName: upn.split('@')[0], userPrincipalName: upn });
  if (user.status !== 201) throw new Error(`create user failed: ${JSON.stringify(user.json)}`);
  const pass = await admin.request(
    'POST',
    `/v1.0/users/${user.json.id}/authentication/temporaryAccessPassMethods`,
    tap,
  );
  return { user: user.json, pass: pass.json, passStatus: pass.status };
}

export type { SoftwareAuthenticator };
export { createSoftwareAuthenticator };
