// @azure/msal-node, unchanged, against the Entra-style aliases over https (docs/oidc.md, "Endpoints"): an
// application configured for Entra with only the host changed. The authority is `<origin>/<tenant id>/v2.0`:
// in OIDC protocol mode MSAL fetches `<authority>/.well-known/openid-configuration` as is, which is the alias
// discovery document only with `/v2.0` (`<origin>/<tenant>` alone would fetch /<tenant>/.well-known/…, which
// Entra does not have either).
//
// MSAL 7 sends its requests with the global fetch(), which takes no CA on Node 20, so the test gives it a network
// client over the kit's fetch that trusts the server's self-signed certificate (NODE_EXTRA_CA_CERTS would need a
// child process). Verification stays on: only the certificate generated for this server is trusted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  ProtocolMode,
  PublicClientApplication,
} from '@azure/msal-node';
import { parseProviderForm } from '../../src/server/oidc/provider-pages.ts';
import { bootstrapAdmin } from '../../src/services/bootstrap.service.ts';
import { getTenantId } from '../../src/services/tenant.service.ts';
import { type HttpsPassless, startHttpsPassless } from '../kit/https-server.ts';
import {
  createAuthenticationResponse,
  createRegistrationResponse,
  createSoftwareAuthenticator,
} from '../kit/software-authenticator.ts';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** MSAL's network client over a fetch() that trusts the test server's certificate; records what MSAL sends. */
function trustingNetworkClient(server: HttpsPassless, sent: Sent[]): INetworkModule {
  const send = async <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const headers = { ...(options?.headers ?? {}) };
    const body = method === 'POST' ? (options?.body ?? '') : '';
    sent.push({ method, url, headers, body });
    const res = await server.fetch(url, { method, headers, ...(method === 'POST' ? { body } : {}) });
    return {
      headers: Object.fromEntries(res.headers),
      body: (await res.json()) as T,
      status: res.status,
    };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

interface Answer {
  status: number;
  location: string | null;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: each test asserts the shape it reads
  json: any;
}

/** A browser over https: cookie jar (the __Host- Secure cookies included), CSRF token, redirects by hand. */
class HttpsBrowser {
  private jar = new Map<string, string>();
  private csrf: string | null = null;
  constructor(private readonly server: HttpsPassless) {}

  async request(method: 'GET' | 'POST', path: string, body?: unknown, form?: Record<string, string>): Promise<Answer> {
    const url = new URL(path, this.server.origin);
    const headers: Record<string, string> = { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (method === 'POST') {
      headers.origin = this.server.origin;
      if (this.csrf) headers['x-csrf-token'] = this.csrf;
      headers['content-type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
    }
    const payload =
      method !== 'POST' ? undefined : form ? new URLSearchParams(form).toString() : JSON.stringify(body ?? {});
    const res = await this.server.fetch(url, { method, headers, body: payload, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, location: res.headers.get('location'), text, json };
  }

  async refreshCsrf(): Promise<void> {
    const res = await this.request('GET', '/api/session');
    this.csrf = res.status === 200 ? res.json.csrfToken : null;
  }

  /** Follows redirects from `path` until a page answers. */
  async follow(path: string): Promise<{ path: string; answer: Answer }> {
    let next = path;
    for (let hops = 0; hops < 10; hops++) {
      const answer = await this.request('GET', next);
      if (answer.status < 300 || answer.status >= 400 || !answer.location) return { path: next, answer };
      next = new URL(answer.location, this.server.origin).href;
    }
    throw new Error('too many redirects');
  }

  /** Posts a page's form (its action and hidden fields) as a browser would, with `extra` fields. */
  async submit(page: Answer, extra: Record<string, string> = {}): Promise<Answer> {
    const form = parseProviderForm(page.text);
    return this.request('POST', form.action, undefined, { ...Object.fromEntries(form.hidden), ...extra });
  }
}

/** The bootstrap admin, onboarded over https as on a real first start: pass → passkey → passkey sign-in. */
async function signedInAdmin(server: HttpsPassless): Promise<HttpsBrowser> {
  const upn = 'admin@contoso.test';
  const boot = await bootstrapAdmin(server.deps, { userPrincipalName: upn, onlyIfEmpty: false, source: 'test' });
  const setup = new HttpsBrowser(server);
  const flow = await setup.request('POST', '/api/signin/identify', { identifier: upn });
  const tap = await setup.request('POST', '/api/signin/tap', {
    flowId: flow.json.flowId,
    temporaryAccessPass: boot!.temporaryAccessPass,
  });
  assert.equal(tap.status, 200, tap.text);
  await setup.refreshCsrf();
  const authenticator = createSoftwareAuthenticator();
  const options = await setup.request('POST', '/api/security-info/passkeys/options', { displayName: 'Admin key' });
  assert.equal(options.status, 200, options.text);
  const credential = createRegistrationResponse(authenticator, {
    optionsJSON: options.json.options,
    origin: server.origin,
  });
  const verified = await setup.request('POST', '/api/security-info/passkeys/verify', {
    flowId: options.json.flowId,
    credential,
  });
  assert.equal(verified.status, 201, verified.text);
  const admin = new HttpsBrowser(server);
  const started = await admin.request('POST', '/api/signin/passkey/options', {});
  const assertion = createAuthenticationResponse(authenticator, {
    optionsJSON: started.json.options,
    origin: server.origin,
  });
  const signedIn = await admin.request('POST', '/api/signin/passkey/verify', {
    flowId: started.json.flowId,
    credential: assertion,
  });
  assert.equal(signedIn.status, 200, signedIn.text);
  await admin.refreshCsrf();
  return admin;
}

describe('@azure/msal-node against the Entra-style aliases over https', () => {
  let server: HttpsPassless;
  let admin: HttpsBrowser;
  let tenantId: string;
  let adminId: string;

  before(async () => {
    server = await startHttpsPassless();
    tenantId = await getTenantId(server.deps);
    admin = await signedInAdmin(server);
    adminId = (await admin.request('GET', '/api/session')).json.user.id;
  });
  after(async () => {
    await server?.close();
  });

  async function register(body: Record<string, unknown>, secret: boolean) {
    const created = await admin.request('POST', '/v1.0/applications', body);
    assert.equal(created.status, 201, created.text);
    if (!secret) return { appId: created.json.appId as string, secret: undefined };
    const added = await admin.request('POST', `/v1.0/applications/${created.json.id}/addPassword`, {
      passwordCredential: { displayName: 'msal' },
    });
    assert.equal(added.status, 200, added.text);
    return { appId: created.json.appId as string, secret: added.json.secretText as string };
  }

  /**
   * The application's row in the sign-in log. The provider writes it after answering (token-events.ts), so it may
   * land a moment after MSAL has its token.
   */
  // biome-ignore lint/suspicious/noExplicitAny: a Graph signIn, asserted field by field
  async function signInOf(appId: string): Promise<any> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const log = await admin.request('GET', '/v1.0/auditLogs/signIns?$top=20');
      assert.equal(log.status, 200, log.text);
      const row = log.json.value.find((r: { appId: string }) => r.appId === appId);
      if (row) return row;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
  }

  interface Setup {
    /** How the application is configured. */
    name: string;
    protocolMode: ProtocolMode;
    /** The authority's path after the origin. */
    authorityPath: () => string;
  }
  // An application written for Entra has the default protocol mode (AAD) and an authority of
  // `https://login.microsoftonline.com/<tenant>`: MSAL then fetches `<authority>/v2.0/.well-known/…` itself.
  // In OIDC mode it fetches `<authority>/.well-known/…`, so the authority ends in /v2.0, as Entra's issuer does.
  const oidcMode: Setup = {
    name: 'OIDC protocol mode, authority <origin>/<tenant id>/v2.0',
    protocolMode: ProtocolMode.OIDC,
    authorityPath: () => `/${tenantId}/v2.0`,
  };
  const entraDefaults = (tenant: () => string): Setup => ({
    name: `Entra's default protocol mode, authority <origin>/${tenant() === tenantId ? '<tenant id>' : tenant()}`,
    protocolMode: ProtocolMode.AAD,
    authorityPath: () => `/${tenant()}`,
  });

  function configuration(setup: Setup, clientId: string, sent: Sent[]) {
    return {
      auth: {
        clientId,
        authority: `${server.origin}${setup.authorityPath()}`,
        // Without it MSAL asks Microsoft's instance discovery about the host.
        knownAuthorities: [`localhost:${server.port}`],
      },
      system: { protocolMode: setup.protocolMode, networkClient: trustingNetworkClient(server, sent) },
    };
  }

  /** The tenant segment MSAL used, checked against what it fetched: the alias discovery document. */
  function discoveryOf(setup: Setup): string {
    const tenant = setup.authorityPath().split('/')[1]!;
    return `GET ${server.origin}/${tenant}/v2.0/.well-known/openid-configuration`;
  }

  // MSAL refuses client credentials with `organizations` or `common` (missing_tenant_id_error), as Entra does:
  // a confidential client names its tenant.
  for (const [index, setup] of [oidcMode, entraDefaults(() => tenantId)].entries()) {
    test(`client credentials (${setup.name}): an access token for the Passless API`, async () => {
      const displayName = `Nightly sync ${index} (MSAL)`;
      const registered = await register({ displayName }, true);
      const sent: Sent[] = [];
      const base = configuration(setup, registered.appId, sent);
      const msal = new ConfidentialClientApplication({
        ...base,
        auth: { ...base.auth, clientSecret: registered.secret },
      });
      const result = await msal.acquireTokenByClientCredential({ scopes: [`${server.origin}/.default`] });
      assert.ok(result?.accessToken, 'an access token');
      assert.equal(result.tokenType, 'Bearer');
      assert.ok(result.expiresOn && result.expiresOn.getTime() > Date.now() + 50 * 60_000, 'about an hour');

      // What MSAL did: the alias discovery document, then the alias token endpoint, its correlation id in the query.
      assert.deepEqual(
        sent.map((s) => `${s.method} ${s.url.split('?')[0]}`),
        [discoveryOf(setup), `POST ${server.origin}/${tenantId}/oauth2/v2.0/token`],
      );
      const tokenRequest = sent[1]!;
      assert.equal(new URL(tokenRequest.url).searchParams.get('client-request-id'), result.correlationId);
      assert.equal(new URLSearchParams(tokenRequest.body).get('scope'), `${server.origin}/.default`);

      const claims = JSON.parse(Buffer.from(result.accessToken.split('.')[1]!, 'base64url').toString());
      assert.equal(claims.iss, server.origin);
      assert.equal(claims.aud, server.origin);
      assert.equal(claims.client_id, registered.appId);
      assert.equal(claims.idtyp, 'app');

      // The sign-in log has the request, under the application's name and from the client's address.
      const row = await signInOf(registered.appId);
      assert.equal(row?.appDisplayName, displayName);
      assert.equal(row?.status.errorCode, 0);
      assert.equal(row?.ipAddress, '127.0.0.1');
    });
  }

  test("the sign-in log's correlation id is MSAL's client-request-id", async () => {
    const registered = await register({ displayName: 'Correlated (MSAL)' }, true);
    const base = configuration(oidcMode, registered.appId, []);
    const msal = new ConfidentialClientApplication({
      ...base,
      auth: { ...base.auth, clientSecret: registered.secret },
    });
    const result = await msal.acquireTokenByClientCredential({ scopes: [`${server.origin}/.default`] });
    const row = await signInOf(registered.appId);
    assert.equal(row?.correlationId, result?.correlationId);
  });

  for (const [index, setup] of [oidcMode, entraDefaults(() => 'organizations')].entries()) {
    test(`device code (${setup.name}): a person signs in, approved in a browser`, async () => {
      const displayName = `Kiosk ${index} (MSAL)`;
      const registered = await register({ displayName, isFallbackPublicClient: true, isFirstParty: true }, false);
      const sent: Sent[] = [];
      const msal = new PublicClientApplication(configuration(setup, registered.appId, sent));
      let approval: Promise<void> | undefined;
      let shown: { userCode: string; verificationUri: string; message: string; interval: number } | undefined;
      const result = await msal.acquireTokenByDeviceCode({
        scopes: ['openid', 'profile'],
        // What an MSAL application does here is print `message`; the person then approves in a browser.
        deviceCodeCallback: (response) => {
          shown = response;
          approval = approve(response.verificationUri, response.userCode, displayName);
          // Awaited below; MSAL's polling runs out at `timeout` if the approval failed.
          approval.catch(() => {});
        },
        timeout: 60,
      });
      await approval;
      assert.ok(shown);
      assert.equal(shown.verificationUri, `${server.origin}/device`);
      assert.equal(shown.interval, 5);
      assert.match(
        shown.message,
        new RegExp(`open the page ${server.origin}/device and enter the code ${shown.userCode}`),
      );

      assert.ok(result?.idToken, 'an ID token');
      const claims = result.idTokenClaims as Record<string, unknown>;
      assert.equal(claims.sub, adminId);
      assert.equal(claims.iss, server.origin);
      assert.equal(claims.aud, registered.appId);
      assert.equal(result.account?.username, 'admin@contoso.test');
      assert.ok(result.accessToken);

      const tenant = setup.authorityPath().split('/')[1]!;
      assert.deepEqual(
        [...new Set(sent.map((s) => `${s.method} ${s.url.split('?')[0]}`))],
        [
          discoveryOf(setup),
          `POST ${server.origin}/${tenant}/oauth2/v2.0/devicecode`,
          `POST ${server.origin}/${tenant}/oauth2/v2.0/token`,
        ],
      );
      // MSAL's grant_type is Entra's short `device_code`, which the alias token endpoint takes.
      const polls = sent.filter((s) => s.url.includes('/oauth2/v2.0/token'));
      assert.equal(new URLSearchParams(polls[0]!.body).get('grant_type'), 'device_code');
      // MSAL waited `interval` between polls instead of polling without pause.
      assert.ok(polls.length >= 1 && polls.length <= 3, `${polls.length} polls`);

      // MSAL keeps the refresh token: a silent call later gets new tokens for the same person.
      const silent = await msal.acquireTokenSilent({
        account: result.account!,
        scopes: ['openid', 'profile'],
        forceRefresh: true,
      });
      assert.equal((silent.idTokenClaims as Record<string, unknown>).sub, adminId);
    });
  }

  /** The person's part: the code page, the confirmation, the Passless interaction, then the success page. */
  async function approve(verificationUri: string, userCode: string, application: string): Promise<void> {
    const input = await admin.follow(verificationUri);
    assert.equal(input.answer.status, 200, input.answer.text.slice(0, 300));
    const confirm = await admin.submit(input.answer, { user_code: userCode });
    assert.equal(confirm.status, 200, confirm.text.slice(0, 300));
    assert.match(confirm.text, /Confirm this sign-in/);
    assert.ok(confirm.text.includes(application), 'the confirmation names the application');
    const confirmed = await admin.submit(confirm);
    assert.ok(confirmed.location, `${confirmed.status} ${confirmed.text.slice(0, 300)}`);
    let next = new URL(confirmed.location, server.origin).href;
    for (let hops = 0; hops < 10; hops++) {
      const { path, answer } = await admin.follow(next);
      const interaction = new URL(path).pathname;
      if (answer.status === 200 && interaction.startsWith('/oidc/interaction/')) {
        // The page's script asks the same path what to do.
        const decided = await admin.request('POST', interaction);
        assert.equal(decided.status, 200, decided.text);
        assert.equal(decided.json.action, 'redirect', decided.text);
        next = new URL(decided.json.location, server.origin).href;
        continue;
      }
      assert.equal(answer.status, 200, answer.text.slice(0, 300));
      assert.match(answer.text, /You're signed in on your device/);
      return;
    }
    throw new Error('the device sign-in did not finish');
  }
});
