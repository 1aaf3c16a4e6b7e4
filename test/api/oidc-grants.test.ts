// The grants and their failure modes, driven by openid-client: refresh rotation and reuse, code replay, PKCE,
// redirect URIs, client secrets, client credentials, consent, step-up, pass sessions, logout, sign-in log.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { ACR } from '../../src/core/oidc/authentication-strength.ts';
import { newUserWithTap, signInWithTap } from '../kit/app.ts';
import { adminSuite, latestSignIns, onboardPerson } from '../kit/directory.ts';
import {
  authorizationRequest,
  Browser,
  clientConfiguration,
  injectFetch,
  type RegisteredApp,
  registerApplication,
} from '../kit/oidc.ts';

describe('OpenID Connect grants', () => {
  const suite = adminSuite();

  async function signIn(registered: RegisteredApp, browser: Browser, extra: Record<string, string> = {}) {
    const config = await clientConfiguration(suite.t, registered);
    const request = await authorizationRequest(config, registered.redirectUri, extra);
    const result = await browser.authorize(request.url, registered.redirectUri);
    return { config, request, ...result };
  }

  async function tokensFor(registered: RegisteredApp, browser: Browser, extra: Record<string, string> = {}) {
    const { config, request, callback, interaction } = await signIn(registered, browser, extra);
    assert.equal(interaction, null, JSON.stringify(interaction));
    const tokens = await oidc.authorizationCodeGrant(config, callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    return { config, tokens, callback: callback! };
  }

  /** A new account signed in with a multi-use pass of 60 minutes: a bootstrap session. */
  async function passSession(name: string, ip: string) {
    const upn = suite.upn(name);
    const { user, pass, passStatus } = await newUserWithTap(suite.admin, upn, {
      isUsableOnce: false,
      lifetimeInMinutes: 60,
    });
    assert.equal(passStatus, 201, JSON.stringify(pass));
    const client = suite.t.client({ ip });
    assert.equal((await signInWithTap(client, upn, pass.temporaryAccessPass)).status, 200);
    return Object.assign(client, { user, pass });
  }

  async function grantError(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
    try {
      await promise;
    } catch (error) {
      const e = error as { error?: string; status?: number; cause?: { error?: string } };
      return { error: e.error ?? e.cause?.error ?? String(error), status: e.status ?? 0 };
    }
    assert.fail('the request succeeded');
  }

  test('refresh tokens rotate; presenting a used one revokes the whole grant', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const { config, tokens } = await tokensFor(registered, new Browser(suite.t.app, suite.admin));
    const first = tokens.refresh_token!;
    const second = await oidc.refreshTokenGrant(config, first);
    assert.ok(second.refresh_token && second.refresh_token !== first, 'a new refresh token each time');
    assert.ok(second.id_token, 'an ID token on refresh');
    const reuse = await grantError(oidc.refreshTokenGrant(config, first));
    assert.equal(reuse.error, 'invalid_grant');
    // The thief's reuse ended the legitimate holder's grant too.
    const after = await grantError(oidc.refreshTokenGrant(config, second.refresh_token!));
    assert.equal(after.error, 'invalid_grant');
    const userinfo = await grantError(oidc.fetchUserInfo(config, second.access_token, oidc.skipSubjectCheck));
    assert.notEqual(userinfo.error, '', 'the access token of the revoked grant no longer works');
  });

  test('token revocation (RFC 7009): a revoked refresh token and access token stop working', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const { config, tokens } = await tokensFor(registered, new Browser(suite.t.app, suite.admin));
    await oidc.tokenRevocation(config, tokens.access_token);
    await grantError(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
    await oidc.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    assert.equal((await grantError(oidc.refreshTokenGrant(config, tokens.refresh_token!))).error, 'invalid_grant');
    // Another application cannot revoke this one's tokens.
    const other = await registerApplication(suite.admin, { isFirstParty: true, displayName: 'Other' });
    const fresh = await tokensFor(registered, new Browser(suite.t.app, suite.admin));
    const refused = await grantError(
      oidc.tokenRevocation(await clientConfiguration(suite.t, other), fresh.tokens.refresh_token!),
    );
    assert.equal(refused.error, 'invalid_request');
    const still = await oidc.refreshTokenGrant(fresh.config, fresh.tokens.refresh_token!);
    assert.ok(still.access_token, "another client's revocation request did not revoke the token");
  });

  test('a replayed authorization code fails and revokes the tokens issued for it', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const browser = new Browser(suite.t.app, suite.admin);
    const { config, request, callback } = await signIn(registered, browser);
    const tokens = await oidc.authorizationCodeGrant(config, callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
    assert.equal(typeof info.preferred_username, 'string');
    const replay = await grantError(
      oidc.authorizationCodeGrant(config, callback!, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    );
    assert.equal(replay.error, 'invalid_grant');
    assert.equal((await grantError(oidc.refreshTokenGrant(config, tokens.refresh_token!))).error, 'invalid_grant');
    await grantError(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
  });

  test('a wrong PKCE verifier is refused', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const { config, request, callback } = await signIn(registered, new Browser(suite.t.app, suite.admin));
    const wrong = await grantError(
      oidc.authorizationCodeGrant(config, callback!, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    );
    assert.equal(wrong.error, 'invalid_grant');
    const rows = await latestSignIns(suite.admin, 5);
    const row = rows.find((r) => r.appId === registered.appId && r.status.errorCode !== 0);
    assert.ok(row, 'the failure is in the sign-in log with the application id');
    assert.equal(row.appDisplayName, 'Contoso Expenses');
    assert.equal(row.status.errorCode, 501481);
  });

  test('an authorization request without PKCE, or with an unregistered redirect URI, never reaches the app', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const config = await clientConfiguration(suite.t, registered);
    const browser = new Browser(suite.t.app, suite.admin);
    const evil = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://evil.example/callback',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const res = await browser.request('GET', evil.href);
    assert.equal(res.status, 400);
    assert.equal(res.location, undefined, 'no redirect to an unregistered URI');
    assert.match(res.body, /redirect_uri/);
    const noPkce = oidc.buildAuthorizationUrl(config, { redirect_uri: registered.redirectUri, scope: 'openid' });
    const answer = await browser.request('GET', noPkce.href);
    assert.equal(answer.status, 303);
    const back = new URL(answer.location!);
    assert.equal(back.origin + back.pathname, registered.redirectUri);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description') ?? '', /PKCE/);
  });

  test('a wrong client secret is refused and logged; a removed secret stops working at once', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const wrong = await grantError(
      oidc.clientCredentialsGrant(
        await clientConfiguration(suite.t, { ...registered, secret: `${registered.secret}x` }),
      ),
    );
    assert.equal(wrong.error, 'invalid_client');
    const rows = await latestSignIns(suite.admin, 5);
    assert.ok(rows.some((r) => r.appId === registered.appId && r.status.errorCode === 7000215));
    const good = await oidc.clientCredentialsGrant(await clientConfiguration(suite.t, registered));
    assert.ok(good.access_token);
    const app = await suite.admin.request('GET', `/v1.0/applications/${registered.id}`);
    const keyId = app.json.passwordCredentials[0].keyId;
    const removed = await suite.admin.request('POST', `/v1.0/applications/${registered.id}/removePassword`, { keyId });
    assert.equal(removed.status, 204);
    const after = await grantError(oidc.clientCredentialsGrant(await clientConfiguration(suite.t, registered)));
    assert.equal(after.error, 'invalid_client');
  });

  test('client credentials: issued to confidential apps only, and logged with the app', async () => {
    const registered = await registerApplication(suite.admin, { displayName: 'Nightly sync' });
    const tokens = await oidc.clientCredentialsGrant(await clientConfiguration(suite.t, registered));
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok((tokens.expires_in ?? 0) > 0);
    const rows = await latestSignIns(suite.admin, 5);
    const row = rows.find((r) => r.appId === registered.appId);
    assert.equal(row?.appDisplayName, 'Nightly sync');
    assert.equal(row?.status.errorCode, 0);
    assert.equal(row?.isInteractive, false);
    const pub = await registerApplication(suite.admin, { confidential: false, isFallbackPublicClient: true });
    const refused = await grantError(oidc.clientCredentialsGrant(await clientConfiguration(suite.t, pub)));
    // A public client cannot authenticate, so the grant is refused before it is considered.
    assert.ok(['invalid_request', 'unauthorized_client', 'invalid_client'].includes(refused.error), refused.error);
  });

  test('third-party app: consent page once, remembered, listed and revocable in security info', async () => {
    const person = await onboardPerson(suite.t, suite.admin, suite.upn('consent'));
    const registered = await registerApplication(suite.admin, { displayName: 'Fabrikam Notes' });
    const browser = new Browser(suite.t.app, person.client);
    const first = await signIn(registered, browser);
    assert.equal(first.callback, null);
    assert.equal(first.interaction?.json.action, 'consent');
    assert.equal(first.interaction?.json.application.displayName, 'Fabrikam Notes');
    const names = first.interaction?.json.scopes.map((s: { name: string }) => s.name);
    assert.deepEqual(names, ['openid', 'profile', 'email', 'offline_access']);
    const accepted = await browser.request('POST', `${first.interaction!.path}/consent`, { decision: 'accept' });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.json));
    const done = await browser.authorize(
      new URL(accepted.json.location, 'http://localhost:8080').href,
      registered.redirectUri,
    );
    assert.ok(done.callback?.searchParams.get('code'));
    const tokens = await oidc.authorizationCodeGrant(first.config, done.callback!, {
      pkceCodeVerifier: first.request.verifier,
      expectedState: first.request.state,
      expectedNonce: first.request.nonce,
    });

    // Remembered: the next sign-in goes straight through.
    const again = await signIn(registered, new Browser(suite.t.app, person.client));
    assert.ok(again.callback?.searchParams.get('code'), JSON.stringify(again.interaction));

    const listed = await person.client.request('GET', '/api/security-info/consents');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.json.value.map((c: { displayName: string }) => c.displayName),
      ['Fabrikam Notes'],
    );
    const revoked = await person.client.request('DELETE', `/api/security-info/consents/${registered.appId}`);
    assert.equal(revoked.status, 204, JSON.stringify(revoked.json));
    assert.equal(
      (await grantError(oidc.refreshTokenGrant(first.config, tokens.refresh_token!))).error,
      'invalid_grant',
    );
    const asked = await signIn(registered, new Browser(suite.t.app, person.client));
    assert.equal(asked.interaction?.json.action, 'consent', 'asked again after revoking');
    const gone = await person.client.request('DELETE', `/api/security-info/consents/${registered.appId}`);
    assert.equal(gone.status, 404);
  });

  test('denying consent sends access_denied to the application', async () => {
    const person = await onboardPerson(suite.t, suite.admin, suite.upn('deny'));
    const registered = await registerApplication(suite.admin, { displayName: 'Tailspin' });
    const browser = new Browser(suite.t.app, person.client);
    const first = await signIn(registered, browser);
    const denied = await browser.request('POST', `${first.interaction!.path}/consent`, { decision: 'deny' });
    const done = await browser.authorize(
      new URL(denied.json.location, 'http://localhost:8080').href,
      registered.redirectUri,
    );
    assert.equal(done.callback?.searchParams.get('error'), 'access_denied');
    assert.equal(done.callback?.searchParams.get('code'), null);
  });

  test('no session: the interaction sends the browser to sign in and back', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const { interaction } = await signIn(registered, new Browser(suite.t.app));
    assert.equal(interaction?.json.action, 'signIn');
    assert.equal(interaction?.json.reason, 'signInRequired');
    assert.equal(interaction?.json.location, `/signin?returnTo=${encodeURIComponent(interaction!.path)}`);
  });

  test('a Temporary Access Pass session cannot sign in to an application; cancelling returns access_denied', async () => {
    const person = await passSession('tap-only', '10.9.8.7');
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const browser = new Browser(suite.t.app, person);
    const { interaction } = await signIn(registered, browser);
    assert.equal(interaction?.json.action, 'blocked');
    assert.match(interaction?.json.detail, /Temporary Access Pass/);
    const cancelled = await browser.request('POST', `${interaction!.path}/abort`);
    const done = await browser.authorize(
      new URL(cancelled.json.location, 'http://localhost:8080').href,
      registered.redirectUri,
    );
    assert.equal(done.callback?.searchParams.get('error'), 'access_denied');
    // Accepting consent does not get around it either.
    const again = await signIn(registered, browser);
    const forced = await browser.request('POST', `${again.interaction!.path}/consent`, { decision: 'accept' });
    assert.equal(forced.status, 400);
  });

  test('when the pass policy allows it, a pass session signs in to applications with tokens that end with the pass', async () => {
    const policyPath =
      '/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
    const allowed = await suite.admin.request('PATCH', policyPath, { isUsableForApplications: true });
    assert.equal(allowed.status, 204, JSON.stringify(allowed.json));
    try {
      const person = await passSession('tap-apps', '10.9.8.6');
      const endsAt = Date.parse(person.pass.startDateTime) / 1000 + 60 * 60;
      const registered = await registerApplication(suite.admin, { isFirstParty: true });
      const { tokens } = await tokensFor(registered, new Browser(suite.t.app, person));
      const claims = tokens.claims()!;
      assert.deepEqual(claims.amr, ['otp']);
      assert.equal(claims.acr, ACR.mfa);
      assert.ok((claims.exp as number) <= endsAt, 'the ID token ends no later than the pass');
      assert.equal(tokens.refresh_token, undefined, 'no refresh token from a pass sign-in, even with offline_access');
      // An application demanding a passkey steps the person up.
      const strict = await signIn(registered, new Browser(suite.t.app, person), { acr_values: ACR.phishingResistant });
      assert.equal(strict.interaction?.json.action, 'signIn');
      assert.equal(strict.interaction?.json.reason, 'stepUp');
      // Once the pass is gone, a code from the pass session is worth nothing.
      const again = await signIn(registered, new Browser(suite.t.app, person));
      const passes = await suite.admin.request(
        'GET',
        `/v1.0/users/${person.user.id}/authentication/temporaryAccessPassMethods`,
      );
      await suite.admin.request(
        'DELETE',
        `/v1.0/users/${person.user.id}/authentication/temporaryAccessPassMethods/${passes.json.value[0].id}`,
      );
      const refused = await grantError(
        oidc.authorizationCodeGrant(again.config, again.callback!, {
          pkceCodeVerifier: again.request.verifier,
          expectedState: again.request.state,
          expectedNonce: again.request.nonce,
        }),
      );
      assert.equal(refused.error, 'invalid_grant');
    } finally {
      await suite.admin.request('PATCH', policyPath, { isUsableForApplications: false });
    }
  });

  test('acr_values demanding a device-bound passkey step up a synced-passkey session', async () => {
    const person = await onboardPerson(suite.t, suite.admin, suite.upn('synced'), {
      authenticator: { backupEligible: true, backedUp: true },
    });
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const plain = await tokensFor(registered, new Browser(suite.t.app, person.client));
    assert.equal(plain.tokens.claims()?.acr, ACR.phishingResistant);
    assert.deepEqual(plain.tokens.claims()?.amr, ['swk', 'user']);
    const demanding = await signIn(registered, new Browser(suite.t.app, person.client), {
      acr_values: ACR.deviceBound,
    });
    assert.equal(demanding.interaction?.json.action, 'signIn');
    assert.equal(demanding.interaction?.json.reason, 'stepUp');
    assert.match(demanding.interaction?.json.location, /reason=reauthenticate/);
    // The admin's device-bound passkey meets the same demand, and the ID token says so.
    const admin = await tokensFor(registered, new Browser(suite.t.app, suite.admin), {
      claims: JSON.stringify({ id_token: { acr: { essential: true, value: ACR.deviceBound } } }),
    });
    assert.equal(admin.tokens.claims()?.acr, ACR.deviceBound);
  });

  test('prompt=none answers login_required to the application, even with a session', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const { callback } = await signIn(registered, new Browser(suite.t.app, suite.admin), { prompt: 'none' });
    assert.equal(callback?.searchParams.get('error'), 'login_required');
    assert.equal(callback?.searchParams.get('code'), null);
  });

  test('prompt=login asks for a new sign-in even with a session', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    // The provider stamps the request in whole seconds: a sign-in in the same second counts as after it.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { interaction } = await signIn(registered, new Browser(suite.t.app, suite.admin), { prompt: 'login' });
    assert.equal(interaction?.json.action, 'signIn');
  });

  test('RP-initiated logout ends the Passless session', async () => {
    const person = await onboardPerson(suite.t, suite.admin, suite.upn('logout'));
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const browser = new Browser(suite.t.app, person.client);
    const { config, tokens } = await tokensFor(registered, browser);
    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: registered.redirectUri,
    });
    const page = await browser.request('GET', end.href);
    assert.equal(page.status, 200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(xsrf, 'the logout page carries its form');
    const confirm = await suite.t.app.inject({
      method: 'POST',
      url: '/session/end/confirm',
      headers: {
        host: 'localhost:8080',
        origin: 'http://localhost:8080',
        'content-type': 'application/x-www-form-urlencoded',
        cookie: browser.cookies(),
      },
      payload: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    assert.equal(confirm.statusCode, 303, confirm.body);
    assert.ok(String(confirm.headers.location).startsWith(registered.redirectUri));
    const session = await person.client.request('GET', '/api/session');
    assert.equal(session.status, 401, 'the Passless session is gone');
  });

  test('UserInfo answers with the profile claims for the access token', async () => {
    const registered = await registerApplication(suite.admin, { isFirstParty: true });
    const { config, tokens } = await tokensFor(registered, new Browser(suite.t.app, suite.admin));
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    assert.equal(info.sub, tokens.claims()!.sub);
    assert.equal(info.preferred_username, 'admin@contoso.test');
    const res = await injectFetch(suite.t.app)('http://localhost:8080/me', {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(res.status, 401);
  });
});
