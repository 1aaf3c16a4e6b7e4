// Authorization code + PKCE through the Passless interaction, with openid-client as the relying party.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { ACR } from '../../src/core/oidc/authentication-strength.ts';
import { ORIGIN, signedInAdmin, startTestApp, type TestApp } from '../kit/app.ts';
import { authorizationRequest, Browser, clientConfiguration, injectFetch, registerApplication } from '../kit/oidc.ts';

async function withApp(body: (t: TestApp) => Promise<void>) {
  const t = await startTestApp();
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

test('a first-party app signs a passkey user in: code + PKCE, ID token claims, signature checked with jose', () =>
  withApp(async (t) => {
    const { client: admin, upn } = await signedInAdmin(t);
    const registered = await registerApplication(admin, { isFirstParty: true });
    const config = await clientConfiguration(t, registered);
    const request = await authorizationRequest(config, registered.redirectUri);
    const browser = new Browser(t.app, admin);
    const { callback, interaction } = await browser.authorize(request.url, registered.redirectUri);
    assert.equal(interaction, null, JSON.stringify(interaction));
    const tokens = await oidc.authorizationCodeGrant(config, callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const claims = tokens.claims()!;
    assert.equal(claims.preferred_username, upn);
    assert.equal(claims.iss, ORIGIN);
    assert.equal(claims.aud, registered.appId);
    // The test kit's software authenticator is device-bound (not backup-eligible).
    assert.deepEqual(claims.amr, ['hwk', 'user']);
    assert.equal(claims.acr, ACR.deviceBound);
    assert.equal(typeof claims.auth_time, 'number');
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    const jwks = await (await injectFetch(t.app)(`${ORIGIN}/jwks`)).json();
    const { protectedHeader } = await jose.jwtVerify(tokens.id_token!, jose.createLocalJWKSet(jwks), {
      issuer: ORIGIN,
      audience: registered.appId,
    });
    assert.equal(protectedHeader.alg, 'ES256');
  }));

test('an application registered for RS256 gets RS256 ID tokens; a bad algorithm is refused at registration', () =>
  withApp(async (t) => {
    const { client: admin } = await signedInAdmin(t);
    const refused = await admin.request('POST', '/v1.0/applications', {
      displayName: 'Old app',
      idTokenSigningAlgorithm: 'HS256',
    });
    assert.equal(refused.status, 400);
    assert.match(refused.json.error.message, /ES256.*RS256/);
    const registered = await registerApplication(admin, { isFirstParty: true, idTokenSigningAlgorithm: 'RS256' });
    const config = await clientConfiguration(t, registered);
    const request = await authorizationRequest(config, registered.redirectUri);
    const { callback } = await new Browser(t.app, admin).authorize(request.url, registered.redirectUri);
    const tokens = await oidc.authorizationCodeGrant(config, callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const jwks = await (await injectFetch(t.app)(`${ORIGIN}/jwks`)).json();
    const { protectedHeader } = await jose.jwtVerify(tokens.id_token!, jose.createLocalJWKSet(jwks), {
      issuer: ORIGIN,
      audience: registered.appId,
    });
    assert.equal(protectedHeader.alg, 'RS256');
  }));

test('an application with web and mobile (custom scheme) redirect URIs signs in through either', () =>
  withApp(async (t) => {
    const { client: admin } = await signedInAdmin(t);
    const registered = await registerApplication(admin, {
      isFirstParty: true,
      publicClient: { redirectUris: ['com.contoso.expenses://auth'] },
    });
    const config = await clientConfiguration(t, registered);
    for (const redirectUri of [registered.redirectUri, 'com.contoso.expenses://auth']) {
      const request = await authorizationRequest(config, redirectUri);
      const { callback, interaction } = await new Browser(t.app, admin).authorize(request.url, redirectUri);
      assert.equal(interaction, null, JSON.stringify(interaction));
      assert.ok(callback?.searchParams.get('code'), `a code at ${redirectUri}`);
    }
  }));
