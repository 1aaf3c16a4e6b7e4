// OpenID Connect test kit: openid-client (the real library) talking to the app over app.inject() through its
// customFetch hook, and a small browser stand-in that follows the provider's redirects with a cookie jar.
import type { FastifyInstance } from 'fastify';
import * as oidc from 'openid-client';
import { ensureSigningKeys } from '../../src/services/signing-keys.service.ts';
import { ORIGIN, type TestApp, type TestClient } from './app.ts';

/** fetch() over app.inject(): what openid-client and the browser stand-in use. */
export function injectFetch(app: FastifyInstance, extraHeaders: Record<string, string> = {}) {
  return async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = { ...extraHeaders };
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    let payload: string | undefined;
    if (init.body instanceof URLSearchParams) {
      payload = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (typeof init.body === 'string') payload = init.body;
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers: { host: new URL(ORIGIN).host, ...headers },
      payload,
    });
    const out = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [String(value)]) out.append(key, v);
    }
    return new Response(res.statusCode === 204 || res.statusCode === 304 ? null : new Uint8Array(res.rawPayload), {
      status: res.statusCode,
      headers: out,
    });
  };
}

export interface RegisteredApp {
  id: string;
  appId: string;
  secret?: string;
  redirectUri: string;
}

/** Registers an application through /v1.0/applications (and a secret unless public). */
export async function registerApplication(
  admin: TestClient,
  body: Record<string, unknown> & { redirectUri?: string; confidential?: boolean } = {},
): Promise<RegisteredApp> {
  const { redirectUri = 'http://localhost:3000/callback', confidential = true, ...rest } = body;
  const created = await admin.request('POST', '/v1.0/applications', {
    displayName: 'Contoso Expenses',
    web: { redirectUris: [redirectUri] },
    ...rest,
  });
  if (created.status !== 201) throw new Error(`application not created: ${JSON.stringify(created.json)}`);
  let secret: string | undefined;
  if (confidential) {
    const added = await admin.request('POST', `/v1.0/applications/${created.json.id}/addPassword`, {
      passwordCredential: { displayName: 'test' },
    });
    if (added.status !== 200) throw new Error(`secret not added: ${JSON.stringify(added.json)}`);
    secret = added.json.secretText;
  }
  return { id: created.json.id, appId: created.json.appId, secret, redirectUri };
}

export async function clientConfiguration(t: TestApp, registered: RegisteredApp): Promise<oidc.Configuration> {
  await ensureSigningKeys(t.deps);
  const fetch = injectFetch(t.app);
  const config = await oidc.discovery(
    new URL(ORIGIN),
    registered.appId,
    undefined,
    registered.secret ? oidc.ClientSecretPost(registered.secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: fetch as oidc.CustomFetch },
  );
  return config;
}

/** A browser stand-in: cookie jar, manual redirects, and the Passless session cookie of a TestClient. */
export class Browser {
  private jar = new Map<string, string>();
  constructor(
    private readonly app: FastifyInstance,
    session?: TestClient,
  ) {
    if (session?.cookie) this.adopt(session);
  }

  adopt(session: TestClient): void {
    const [name, value] = session.cookie!.split('=');
    this.jar.set(name!, value!);
  }

  drop(name: string): void {
    this.jar.delete(name);
  }

  /** The Cookie header this browser would send. */
  cookies(): string {
    return this.cookieHeader();
  }

  private cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: 'GET' | 'POST', url: string, body?: unknown) {
    const target = new URL(url, ORIGIN);
    const res = await this.app.inject({
      method,
      url: target.pathname + target.search,
      headers: {
        host: new URL(ORIGIN).host,
        cookie: this.cookieHeader(),
        ...(method === 'POST' ? { origin: ORIGIN, 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : method === 'POST' ? { payload: '{}' } : {}),
    });
    const setCookie = res.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    let json: unknown = null;
    try {
      json = JSON.parse(res.body);
    } catch {}
    return {
      status: res.statusCode,
      location: res.headers.location as string | undefined,
      // biome-ignore lint/suspicious/noExplicitAny: each test asserts the shape it reads
      json: json as any,
      body: res.body,
    };
  }

  /**
   * Follows an authorization request as a browser with this jar would: provider redirects are followed, and
   * each interaction page's script call (POST /oidc/interaction/{uid}) is made. Stops at the application's
   * redirect URI or at an interaction answer other than `redirect`.
   */
  async authorize(url: string, redirectUri: string) {
    let next = url;
    for (let hops = 0; hops < 12; hops++) {
      if (next.startsWith(redirectUri)) return { callback: new URL(next), interaction: null };
      const res = await this.request('GET', next);
      if (res.status >= 300 && res.status < 400 && res.location) {
        next = new URL(res.location, ORIGIN).href;
        continue;
      }
      const path = new URL(next).pathname;
      if (res.status === 200 && path.startsWith('/oidc/interaction/')) {
        const answer = await this.request('POST', path);
        if (answer.status === 200 && answer.json.action === 'redirect') {
          next = new URL(answer.json.location, ORIGIN).href;
          continue;
        }
        return { callback: null, interaction: { path, ...answer } };
      }
      throw new Error(`unexpected answer at ${next}: ${res.status} ${res.body.slice(0, 300)}`);
    }
    throw new Error('too many redirects');
  }
}

export interface PkceRequest {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
): Promise<PkceRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url: url.href, verifier, state, nonce };
}
