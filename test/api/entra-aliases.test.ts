// Entra-style endpoint aliases (docs/oidc.md, "Endpoints"): /{tenant}/v2.0/.well-known/openid-configuration and
// /{tenant}/oauth2/v2.0/authorize|token|devicecode|logout, for the tenant id, `organizations` or `common`, driven
// by openid-client as an application configured with Entra's URLs would be. MSAL over https: test/api/msal.test.ts.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { ensureSigningKeys } from '../../src/services/signing-keys.service.ts';
import { getTenantId } from '../../src/services/tenant.service.ts';
import { ORIGIN } from '../kit/app.ts';
import { adminSuite, latestSignIns, onboardPerson } from '../kit/directory.ts';
import { authorizationRequest, Browser, injectFetch, type RegisteredApp, registerApplication } from '../kit/oidc.ts';

describe('Entra-style endpoint aliases', () => {
  const suite = adminSuite();
  let tenantId: string;
  let fetch: ReturnType<typeof injectFetch>;

  before(async () => {
    // As on a real start, where the signing keys exist before the first request (the kit's app skips that).
    await ensureSigningKeys(suite.t.deps);
    tenantId = await getTenantId(suite.t.deps);
    fetch = injectFetch(suite.t.app);
  });

  /** openid-client configured from an alias discovery document, as an application given Entra's URL would be. */
  function discover(tenant: string, registered: RegisteredApp) {
    return oidc.discovery(
      new URL(`${ORIGIN}/${tenant}/v2.0/.well-known/openid-configuration`),
      registered.appId,
      undefined,
      registered.secret ? oidc.ClientSecretPost(registered.secret) : oidc.None(),
      { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: fetch as oidc.CustomFetch },
    );
  }

  test('the tenant id shown in the admin console is the one GET /v1.0/organization gives', async () => {
    const org = await suite.admin.request('GET', '/v1.0/organization');
    assert.equal(org.status, 200, JSON.stringify(org.json));
    assert.equal(org.json.value[0].id, tenantId);
  });

  test('alias discovery: the endpoints under the tenant segment asked for, the issuer and keys the real ones', async () => {
    const own = await (await fetch(`${ORIGIN}/.well-known/openid-configuration`)).json();
    for (const tenant of [tenantId, tenantId.toUpperCase(), 'organizations', 'common']) {
      const res = await fetch(`${ORIGIN}/${tenant}/v2.0/.well-known/openid-configuration`);
      assert.equal(res.status, 200, tenant);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const doc = await res.json();
      const base = `${ORIGIN}/${tenant}/oauth2/v2.0`;
      assert.equal(doc.authorization_endpoint, `${base}/authorize`);
      assert.equal(doc.token_endpoint, `${base}/token`);
      assert.equal(doc.device_authorization_endpoint, `${base}/devicecode`);
      assert.equal(doc.end_session_endpoint, `${base}/logout`);
      // ID tokens say iss = PASSLESS_PUBLIC_URL, so every discovery document does too.
      assert.equal(doc.issuer, ORIGIN);
      assert.equal(doc.jwks_uri, own.jwks_uri);
      assert.equal(doc.userinfo_endpoint, own.userinfo_endpoint);
      assert.equal(doc.revocation_endpoint, own.revocation_endpoint);
      assert.deepEqual(doc.scopes_supported, own.scopes_supported);
    }
    // The provider's own document is untouched by the alias requests.
    const again = await (await fetch(`${ORIGIN}/.well-known/openid-configuration`)).json();
    assert.equal(again.token_endpoint, `${ORIGIN}/token`);
  });

  test('another tenant, consumers, or a path Entra has but Passless does not alias: 404', async () => {
    const other = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      `/${other}/v2.0/.well-known/openid-configuration`,
      `/${other}/oauth2/v2.0/authorize?client_id=x`,
      '/consumers/oauth2/v2.0/devicecode',
      '/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      `/${tenantId}/oauth2/v2.0/userinfo`,
      `/${tenantId}/oauth2/token`,
    ]) {
      const res = await fetch(`${ORIGIN}${path}`);
      assert.equal(res.status, 404, path);
    }
    const token = await fetch(`${ORIGIN}/${other}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' }),
    });
    assert.equal(token.status, 404);
  });

  test('code flow, refresh and logout through the tenant id aliases, with openid-client', async () => {
    const person = await onboardPerson(suite.t, suite.admin, suite.upn('alias'));
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const config = await discover(tenantId, registered);
    const request = await authorizationRequest(config, registered.redirectUri);
    assert.ok(request.url.startsWith(`${ORIGIN}/${tenantId}/oauth2/v2.0/authorize?`), request.url);
    const browser = new Browser(suite.t.app, person.client);
    const { callback, interaction } = await browser.authorize(request.url, registered.redirectUri);
    assert.equal(interaction, null, JSON.stringify(interaction));
    const tokens = await oidc.authorizationCodeGrant(config, callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const claims = tokens.claims()!;
    assert.equal(claims.iss, ORIGIN);
    assert.equal(claims.sub, person.user.id);
    assert.equal(claims.preferred_username, person.user.userPrincipalName);
    assert.ok(tokens.refresh_token, 'offline_access honoured on the alias authorize endpoint too');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(refreshed.claims()?.sub, person.user.id);

    // Entra's logout endpoint takes the same parameters: the provider's logout page, then back to the app.
    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: refreshed.id_token!,
      post_logout_redirect_uri: registered.redirectUri,
    });
    assert.ok(end.href.startsWith(`${ORIGIN}/${tenantId}/oauth2/v2.0/logout?`), end.href);
    const page = await browser.request('GET', end.href);
    assert.equal(page.status, 200, page.body.slice(0, 300));
    assert.match(page.body, /action="[^"]*\/session\/end\/confirm"/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(xsrf, 'the logout page carries its form');
    const confirm = await suite.t.app.inject({
      method: 'POST',
      url: '/session/end/confirm',
      headers: {
        host: new URL(ORIGIN).host,
        origin: ORIGIN,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: browser.cookies(),
      },
      payload: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    assert.equal(confirm.statusCode, 303, confirm.body);
    assert.ok(String(confirm.headers.location).startsWith(registered.redirectUri));
    assert.equal((await person.client.request('GET', '/api/session')).status, 401, 'signed out of Passless');
  });

  test('organizations: a code flow, and client credentials logged with the client-request-id header', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true, displayName: 'Aliased sync' });
    const config = await discover('organizations', registered);
    const request = await authorizationRequest(config, registered.redirectUri);
    assert.ok(request.url.startsWith(`${ORIGIN}/organizations/oauth2/v2.0/authorize?`), request.url);
    const { callback } = await new Browser(suite.t.app, suite.admin).authorize(request.url, registered.redirectUri);
    const tokens = await oidc.authorizationCodeGrant(config, callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    assert.equal(tokens.claims()?.iss, ORIGIN);

    const correlationId = '7a0e5d8c-3b1f-4e2a-9c6d-5f4e3d2c1b0a';
    const res = await fetch(`${ORIGIN}/organizations/oauth2/v2.0/token?client-request-id=${correlationId}`, {
      method: 'POST',
      headers: { 'client-request-id': correlationId },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: registered.appId,
        client_secret: registered.secret!,
        scope: `${ORIGIN}/.default`,
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok((await res.json()).access_token);
    // The provider writes the row after answering (token-events.ts): it may land a moment later.
    let rows = await latestSignIns(suite.admin, 20);
    for (let attempt = 0; attempt < 50 && !rows.some((r) => r.correlationId === correlationId); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = await latestSignIns(suite.admin, 20);
    }
    const row = rows.find((r) => r.correlationId === correlationId);
    assert.equal(row?.appId, registered.appId, JSON.stringify(rows));
    assert.equal(row?.appDisplayName, 'Aliased sync');
    assert.equal(row?.status.errorCode, 0);
    assert.equal(row?.ipAddress, '127.0.0.1');
  });

  test('device code through the alias: the response has Entra’s interval and message', async () => {
    const pub = await registerApplication(suite.admin, {
      confidential: false,
      isFallbackPublicClient: true,
      isFirstParty: true,
      web: { redirectUris: [] },
    });
    const res = await fetch(`${ORIGIN}/${tenantId}/oauth2/v2.0/devicecode`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: pub.appId, scope: 'openid profile offline_access' }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(typeof body.device_code, 'string');
    assert.match(body.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(body.verification_uri, `${ORIGIN}/device`);
    assert.equal(body.interval, 5);
    assert.equal(
      body.message,
      `To sign in, use a web browser to open the page ${ORIGIN}/device and enter the code ${body.user_code} to authenticate.`,
    );
    // Not signed in yet: the alias token endpoint says so, for RFC 8628's grant type and for Entra's short one
    // (what MSAL sends).
    for (const grantType of ['urn:ietf:params:oauth:grant-type:device_code', 'device_code']) {
      const poll = await fetch(`${ORIGIN}/${tenantId}/oauth2/v2.0/token?client-request-id=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams({ grant_type: grantType, client_id: pub.appId, device_code: body.device_code }),
      });
      assert.equal(poll.status, 400, grantType);
      assert.equal((await poll.json()).error, 'authorization_pending', grantType);
    }
    // The short name is Entra's dialect, taken on the alias only.
    const own = await fetch(`${ORIGIN}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'device_code', client_id: pub.appId, device_code: body.device_code }),
    });
    assert.equal((await own.json()).error, 'unsupported_grant_type');
  });
});
